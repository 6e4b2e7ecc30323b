build2/obj/workers/openstack/os_images.o: workers/openstack/os_images.c \
 common/util.h workers/openstack/os.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h workers/openstack/os_parse.h
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
