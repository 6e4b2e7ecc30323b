build2/obj/tests/unit/test_ctl_pools.o: tests/unit/test_ctl_pools.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def tests/unit/unit.h
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
