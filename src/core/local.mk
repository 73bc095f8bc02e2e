libgw_la_SOURCES += \
	src/core/obj.c \
	src/core/log.c
