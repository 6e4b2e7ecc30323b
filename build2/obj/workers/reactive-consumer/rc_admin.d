build2/obj/workers/reactive-consumer/rc_admin.o: \
 workers/reactive-consumer/rc_admin.c common/jobstore.h common/offload.h \
 common/util.h workers/reactive-consumer/rc.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
common/jobstore.h:
common/offload.h:
common/util.h:
workers/reactive-consumer/rc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
