build2/obj/common/sched.o: common/sched.c common/sched.h common/tzif.h
common/sched.h:
common/tzif.h:
