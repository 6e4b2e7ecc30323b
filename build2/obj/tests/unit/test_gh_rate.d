build2/obj/tests/unit/test_gh_rate.o: tests/unit/test_gh_rate.c \
 tests/unit/unit.h workers/github/gh.h common/http.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h
tests/unit/unit.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
