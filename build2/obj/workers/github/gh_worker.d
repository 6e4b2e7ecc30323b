build2/obj/workers/github/gh_worker.o: workers/github/gh_worker.c \
 common/http.h common/log.h common/jsonget.h common/util.h \
 workers/github/gh.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
common/http.h:
common/log.h:
common/jsonget.h:
common/util.h:
workers/github/gh.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
