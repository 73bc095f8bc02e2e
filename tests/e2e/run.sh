#!/usr/bin/env bash
# Run the end-to-end tests in Debian's headless Chromium (automake test):
# every tests/e2e/*.test.mjs, one file at a time (each starts its own
# daemon on its own loopback address).  Skips (exit 77) when Chromium,
# sipp or the npm packages are not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "SKIP: no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"; exit 77
fi
if [ ! -x "${SIPP:-/usr/bin/sipp}" ]; then
	echo "SKIP: no sipp at ${SIPP:-/usr/bin/sipp} (apt-get install sip-tester)"; exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "SKIP: playwright-core not installed (cd tests/e2e && npm ci)"; exit 77
fi
# --test-force-exit (node >= 20): a test that leaves a socket or timer open
# must not hang `make check` once every test has reported.  Debian 12 has
# node 18, which lacks it.
opts="--test-concurrency=1"
if node --help 2>/dev/null | grep -q -- '--test-force-exit'; then
	opts="$opts --test-force-exit"
fi
cd "$here" && exec node --test $opts ./*.test.mjs
