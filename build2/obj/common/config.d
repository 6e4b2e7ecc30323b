build2/obj/common/config.o: common/config.c common/config_internal.h \
 common/config.h common/config_yaml.h common/config_schema.def
common/config_internal.h:
common/config.h:
common/config_yaml.h:
common/config_schema.def:
