build2/obj/common/config_checks.o: common/config_checks.c common/sched.h \
 common/tzif.h common/config_internal.h common/config.h \
 common/config_yaml.h
common/sched.h:
common/tzif.h:
common/config_internal.h:
common/config.h:
common/config_yaml.h:
