build2/obj/workers/openstack/os_keystone.o: \
 workers/openstack/os_keystone.c common/http.h common/jsonbody.h \
 common/log.h common/redact.h common/util.h workers/openstack/os.h \
 proto/proto.h proto/errors.def workers/runtime/worker.h \
 workers/openstack/os_parse.h
common/http.h:
common/jsonbody.h:
common/log.h:
common/redact.h:
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
