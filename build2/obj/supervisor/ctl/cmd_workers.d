build2/obj/supervisor/ctl/cmd_workers.o: supervisor/ctl/cmd_workers.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
