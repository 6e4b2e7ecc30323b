build2/obj/supervisor/sup_supervise.o: supervisor/sup_supervise.c \
 common/config.h common/evloop.h common/log.h common/util.h \
 supervisor/sup.h proto/proto.h proto/errors.def
common/config.h:
common/evloop.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
