#!/bin/sh
# contrib/fuzz/build.sh — build the libFuzzer harnesses of contrib/fuzz.
#
#   contrib/fuzz/build.sh [OUTDIR]        (default /tmp/fuzz/bin)
#
# Each harness is linked with the project sources it exercises, compiled here
# by clang with libFuzzer's coverage instrumentation, ASan and UBSan (UBSan
# aborts, so libFuzzer keeps the input).  Libraries come from pkg-config.
# Nothing of the autotools build is used or touched: run it from anywhere.
# Everything is compiled afresh each time (a few seconds; objects kept
# across header changes would be stale).  FUZZ_CC (default clang: libFuzzer
# is clang's; CC is not used, it is often gcc) and EXTRA_CFLAGS may be set.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-/tmp/fuzz/bin}
CC=${FUZZ_CC:-clang}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all"
CFLAGS="-g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter \
 -I$top/include -I$top/src $(pkg-config --cflags glib-2.0 jansson openssl libwebsockets nice) \
 ${EXTRA_CFLAGS:-}"
LIBS="$(pkg-config --libs glib-2.0 jansson openssl libwebsockets nice) -lm"

# Project sources per harness.
CORE="src/core/obj.c src/core/log.c"
SDP="src/sdp/model.c src/sdp/parse.c src/sdp/attr.c src/sdp/candidate.c src/sdp/print.c \
 src/sdp/jsep_local.c src/sdp/jsep.c src/sdp/jsep_offer.c src/sdp/sip.c"
src_fuzz_sdp="$CORE $SDP"
src_fuzz_candidate="$CORE $SDP"
src_fuzz_rtp="src/core/log.c src/media/rtp.c src/webrtc/rtcp.c"
src_fuzz_api="$CORE src/signal/session.c src/signal/api.c src/signal/auth.c"
cflags_fuzz_api="-I$top/src/signal"
src_fuzz_ice_cand="src/core/log.c src/webrtc/ice_cand.c src/webrtc/ice_filter.c"

rm -rf "$out/obj"
mkdir -p "$out/obj"
# Compile a project source once per run (objects shared by the harnesses).
obj() {
	o="$out/obj/$(echo "$1" | tr / _ | sed 's/\.c$/.o/')"
	if [ ! -f "$o" ]; then
		echo "  CC $1" >&2
		# shellcheck disable=SC2086
		$CC $CFLAGS $SAN -fsanitize=fuzzer-no-link $2 -c "$top/$1" -o "$o"
	fi
	echo "$o"
}

for t in fuzz_sdp fuzz_candidate fuzz_rtp fuzz_api fuzz_ice_cand; do
	eval "srcs=\$src_$t"
	eval "extra=\${cflags_$t:-}"
	objs=""
	for s in $srcs; do
		objs="$objs $(obj "$s" "$extra")"
	done
	echo "  LD $t" >&2
	# shellcheck disable=SC2086
	$CC $CFLAGS $SAN -fsanitize=fuzzer $extra "$top/contrib/fuzz/$t.c" $objs $LIBS -o "$out/$t"
done
echo "built in $out: fuzz_sdp fuzz_candidate fuzz_rtp fuzz_api fuzz_ice_cand" >&2
