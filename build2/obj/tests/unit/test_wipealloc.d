build2/obj/tests/unit/test_wipealloc.o: tests/unit/test_wipealloc.c \
 common/wipealloc.h tests/unit/unit.h
common/wipealloc.h:
tests/unit/unit.h:
