build2/obj/common/config_yaml.o: common/config_yaml.c \
 common/config_yaml.h common/util.h
common/config_yaml.h:
common/util.h:
