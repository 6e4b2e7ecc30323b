build2/obj/workers/openstack/main.o: workers/openstack/main.c \
 workers/openstack/os.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
