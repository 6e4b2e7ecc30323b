build2/obj/tests/unit/test_ib_rules.o: tests/unit/test_ib_rules.c \
 tests/unit/unit.h workers/image-builder/ib.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
tests/unit/unit.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
