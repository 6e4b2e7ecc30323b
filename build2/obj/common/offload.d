build2/obj/common/offload.o: common/offload.c common/evloop.h \
 common/offload.h
common/evloop.h:
common/offload.h:
