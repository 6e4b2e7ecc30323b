build2/obj/workers/openstack/os_api.o: workers/openstack/os_api.c \
 common/evloop.h common/http.h common/jsonbody.h common/log.h \
 common/util.h workers/openstack/os.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h workers/openstack/os_parse.h
common/evloop.h:
common/http.h:
common/jsonbody.h:
common/log.h:
common/util.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
