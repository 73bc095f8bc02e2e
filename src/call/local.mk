libgw_la_SOURCES += src/call/call.c src/call/echo.c src/call/call_priv.h \
	src/call/bridge.c src/call/sipleg.c src/call/outbound.c src/call/inbound.c \
	src/call/transfer.c src/call/early.c
