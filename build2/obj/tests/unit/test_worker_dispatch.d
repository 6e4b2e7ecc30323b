build2/obj/tests/unit/test_worker_dispatch.o: \
 tests/unit/test_worker_dispatch.c common/evloop.h common/util.h \
 tests/unit/unit.h workers/runtime/worker_int.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
common/evloop.h:
common/util.h:
tests/unit/unit.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
