build2/obj/workers/openstack/os_sums.o: workers/openstack/os_sums.c \
 workers/openstack/os.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
