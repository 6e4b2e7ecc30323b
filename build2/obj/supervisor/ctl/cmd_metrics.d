build2/obj/supervisor/ctl/cmd_metrics.o: supervisor/ctl/cmd_metrics.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
