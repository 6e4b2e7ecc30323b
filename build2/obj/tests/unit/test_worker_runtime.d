build2/obj/tests/unit/test_worker_runtime.o: \
 tests/unit/test_worker_runtime.c common/redact.h tests/unit/unit.h \
 workers/runtime/worker_int.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/redact.h:
tests/unit/unit.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
