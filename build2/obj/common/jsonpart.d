build2/obj/common/jsonpart.o: common/jsonpart.c common/jsonpart.h
common/jsonpart.h:
