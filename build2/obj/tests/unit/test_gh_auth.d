build2/obj/tests/unit/test_gh_auth.o: tests/unit/test_gh_auth.c \
 common/config.h common/redact.h tests/unit/unit.h workers/github/gh.h \
 common/http.h proto/proto.h proto/errors.def workers/runtime/worker.h
common/config.h:
common/redact.h:
tests/unit/unit.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
