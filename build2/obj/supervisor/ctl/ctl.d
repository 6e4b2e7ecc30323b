build2/obj/supervisor/ctl/ctl.o: supervisor/ctl/ctl.c common/util.h \
 supervisor/ctl/ctl.h proto/proto.h proto/errors.def
common/util.h:
supervisor/ctl/ctl.h:
proto/proto.h:
proto/errors.def:
