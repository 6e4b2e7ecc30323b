build2/obj/tests/unit/test_sup_supervise.o: \
 tests/unit/test_sup_supervise.c supervisor/sup.h proto/proto.h \
 proto/errors.def tests/unit/unit.h
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
