build2/obj/tests/unit/test_jsonbody.o: tests/unit/test_jsonbody.c \
 common/jsonbody.h tests/unit/unit.h
common/jsonbody.h:
tests/unit/unit.h:
