build2/obj/tests/unit/test_webhook.o: tests/unit/test_webhook.c \
 tests/unit/unit.h workers/webhook/wh.h workers/runtime/httpd.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
tests/unit/unit.h:
workers/webhook/wh.h:
workers/runtime/httpd.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
