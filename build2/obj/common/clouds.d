build2/obj/common/clouds.o: common/clouds.c common/clouds.h
common/clouds.h:
