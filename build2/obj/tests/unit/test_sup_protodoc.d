build2/obj/tests/unit/test_sup_protodoc.o: tests/unit/test_sup_protodoc.c \
 proto/proto.h proto/errors.def tests/unit/unit.h
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
