build2/obj/supervisor/ctl/cmd_reload.o: supervisor/ctl/cmd_reload.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
