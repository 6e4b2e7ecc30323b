build2/obj/workers/image-builder/ib_methods.o: \
 workers/image-builder/ib_methods.c common/util.h \
 workers/image-builder/ib.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/util.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
