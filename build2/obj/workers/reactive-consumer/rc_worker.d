build2/obj/workers/reactive-consumer/rc_worker.o: \
 workers/reactive-consumer/rc_worker.c common/jsonget.h common/evloop.h \
 common/jobstore.h common/log.h common/offload.h common/util.h \
 workers/reactive-consumer/rc.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/jsonget.h:
common/evloop.h:
common/jobstore.h:
common/log.h:
common/offload.h:
common/util.h:
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
