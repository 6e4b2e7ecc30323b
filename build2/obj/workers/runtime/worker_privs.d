build2/obj/workers/runtime/worker_privs.o: workers/runtime/worker_privs.c \
 common/ids.h workers/runtime/worker_int.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
common/ids.h:
workers/runtime/worker_int.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
