build2/obj/workers/openstack/os_resolve.o: workers/openstack/os_resolve.c \
 common/log.h common/util.h workers/openstack/os.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h workers/openstack/os_parse.h
common/log.h:
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
