build2/obj/supervisor/sup_single.o: supervisor/sup_single.c \
 supervisor/sup.h proto/proto.h proto/errors.def
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
