build2/obj/common/shtpl.o: common/shtpl.c common/sbuf.h common/shtpl.h \
 common/util.h
common/sbuf.h:
common/shtpl.h:
common/util.h:
