build2/obj/workers/image-builder/ib_rules.o: \
 workers/image-builder/ib_rules.c workers/image-builder/ib.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
