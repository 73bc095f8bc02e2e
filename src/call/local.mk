libgw_la_SOURCES += src/call/call.c
