build2/obj/supervisor/sup_users.o: supervisor/sup_users.c common/config.h \
 common/ids.h supervisor/sup.h proto/proto.h proto/errors.def
common/config.h:
common/ids.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
