build2/obj/workers/scaler/sc_reactive.o: workers/scaler/sc_reactive.c \
 workers/scaler/sc_reactive.h workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h
workers/scaler/sc_reactive.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
