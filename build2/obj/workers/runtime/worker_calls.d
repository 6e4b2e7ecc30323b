build2/obj/workers/runtime/worker_calls.o: workers/runtime/worker_calls.c \
 common/evloop.h common/log.h common/util.h workers/runtime/worker_int.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/evloop.h:
common/log.h:
common/util.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
