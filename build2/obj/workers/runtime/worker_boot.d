build2/obj/workers/runtime/worker_boot.o: workers/runtime/worker_boot.c \
 common/jsonget.h common/jsonwipe.h common/redact.h common/util.h \
 workers/runtime/worker_int.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/jsonget.h:
common/jsonwipe.h:
common/redact.h:
common/util.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
