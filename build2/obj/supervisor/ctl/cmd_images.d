build2/obj/supervisor/ctl/cmd_images.o: supervisor/ctl/cmd_images.c \
 common/util.h supervisor/ctl/ctl.h proto/proto.h proto/errors.def
common/util.h:
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
