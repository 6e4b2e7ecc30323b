build2/obj/workers/scaler/sc_demand.o: workers/scaler/sc_demand.c \
 common/sched.h common/tzif.h workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h workers/scaler/sc_demand.h
common/sched.h:
common/tzif.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
workers/scaler/sc_demand.h:
