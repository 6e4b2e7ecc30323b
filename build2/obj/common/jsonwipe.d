build2/obj/common/jsonwipe.o: common/jsonwipe.c common/jsonwipe.h
common/jsonwipe.h:
