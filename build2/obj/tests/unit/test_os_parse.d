build2/obj/tests/unit/test_os_parse.o: tests/unit/test_os_parse.c \
 tests/unit/unit.h common/http.h workers/openstack/os.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h workers/openstack/os_parse.h
tests/unit/unit.h:
common/http.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
workers/openstack/os_parse.h:
