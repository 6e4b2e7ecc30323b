build2/obj/supervisor/sup_route.o: supervisor/sup_route.c common/config.h \
 common/log.h common/util.h supervisor/sup.h proto/proto.h \
 proto/errors.def
common/config.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
