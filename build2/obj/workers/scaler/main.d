build2/obj/workers/scaler/main.o: workers/scaler/main.c \
 workers/runtime/worker.h proto/proto.h proto/errors.def
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
