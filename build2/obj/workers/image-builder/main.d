build2/obj/workers/image-builder/main.o: workers/image-builder/main.c \
 workers/image-builder/ib.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
