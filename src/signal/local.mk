libgw_la_SOURCES += \
	src/signal/server.c \
	src/signal/session.c \
	src/signal/api.c \
	src/signal/auth.c
