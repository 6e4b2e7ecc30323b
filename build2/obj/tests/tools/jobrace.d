build2/obj/tests/tools/jobrace.o: tests/tools/jobrace.c common/jobstore.h \
 common/util.h
common/jobstore.h:
common/util.h:
