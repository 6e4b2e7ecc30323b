build2/obj/workers/runtime/worker_bus.o: workers/runtime/worker_bus.c \
 common/evloop.h common/log.h workers/runtime/worker_int.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/evloop.h:
common/log.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
