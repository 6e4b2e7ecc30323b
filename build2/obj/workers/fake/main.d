build2/obj/workers/fake/main.o: workers/fake/main.c common/log.h \
 workers/fake/fake.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def workers/runtime/worker_debug.h
common/log.h:
workers/fake/fake.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker_debug.h:
