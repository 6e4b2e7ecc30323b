build2/obj/workers/scaler/sc_jobinfo.o: workers/scaler/sc_jobinfo.c \
 workers/scaler/sc.h workers/runtime/worker.h proto/proto.h \
 proto/errors.def workers/scaler/sc_decide.h workers/scaler/sc_names.h \
 workers/scaler/sc_demand.h workers/scaler/sc_health.h \
 workers/scaler/sc_image.h workers/scaler/sc_metrics.h
workers/scaler/sc.h:
workers/runtime/worker.h:
proto/proto.h:
proto/errors.def:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
workers/scaler/sc_demand.h:
workers/scaler/sc_health.h:
workers/scaler/sc_image.h:
workers/scaler/sc_metrics.h:
