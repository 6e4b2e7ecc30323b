build2/obj/supervisor/ctl/cmd_runners.o: supervisor/ctl/cmd_runners.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
