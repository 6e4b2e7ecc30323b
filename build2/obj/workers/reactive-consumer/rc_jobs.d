build2/obj/workers/reactive-consumer/rc_jobs.o: \
 workers/reactive-consumer/rc_jobs.c common/jobstore.h common/log.h \
 common/util.h workers/reactive-consumer/rc.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
common/jobstore.h:
common/log.h:
common/util.h:
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
