build2/obj/tests/unit/test_ib_script.o: tests/unit/test_ib_script.c \
 tests/unit/unit.h workers/image-builder/ib.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
tests/unit/unit.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
