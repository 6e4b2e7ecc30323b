build2/obj/workers/scaler/sc_image.o: workers/scaler/sc_image.c \
 workers/scaler/sc_image.h workers/scaler/sc_names.h
workers/scaler/sc_image.h:
workers/scaler/sc_names.h:
