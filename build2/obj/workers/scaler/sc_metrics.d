build2/obj/workers/scaler/sc_metrics.o: workers/scaler/sc_metrics.c \
 workers/scaler/sc_metrics.h workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h
workers/scaler/sc_metrics.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
