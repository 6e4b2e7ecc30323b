build2/obj/workers/runtime/httpd.o: workers/runtime/httpd.c \
 common/evloop.h common/log.h workers/runtime/httpd.h
common/evloop.h:
common/log.h:
workers/runtime/httpd.h:
