# rtcsip-call: the C WebRTC client (tests, load generation)
bin_PROGRAMS += rtcsip-call
rtcsip_call_SOURCES = src/tools/rtcsip-call.c src/tools/ws_client.c src/tools/ws_client.h \
	src/tools/audio.c src/tools/audio.h
rtcsip_call_LDADD = libgw.la
