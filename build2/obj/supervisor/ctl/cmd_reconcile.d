build2/obj/supervisor/ctl/cmd_reconcile.o: supervisor/ctl/cmd_reconcile.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
