build2/obj/supervisor/ctl/cmd_flush.o: supervisor/ctl/cmd_flush.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
