build2/obj/tests/unit/test_http.o: tests/unit/test_http.c common/evloop.h \
 common/http.h common/util.h tests/unit/unit.h tests/unit/http_testsrv.h
common/evloop.h:
common/http.h:
common/util.h:
tests/unit/unit.h:
tests/unit/http_testsrv.h:
