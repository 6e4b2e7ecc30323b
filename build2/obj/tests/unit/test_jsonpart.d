build2/obj/tests/unit/test_jsonpart.o: tests/unit/test_jsonpart.c \
 common/jsonpart.h tests/unit/unit.h
common/jsonpart.h:
tests/unit/unit.h:
