build2/obj/workers/scaler/sc_decide.o: workers/scaler/sc_decide.c \
 common/util.h workers/scaler/sc_decide.h workers/scaler/sc_names.h \
 workers/scaler/sc_demand.h
common/util.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
workers/scaler/sc_demand.h:
