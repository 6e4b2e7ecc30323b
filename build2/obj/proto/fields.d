build2/obj/proto/fields.o: proto/fields.c proto/proto.h proto/errors.def
proto/proto.h:
proto/errors.def:
