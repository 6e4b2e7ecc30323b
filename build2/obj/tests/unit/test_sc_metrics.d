build2/obj/tests/unit/test_sc_metrics.o: tests/unit/test_sc_metrics.c \
 tests/unit/unit.h workers/scaler/sc_health.h proto/proto.h \
 proto/errors.def workers/scaler/sc_metrics.h workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h
tests/unit/unit.h:
workers/scaler/sc_health.h:
proto/proto.h:
proto/errors.def:
workers/scaler/sc_metrics.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
