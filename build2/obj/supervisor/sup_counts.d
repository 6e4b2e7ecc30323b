build2/obj/supervisor/sup_counts.o: supervisor/sup_counts.c \
 common/config.h supervisor/sup.h proto/proto.h proto/errors.def
common/config.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
