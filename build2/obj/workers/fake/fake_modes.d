build2/obj/workers/fake/fake_modes.o: workers/fake/fake_modes.c \
 common/evloop.h common/log.h workers/fake/fake.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def \
 workers/runtime/worker_debug.h
common/evloop.h:
common/log.h:
workers/fake/fake.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker_debug.h:
