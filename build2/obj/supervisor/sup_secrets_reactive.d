build2/obj/supervisor/sup_secrets_reactive.o: \
 supervisor/sup_secrets_reactive.c common/config.h common/jsonwipe.h \
 supervisor/sup_secrets.h
common/config.h:
common/jsonwipe.h:
supervisor/sup_secrets.h:
