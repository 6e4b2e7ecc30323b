build2/obj/tests/unit/test_sc_demand.o: tests/unit/test_sc_demand.c \
 common/sched.h common/tzif.h tests/unit/unit.h \
 workers/scaler/sc_decide.h workers/scaler/sc_names.h \
 workers/scaler/sc_demand.h
common/sched.h:
common/tzif.h:
tests/unit/unit.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
workers/scaler/sc_demand.h:
