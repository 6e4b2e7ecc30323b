build2/obj/common/config_locate.o: common/config_locate.c \
 common/config_internal.h common/config.h common/config_yaml.h
common/config_internal.h:
common/config.h:
common/config_yaml.h:
