build2/obj/workers/metrics/main.o: workers/metrics/main.c \
 workers/metrics/metrics.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
workers/metrics/metrics.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
