#!/usr/bin/env bash
# setup.sh — install everything rtcsip needs on Debian 12, build it, and
# either start the gateway or run the whole test suite.
#
#   contrib/setup.sh run     install, build, start rtcsipd on conf/rtcsipd.conf
#                            (in the background; logs in state/rtcsipd.log)
#                            and a local SIP echo UA (sipp) behind its trunk
#                            "local" at 127.0.0.1:5080
#   contrib/setup.sh stop    stop what `run` started
#   contrib/setup.sh test    install, build, run every test (also the ASan build)
#   contrib/setup.sh deps    only install the Debian packages
#   contrib/setup.sh bench   install, build, run the benchmark (contrib/bench/run,
#                            about 12 minutes; add --quick for a shorter one)
#
# Idempotent: running it again re-uses what is there.  Needs root (apt-get).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc 2>/dev/null || echo 2)

BUILD_DEPS="build-essential autoconf automake libtool pkg-config
  libglib2.0-dev libsofia-sip-ua-dev libsofia-sip-ua-glib-dev libnice-dev
  libsrtp2-dev libssl-dev libopus-dev libspandsp-dev libwebsockets-dev
  libwebsockets-evlib-glib libjansson-dev check"
RUN_DEPS="openssl curl ca-certificates procps sip-tester"
# coturn: test_ice runs its own turnserver on 127.0.0.1 (never the service);
# clang + libclang-rt-14-dev: libFuzzer for tests/fuzz/run.sh
TEST_DEPS="python3 python3-websockets sip-tester baresip chromium coturn clang libclang-rt-14-dev"

say() { printf '\n== %s\n' "$*"; }

deps() {
	local pkgs="$BUILD_DEPS $RUN_DEPS"
	[ "${1:-}" = test ] && pkgs="$pkgs $TEST_DEPS"
	say "installing Debian packages"
	export DEBIAN_FRONTEND=noninteractive
	local had_coturn=0
	[ "$(dpkg-query -W -f='${Status}' coturn 2>/dev/null || true)" = "install ok installed" ] && had_coturn=1
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $pkgs
	# the package may start a system TURN server on every address: not ours
	if [ "$had_coturn" = 0 ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
		systemctl disable --now coturn >/dev/null 2>&1 || true
	fi
	if [ "${1:-}" = test ] && ! command -v node >/dev/null; then
		apt-get install -y -q --no-install-recommends nodejs npm
	fi
	if [ "${1:-}" = test ]; then
		say "installing the e2e test driver (playwright-core from npm; Chromium is Debian's)"
		( cd tests/e2e && npm ci --no-audit --no-fund )
	fi
}

build() { # build [DIR [configure args...]]
	local dir=${1:-build}; shift || true
	say "building in $dir $*"
	[ -x configure ] || autoreconf -fi
	mkdir -p "$dir"
	( cd "$dir" && { [ -f Makefile ] || ../configure -q "$@"; } && make -j"$jobs" )
}

# The SIP UA behind the shipped trunk "local": answers and echoes audio.
sip_echo() {
	if [ -f state/sip-echo.pid ] && kill -0 "$(cat state/sip-echo.pid)" 2>/dev/null; then
		return 0
	fi
	say "starting the local SIP echo UA (sipp) on 127.0.0.1:5080"
	sipp -sf contrib/sip-echo/echo-uas.xml -i 127.0.0.1 -p 5080 -rtp_echo \
		-mi 127.0.0.1 -mp 16000 -bg -nostdin >state/sip-echo.out 2>&1 || true
	sed -n 's/.*PID=\[\([0-9]*\)\].*/\1/p' state/sip-echo.out > state/sip-echo.pid
}

run() {
	build build
	mkdir -p state
	sip_echo
	if [ -f state/rtcsipd.pid ] && kill -0 "$(cat state/rtcsipd.pid)" 2>/dev/null; then
		say "rtcsipd already running (pid $(cat state/rtcsipd.pid))"
	else
		say "starting rtcsipd on conf/rtcsipd.conf"
		build/rtcsipd --config conf/rtcsipd.conf >>state/rtcsipd.log 2>&1 &
		echo $! > state/rtcsipd.pid
	fi
	for _ in $(seq 50); do
		if curl -fsk https://127.0.0.1:8443/healthz >/dev/null 2>&1; then
			say "rtcsipd is up: open https://127.0.0.1:8443/ (self-signed certificate)"
			echo "   health: curl -k https://127.0.0.1:8443/healthz"
			echo "   calls:  build/rtcsip-call --to echo   (built-in echo)"
			echo "           build/rtcsip-call --to 1000   (through SIP to the local echo UA)"
			echo "   logs:   state/rtcsipd.log    stop: contrib/setup.sh stop"
			return 0
		fi
		sleep 0.2
	done
	echo "rtcsipd did not come up; last log lines:" >&2
	tail -n 20 state/rtcsipd.log >&2
	return 1
}

stop() {
	local f
	for f in state/rtcsipd.pid state/sip-echo.pid; do
		[ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
		rm -f "$f"
	done
}

run_tests() { # run_tests DIR LABEL
	local dir=$1 label=$2 rc=0
	say "make check ($label)"
	( cd "$dir" && make -j"$jobs" check ) || rc=$?
	if [ $rc -ne 0 ]; then
		for f in "$dir"/tests/*/*.log; do
			grep -q '^:test-result: \(FAIL\|ERROR\)' "${f%.log}.trs" 2>/dev/null &&
				{ echo "--- $f"; tail -n 60 "$f"; }
		done
	fi
	return $rc
}

summary() { # count results over every .trs of the given build dirs
	local pass=0 fail=0 skip=0 f
	for f in $(find "$@" -name '*.trs' 2>/dev/null); do
		case $(sed -n 's/^:test-result: //p' "$f") in
			PASS) pass=$((pass + 1)) ;;
			SKIP) skip=$((skip + 1)) ;;
			*) fail=$((fail + 1)) ;;
		esac
	done
	echo
	echo "$pass passed, $fail failed, $skip skipped"
}

test_all() {
	local rc=0
	build build --enable-werror
	build build-asan --enable-asan --enable-werror
	run_tests build "regular build" || rc=1
	ASAN_OPTIONS=detect_leaks=0 run_tests build-asan "ASan+UBSan build" || rc=1
	summary build build-asan
	return $rc
}

case "${1:-}" in
	run) deps; run ;;
	stop) stop ;;
	test) deps test; test_all ;;
	deps) deps test ;;
	build) build build ;;
	bench) deps; shift; contrib/bench/run --build-dir build "$@" ;;
	*) sed -n '2,14p' "$0"; exit 2 ;;
esac
