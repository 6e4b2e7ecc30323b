build2/obj/common/evloop.o: common/evloop.c common/evloop.h common/util.h
common/evloop.h:
common/util.h:
