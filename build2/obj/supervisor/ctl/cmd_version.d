build2/obj/supervisor/ctl/cmd_version.o: supervisor/ctl/cmd_version.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def supervisor/sup.h
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
supervisor/sup.h:
