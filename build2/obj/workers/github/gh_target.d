build2/obj/workers/github/gh_target.o: workers/github/gh_target.c \
 workers/github/gh.h common/http.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
