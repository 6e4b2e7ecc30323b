build2/obj/supervisor/sup_recv.o: supervisor/sup_recv.c supervisor/sup.h \
 proto/proto.h proto/errors.def
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
