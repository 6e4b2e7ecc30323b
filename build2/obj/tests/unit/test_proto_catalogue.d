build2/obj/tests/unit/test_proto_catalogue.o: \
 tests/unit/test_proto_catalogue.c proto/proto.h proto/errors.def \
 tests/unit/unit.h
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
