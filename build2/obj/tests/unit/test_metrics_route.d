build2/obj/tests/unit/test_metrics_route.o: \
 tests/unit/test_metrics_route.c tests/unit/unit.h \
 workers/metrics/metrics.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
tests/unit/unit.h:
workers/metrics/metrics.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
