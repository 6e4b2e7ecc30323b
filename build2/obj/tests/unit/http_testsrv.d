build2/obj/tests/unit/http_testsrv.o: tests/unit/http_testsrv.c \
 tests/unit/http_testsrv.h
tests/unit/http_testsrv.h:
