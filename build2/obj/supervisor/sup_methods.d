build2/obj/supervisor/sup_methods.o: supervisor/sup_methods.c \
 common/log.h common/util.h supervisor/sup.h proto/proto.h \
 proto/errors.def
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
