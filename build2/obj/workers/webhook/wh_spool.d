build2/obj/workers/webhook/wh_spool.o: workers/webhook/wh_spool.c \
 common/util.h workers/webhook/wh.h workers/runtime/httpd.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/util.h:
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
