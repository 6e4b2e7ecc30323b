build2/obj/workers/webhook/wh_verify.o: workers/webhook/wh_verify.c \
 workers/webhook/wh.h workers/runtime/httpd.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
