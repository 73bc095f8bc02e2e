bin_PROGRAMS += rtcsipd
rtcsipd_SOURCES = src/rtcsipd.c
rtcsipd_LDADD = libgw.la
