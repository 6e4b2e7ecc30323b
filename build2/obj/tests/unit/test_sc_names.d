build2/obj/tests/unit/test_sc_names.o: tests/unit/test_sc_names.c \
 tests/unit/unit.h workers/scaler/sc_names.h
tests/unit/unit.h:
workers/scaler/sc_names.h:
