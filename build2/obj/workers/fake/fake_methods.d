build2/obj/workers/fake/fake_methods.o: workers/fake/fake_methods.c \
 common/evloop.h common/log.h workers/fake/fake.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/evloop.h:
common/log.h:
workers/fake/fake.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
