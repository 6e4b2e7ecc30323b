build2/obj/supervisor/sup_spawn.o: supervisor/sup_spawn.c common/evloop.h \
 common/jsonwipe.h common/log.h common/util.h supervisor/sup.h \
 proto/proto.h proto/errors.def
common/evloop.h:
common/jsonwipe.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
