build2/obj/supervisor/sup_bus.o: supervisor/sup_bus.c common/config.h \
 common/evloop.h common/log.h common/util.h supervisor/sup.h \
 proto/proto.h proto/errors.def
common/config.h:
common/evloop.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
