build2/obj/supervisor/ctl/cmd_status.o: supervisor/ctl/cmd_status.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
