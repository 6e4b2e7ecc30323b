build2/obj/workers/github/gh_parse.o: workers/github/gh_parse.c \
 common/jsonbody.h common/util.h workers/github/gh.h common/http.h \
 proto/proto.h proto/errors.def workers/runtime/worker.h
common/jsonbody.h:
common/util.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
