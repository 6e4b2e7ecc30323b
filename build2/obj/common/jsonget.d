build2/obj/common/jsonget.o: common/jsonget.c common/jsonget.h
common/jsonget.h:
