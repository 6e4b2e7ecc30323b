build2/obj/tests/unit/test_sc_jobs.o: tests/unit/test_sc_jobs.c \
 tests/unit/unit.h workers/scaler/sc.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h workers/scaler/sc_demand.h \
 workers/scaler/sc_health.h workers/scaler/sc_image.h \
 workers/scaler/sc_metrics.h
tests/unit/unit.h:
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
