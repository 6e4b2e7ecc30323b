build2/obj/supervisor/sup_config.o: supervisor/sup_config.c \
 common/config.h common/jsonwipe.h supervisor/sup.h proto/proto.h \
 proto/errors.def
common/config.h:
common/jsonwipe.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
