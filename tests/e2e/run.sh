#!/usr/bin/env bash
# Run the end-to-end tests in Debian's headless Chromium (automake test).
# Skips (exit 77) when Chromium or the npm packages are not installed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
	echo "SKIP: no Chromium at ${CHROMIUM:-/usr/bin/chromium} (apt-get install chromium)"; exit 77
fi
if [ ! -d "$here/node_modules/playwright-core" ]; then
	echo "SKIP: playwright-core not installed (cd tests/e2e && npm ci)"; exit 77
fi
cd "$here" && exec node --test ./*.test.mjs
