build2/obj/workers/openstack/os_parse_res.o: \
 workers/openstack/os_parse_res.c workers/openstack/os_parse.h \
 proto/proto.h proto/errors.def common/util.h
workers/openstack/os_parse.h:
proto/proto.h:
proto/errors.def:
common/util.h:
