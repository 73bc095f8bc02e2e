# src/webrtc: sources of this layer (appended to libgw_la_SOURCES)
