build2/obj/supervisor/ctl/cmd_log_level.o: supervisor/ctl/cmd_log_level.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
