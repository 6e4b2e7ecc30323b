build2/obj/tests/unit/test_sc_image.o: tests/unit/test_sc_image.c \
 tests/unit/unit.h workers/openstack/os_parse.h proto/proto.h \
 proto/errors.def workers/scaler/sc_image.h
tests/unit/unit.h:
workers/openstack/os_parse.h:
proto/proto.h:
proto/errors.def:
workers/scaler/sc_image.h:
