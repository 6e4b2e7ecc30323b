build2/obj/common/ids.o: common/ids.c common/ids.h
common/ids.h:
