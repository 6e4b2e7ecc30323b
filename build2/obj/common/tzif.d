build2/obj/common/tzif.o: common/tzif.c common/tzif.h common/util.h
common/tzif.h:
common/util.h:
