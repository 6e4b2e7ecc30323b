build2/obj/workers/github/gh_auth.o: workers/github/gh_auth.c \
 common/config.h common/evloop.h common/log.h common/redact.h \
 common/util.h workers/github/gh.h common/http.h proto/proto.h \
 proto/errors.def workers/runtime/worker.h
common/config.h:
common/evloop.h:
common/log.h:
common/redact.h:
common/util.h:
workers/github/gh.h:
common/http.h:
proto/proto.h:
proto/errors.def:
workers/runtime/worker.h:
