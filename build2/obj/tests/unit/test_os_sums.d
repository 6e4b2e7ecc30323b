build2/obj/tests/unit/test_os_sums.o: tests/unit/test_os_sums.c \
 tests/unit/unit.h workers/openstack/os.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
tests/unit/unit.h:
workers/openstack/os.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
