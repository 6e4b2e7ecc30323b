build2/obj/supervisor/sup_instances.o: supervisor/sup_instances.c \
 common/config.h common/jsonwipe.h common/log.h supervisor/sup.h \
 proto/proto.h proto/errors.def
common/config.h:
common/jsonwipe.h:
common/log.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
