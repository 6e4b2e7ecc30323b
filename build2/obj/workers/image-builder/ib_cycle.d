build2/obj/workers/image-builder/ib_cycle.o: \
 workers/image-builder/ib_cycle.c common/evloop.h common/jsonget.h \
 common/log.h common/shtpl.h common/util.h workers/image-builder/ib.h \
 workers/runtime/worker.h proto/proto.h proto/errors.def
common/evloop.h:
common/jsonget.h:
common/log.h:
common/shtpl.h:
common/util.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
