build2/obj/workers/scaler/sc_template.o: workers/scaler/sc_template.c \
 workers/scaler/sc_template.h
workers/scaler/sc_template.h:
