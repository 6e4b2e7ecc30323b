build2/obj/workers/webhook/wh_worker.o: workers/webhook/wh_worker.c \
 common/jsonget.h common/jobstore.h common/log.h common/offload.h \
 common/util.h workers/runtime/httpd.h workers/webhook/wh_int.h \
 workers/webhook/wh.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/jsonget.h:
common/jobstore.h:
common/log.h:
common/offload.h:
common/util.h:
workers/runtime/httpd.h:
workers/webhook/wh_int.h:
workers/webhook/wh.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
