build2/obj/tests/unit/test_offload.o: tests/unit/test_offload.c \
 common/evloop.h common/offload.h common/util.h tests/unit/unit.h
common/evloop.h:
common/offload.h:
common/util.h:
tests/unit/unit.h:
