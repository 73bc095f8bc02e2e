#!/bin/bash
# tests/fuzz/run.sh — the parsers of untrusted input under libFuzzer, briefly.
#
# Builds contrib/fuzz's harnesses (SDP, ICE candidates twice over, RTP/RTCP,
# the browser JSON API with JWT) with clang's libFuzzer, ASan and UBSan, and
# runs each for FUZZ_SECONDS (default 15) from the seeds in tests/fuzz/seeds
# (the SDP one also from ../shared/fixtures' SDPs when that folder exists,
# read in place).  Any crash, sanitizer report, leak, hang over 5 s or
# failed oracle (see contrib/fuzz/README.md) fails the test, and the input
# that did it is left in the build's fuzz/crashes folder.  Skipped (77),
# saying so, without clang's libFuzzer (contrib/setup.sh deps test
# installs it), and in the --enable-asan build's suite: the harnesses are
# built the same way for both, so the regular build's run is the one.
set -uo pipefail
src=${GW_TEST_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${GW_TEST_BUILDDIR:-.}/fuzz
secs=${FUZZ_SECONDS:-15}
fixtures=$src/../shared/fixtures

if [ -n "${GW_TEST_SANITIZED:-}" ]; then
	echo "SKIP: the regular build's run covers it (the harnesses have their own sanitizers)"
	exit 77
fi
if ! command -v clang >/dev/null ||
   ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
	echo "SKIP: no clang with libFuzzer here (Debian: clang libclang-rt-14-dev)"
	exit 77
fi
FUZZ_CC=clang "$src/contrib/fuzz/build.sh" "$out/bin" || exit 1
rm -rf "$out/crashes" && mkdir -p "$out/crashes"

failed=0
corpus=
trap 'rm -rf "$corpus"' EXIT
for t in sdp candidate ice_cand rtp api; do
	dirs=("$src/tests/fuzz/seeds/$t")
	case $t in
	sdp) ml=16384
	     for d in "$fixtures/browser_sdp" "$fixtures/sip_sdp"; do
		     [ -d "$d" ] && dirs+=("$d")
	     done;;
	api) ml=8192;;
	candidate|ice_cand) ml=2600;;
	*) ml=1500;;
	esac
	dict=()
	[ -f "$src/contrib/fuzz/$t.dict" ] && dict=("-dict=$src/contrib/fuzz/$t.dict")
	corpus=$(mktemp -d)
	echo "== fuzz_$t: ${secs} s from ${dirs[*]}"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	"$out/bin/fuzz_$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=5 \
		-max_len="$ml" "${dict[@]}" -print_final_stats=1 \
		-artifact_prefix="$out/crashes/$t-" "$corpus" "${dirs[@]}" >"$out/$t.log" 2>&1
	rc=$?
	rm -rf "$corpus"
	grep -E '^(INFO: Seed:|INFO: seed corpus|Done|stat::number_of_executed_units)' "$out/$t.log"
	if [ "$rc" -ne 0 ]; then
		# the report whole (stack, the input's bytes), from its first line
		sed -n '/^==[0-9]*==\|runtime error\|^ORACLE\|^ALARM\|^SUMMARY/,$p' "$out/$t.log" | head -80
		echo "FAIL: fuzz_$t exited $rc; the input: $(ls "$out/crashes/$t-"* 2>/dev/null)"
		failed=1
	fi
done
[ -d "$fixtures" ] || echo "(../shared/fixtures absent: the SDP fuzzer started from its own seeds only)"
exit $failed
