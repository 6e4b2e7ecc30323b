build2/obj/supervisor/ctl/cmd_image.o: supervisor/ctl/cmd_image.c \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
