build2/obj/tests/unit/test_sc_reactive.o: tests/unit/test_sc_reactive.c \
 tests/unit/unit.h workers/scaler/sc_reactive.h \
 workers/scaler/sc_decide.h workers/scaler/sc_names.h
tests/unit/unit.h:
workers/scaler/sc_reactive.h:
workers/scaler/sc_decide.h:
workers/scaler/sc_names.h:
