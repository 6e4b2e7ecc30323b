build2/obj/workers/github/gh_list.o: workers/github/gh_list.c \
 common/evloop.h common/http.h common/jsonpart.h common/log.h \
 common/util.h workers/github/gh.h proto/proto.h proto/errors.def \
 workers/runtime/worker.h
common/evloop.h:
common/http.h:
common/jsonpart.h:
common/log.h:
common/util.h:
workers/github/gh.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
