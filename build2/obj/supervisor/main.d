build2/obj/supervisor/main.o: supervisor/main.c common/config.h \
 common/evloop.h common/log.h common/util.h common/wipealloc.h \
 supervisor/sup.h proto/proto.h proto/errors.def
common/config.h:
common/evloop.h:
common/log.h:
common/util.h:
common/wipealloc.h:
supervisor/sup.h:
proto/proto.h:
proto/errors.def:
