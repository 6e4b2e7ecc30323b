build2/obj/supervisor/sup_notify.o: supervisor/sup_notify.c \
 common/config.h common/evloop.h common/log.h common/util.h \
 supervisor/sup.h proto/proto.h proto/errors.def
common/config.h:
common/evloop.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
