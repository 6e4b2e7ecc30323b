build2/obj/supervisor/sup_control_cap.o: supervisor/sup_control_cap.c \
 common/evloop.h common/log.h common/util.h supervisor/sup.h \
 proto/proto.h proto/errors.def
common/evloop.h:
common/log.h:
common/util.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
