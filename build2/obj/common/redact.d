build2/obj/common/redact.o: common/redact.c common/redact.h common/sbuf.h
common/redact.h:
common/sbuf.h:
