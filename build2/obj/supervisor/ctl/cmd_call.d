build2/obj/supervisor/ctl/cmd_call.o: supervisor/ctl/cmd_call.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
