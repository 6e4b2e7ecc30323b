build2/obj/common/config_values.o: common/config_values.c \
 common/config_internal.h common/config.h common/config_yaml.h
common/config_internal.h:
common/config.h:
common/config_yaml.h:
