build2/obj/workers/scaler/sc_userdata.o: workers/scaler/sc_userdata.c \
 common/sbuf.h common/shtpl.h common/util.h workers/scaler/sc_template.h \
 workers/scaler/sc_userdata.h
common/sbuf.h:
common/shtpl.h:
common/util.h:
workers/scaler/sc_template.h:
workers/scaler/sc_userdata.h:
