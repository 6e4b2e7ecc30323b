build2/obj/tests/unit/test_sup_users.o: tests/unit/test_sup_users.c \
 common/config.h supervisor/sup.h proto/proto.h proto/errors.def \
 tests/unit/unit.h
common/config.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
tests/unit/unit.h:
