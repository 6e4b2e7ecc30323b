build2/obj/supervisor/ctl/cmd_restart.o: supervisor/ctl/cmd_restart.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
