build2/obj/tests/unit/test_sc_userdata.o: tests/unit/test_sc_userdata.c \
 common/shtpl.h tests/unit/unit.h common/util.h \
 workers/scaler/sc_template.h workers/scaler/sc_userdata.h
common/shtpl.h:
tests/unit/unit.h:
common/util.h:
workers/scaler/sc_template.h:
workers/scaler/sc_userdata.h:
