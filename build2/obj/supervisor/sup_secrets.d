build2/obj/supervisor/sup_secrets.o: supervisor/sup_secrets.c \
 common/clouds.h common/config.h supervisor/sup_secrets.h
common/clouds.h:
common/config.h:
supervisor/sup_secrets.h:
