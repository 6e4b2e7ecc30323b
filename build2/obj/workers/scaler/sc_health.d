build2/obj/workers/scaler/sc_health.o: workers/scaler/sc_health.c \
 common/util.h workers/scaler/sc_health.h proto/proto.h proto/errors.def
common/util.h:
workers/scaler/sc_health.h:
proto/proto.h:
proto/errors.def:
