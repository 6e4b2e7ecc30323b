build2/obj/proto/codec.o: proto/codec.c proto/proto.h proto/errors.def
proto/proto.h:
proto/errors.def:
