build2/obj/workers/webhook/wh_http.o: workers/webhook/wh_http.c \
 common/log.h common/util.h workers/runtime/httpd.h \
 workers/webhook/wh_int.h workers/webhook/wh.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
common/log.h:
common/util.h:
workers/runtime/httpd.h:
workers/webhook/wh_int.h:
workers/webhook/wh.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
