build2/obj/tests/unit/test_proto_codec.o: tests/unit/test_proto_codec.c \
 proto/proto.h proto/errors.def tests/unit/unit.h
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
