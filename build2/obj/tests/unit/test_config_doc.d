build2/obj/tests/unit/test_config_doc.o: tests/unit/test_config_doc.c \
 common/config.h tests/unit/unit.h
common/config.h:
tests/unit/unit.h:
