build2/obj/workers/reactive-consumer/main.o: \
 workers/reactive-consumer/main.c workers/reactive-consumer/rc.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
