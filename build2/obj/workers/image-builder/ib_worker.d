build2/obj/workers/image-builder/ib_worker.o: \
 workers/image-builder/ib_worker.c common/evloop.h common/jsonget.h \
 common/log.h common/util.h workers/image-builder/ib.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/evloop.h:
common/jsonget.h:
common/log.h:
common/util.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
