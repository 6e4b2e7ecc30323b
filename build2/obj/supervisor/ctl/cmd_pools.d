build2/obj/supervisor/ctl/cmd_pools.o: supervisor/ctl/cmd_pools.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
