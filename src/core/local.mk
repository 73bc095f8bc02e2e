libgw_la_SOURCES += \
	src/core/obj.c \
	src/core/log.c \
	src/core/loop.c \
	src/core/config.c \
	src/core/config_table.c
libgw_la_SOURCES += src/core/cert.c
