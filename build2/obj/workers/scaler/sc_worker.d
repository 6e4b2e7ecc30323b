build2/obj/workers/scaler/sc_worker.o: workers/scaler/sc_worker.c \
 common/evloop.h common/jsonget.h common/log.h common/sched.h \
 common/tzif.h common/util.h workers/scaler/sc.h workers/runtime/worker.h \
 proto/proto.h proto/errors.def workers/scaler/sc_decide.h \
 workers/scaler/sc_names.h workers/scaler/sc_demand.h \
 workers/scaler/sc_health.h workers/scaler/sc_image.h \
 workers/scaler/sc_metrics.h workers/scaler/sc_reactive.h \
 workers/scaler/sc_template.h workers/scaler/sc_userdata.h
common/evloop.h:
common/jsonget.h:
common/log.h:
common/sched.h:
common/tzif.h:
common/util.h:
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
workers/scaler/sc_reactive.h:
workers/scaler/sc_template.h:
workers/scaler/sc_userdata.h:
