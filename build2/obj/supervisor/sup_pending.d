build2/obj/supervisor/sup_pending.o: supervisor/sup_pending.c \
 supervisor/sup.h proto/proto.h proto/errors.def
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
