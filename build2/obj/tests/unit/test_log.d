build2/obj/tests/unit/test_log.o: tests/unit/test_log.c common/log.h \
 common/redact.h tests/unit/unit.h
common/log.h:
common/redact.h:
tests/unit/unit.h:
