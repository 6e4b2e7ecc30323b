build2/obj/workers/github/main.o: workers/github/main.c \
 workers/github/gh.h common/http.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
