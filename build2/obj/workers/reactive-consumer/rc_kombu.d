build2/obj/workers/reactive-consumer/rc_kombu.o: \
 workers/reactive-consumer/rc_kombu.c common/jobstore.h common/log.h \
 common/offload.h common/util.h workers/reactive-consumer/rc.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/jobstore.h:
common/log.h:
common/offload.h:
common/util.h:
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
