build2/obj/workers/github/gh_api.o: workers/github/gh_api.c \
 common/evloop.h common/log.h common/util.h workers/github/gh.h \
 common/http.h proto/proto.h proto/errors.def workers/runtime/worker.h
common/evloop.h:
common/log.h:
common/util.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
