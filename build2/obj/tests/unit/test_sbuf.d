build2/obj/tests/unit/test_sbuf.o: tests/unit/test_sbuf.c common/sbuf.h \
 tests/unit/unit.h
common/sbuf.h:
tests/unit/unit.h:
