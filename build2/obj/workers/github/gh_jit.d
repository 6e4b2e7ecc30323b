build2/obj/workers/github/gh_jit.o: workers/github/gh_jit.c common/log.h \
 common/util.h workers/github/gh.h common/http.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h
common/log.h:
common/util.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
