libgw_la_SOURCES += src/call/call.c src/call/echo.c src/call/call_priv.h
