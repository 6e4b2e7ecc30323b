build2/obj/workers/webhook/main.o: workers/webhook/main.c \
 workers/webhook/wh.h workers/runtime/httpd.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
