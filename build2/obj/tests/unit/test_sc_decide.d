build2/obj/tests/unit/test_sc_decide.o: tests/unit/test_sc_decide.c \
 tests/unit/unit.h workers/scaler/sc_decide.h workers/scaler/sc_names.h
tests/unit/unit.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
