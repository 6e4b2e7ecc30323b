build2/obj/common/log.o: common/log.c common/log.h common/redact.h
common/log.h:
common/redact.h:
