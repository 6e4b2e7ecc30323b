build2/obj/tests/tools/wtest.o: tests/tools/wtest.c common/util.h \
 proto/proto.h proto/errors.def
common/util.h:
proto/proto.h:
proto/errors.def:
