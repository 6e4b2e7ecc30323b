build2/obj/supervisor/ctl/cmd_jobs.o: supervisor/ctl/cmd_jobs.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
