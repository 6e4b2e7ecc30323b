build2/obj/workers/scaler/sc_classify.o: workers/scaler/sc_classify.c \
 workers/scaler/sc_decide.h workers/scaler/sc_names.h
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
