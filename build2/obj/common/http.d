build2/obj/common/http.o: common/http.c common/evloop.h common/http.h \
 common/sbuf.h
common/evloop.h:
common/http.h:
common/sbuf.h:
