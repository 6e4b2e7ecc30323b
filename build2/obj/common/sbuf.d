build2/obj/common/sbuf.o: common/sbuf.c common/sbuf.h
common/sbuf.h:
