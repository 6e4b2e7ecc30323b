build2/obj/workers/openstack/os_servers.o: workers/openstack/os_servers.c \
 common/http.h common/log.h common/util.h workers/openstack/os.h \
 proto/proto.h proto/errors.def workers/runtime/worker.h \
 workers/openstack/os_parse.h
common/http.h:
common/log.h:
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
