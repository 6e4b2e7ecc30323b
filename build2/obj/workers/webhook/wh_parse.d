build2/obj/workers/webhook/wh_parse.o: workers/webhook/wh_parse.c \
 workers/webhook/wh.h workers/runtime/httpd.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
