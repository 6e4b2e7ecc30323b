build2/obj/workers/openstack/os_import.o: workers/openstack/os_import.c \
 common/http.h common/log.h common/util.h workers/openstack/os.h \
 proto/proto.h proto/errors.def workers/runtime/worker.h
common/http.h:
common/log.h:
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
