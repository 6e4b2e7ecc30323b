build2/obj/tests/unit/test_config.o: tests/unit/test_config.c \
 common/config.h tests/unit/unit.h
common/config.h:
tests/unit/unit.h:
