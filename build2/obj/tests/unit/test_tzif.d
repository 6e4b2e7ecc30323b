build2/obj/tests/unit/test_tzif.o: tests/unit/test_tzif.c common/tzif.h \
 common/util.h tests/unit/unit.h
common/tzif.h:
common/util.h:
tests/unit/unit.h:
