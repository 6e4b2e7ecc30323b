build2/obj/supervisor/sup_table.o: supervisor/sup_table.c \
 supervisor/sup.h proto/proto.h proto/errors.def supervisor/sup_secrets.h
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
supervisor/sup_secrets.h:
