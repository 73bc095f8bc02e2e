# rtcsip-call: the C WebRTC client ("browser" of the tests, load generation)
bin_PROGRAMS += rtcsip-call
rtcsip_call_SOURCES = src/tools/rtcsip-call.c src/tools/rtcsip_call.h \
	src/tools/call_flow.c src/tools/call_out.c src/tools/call_in.c \
	src/tools/call_media.c src/tools/report.c \
	src/tools/ws_client.c src/tools/ws_client.h \
	src/tools/audio.c src/tools/audio.h
rtcsip_call_LDADD = libgw.la
