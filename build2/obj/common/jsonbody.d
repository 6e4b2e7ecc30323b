build2/obj/common/jsonbody.o: common/jsonbody.c common/jsonbody.h
common/jsonbody.h:
