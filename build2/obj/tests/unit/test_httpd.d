build2/obj/tests/unit/test_httpd.o: tests/unit/test_httpd.c \
 common/evloop.h common/util.h tests/unit/unit.h workers/runtime/httpd.h
common/evloop.h:
common/util.h:
tests/unit/unit.h:
workers/runtime/httpd.h:
