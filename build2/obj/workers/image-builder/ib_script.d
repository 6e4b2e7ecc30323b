build2/obj/workers/image-builder/ib_script.o: \
 workers/image-builder/ib_script.c common/sbuf.h common/shtpl.h \
 workers/image-builder/ib.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def
common/sbuf.h:
common/shtpl.h:
workers/image-builder/ib.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
