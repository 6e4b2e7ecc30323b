build2/obj/tests/unit/test_sched.o: tests/unit/test_sched.c \
 common/sched.h common/tzif.h tests/unit/unit.h
common/sched.h:
common/tzif.h:
tests/unit/unit.h:
