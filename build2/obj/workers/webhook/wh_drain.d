build2/obj/workers/webhook/wh_drain.o: workers/webhook/wh_drain.c \
 common/evloop.h common/jobstore.h common/log.h common/offload.h \
 common/util.h workers/webhook/wh_int.h workers/webhook/wh.h \
 workers/runtime/httpd.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/evloop.h:
common/jobstore.h:
common/log.h:
common/offload.h:
common/util.h:
workers/webhook/wh_int.h:
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
