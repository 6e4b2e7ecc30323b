build2/obj/workers/scaler/sc_names.o: workers/scaler/sc_names.c \
 common/util.h workers/scaler/sc_names.h
common/util.h:
workers/scaler/sc_names.h:
