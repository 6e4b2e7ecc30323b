build2/obj/tests/unit/test_evloop.o: tests/unit/test_evloop.c \
 common/evloop.h common/util.h tests/unit/unit.h
common/evloop.h:
common/util.h:
tests/unit/unit.h:
