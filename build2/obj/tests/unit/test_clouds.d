build2/obj/tests/unit/test_clouds.o: tests/unit/test_clouds.c \
 common/clouds.h tests/unit/unit.h
common/clouds.h:
tests/unit/unit.h:
