build2/obj/workers/runtime/worker.o: workers/runtime/worker.c \
 common/evloop.h common/log.h common/redact.h common/util.h \
 common/wipealloc.h workers/runtime/worker_debug.h \
 workers/runtime/worker_int.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/evloop.h:
common/log.h:
common/redact.h:
common/util.h:
common/wipealloc.h:
workers/runtime/worker_debug.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
