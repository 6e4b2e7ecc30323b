build2/obj/supervisor/ctl/main.o: supervisor/ctl/main.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
