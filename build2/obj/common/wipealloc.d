build2/obj/common/wipealloc.o: common/wipealloc.c common/wipealloc.h
common/wipealloc.h:
