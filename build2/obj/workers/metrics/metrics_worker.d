build2/obj/workers/metrics/metrics_worker.o: \
 workers/metrics/metrics_worker.c common/evloop.h common/log.h \
 workers/metrics/metrics.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def workers/runtime/httpd.h
common/evloop.h:
common/log.h:
workers/metrics/metrics.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
workers/runtime/httpd.h:
