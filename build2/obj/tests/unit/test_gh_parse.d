build2/obj/tests/unit/test_gh_parse.o: tests/unit/test_gh_parse.c \
 tests/unit/unit.h workers/github/gh.h common/http.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h
tests/unit/unit.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
