build2/obj/workers/github/gh_rate.o: workers/github/gh_rate.c \
 workers/github/gh.h common/http.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
