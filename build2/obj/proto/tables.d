build2/obj/proto/tables.o: proto/tables.c proto/proto.h proto/errors.def \
 proto/methods.def
proto/proto.h:
proto/errors.def:
proto/methods.def:
