build2/obj/supervisor/ctl/cmd_help.o: supervisor/ctl/cmd_help.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
