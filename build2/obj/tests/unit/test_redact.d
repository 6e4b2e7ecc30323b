build2/obj/tests/unit/test_redact.o: tests/unit/test_redact.c \
 common/redact.h tests/unit/unit.h
common/redact.h:
tests/unit/unit.h:
