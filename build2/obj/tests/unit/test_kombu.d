build2/obj/tests/unit/test_kombu.o: tests/unit/test_kombu.c \
 tests/unit/unit.h workers/reactive-consumer/rc.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
tests/unit/unit.h:
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
