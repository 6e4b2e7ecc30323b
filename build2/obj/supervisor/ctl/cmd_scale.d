build2/obj/supervisor/ctl/cmd_scale.o: supervisor/ctl/cmd_scale.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
