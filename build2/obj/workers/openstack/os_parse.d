build2/obj/workers/openstack/os_parse.o: workers/openstack/os_parse.c \
 workers/openstack/os_parse.h proto/proto.h proto/errors.def \
 common/jsonbody.h common/util.h
workers/openstack/os_parse.h:
proto/proto.h:
proto/errors.def:
common/jsonbody.h:
common/util.h:
