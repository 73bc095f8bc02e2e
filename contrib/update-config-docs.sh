#!/usr/bin/env bash
# Regenerate conf/rtcsipd.conf.sample and README.md's configuration table
# from the key table (src/core/config_table.c).  A unit test checks both.
# Usage: contrib/update-config-docs.sh [BUILD_DIR/rtcsipd]   (default build/rtcsipd)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/rtcsipd}
# Temporary files go next to the binary (the caller's build dir, not build/).
# Both are written there first, so a failing binary leaves the repo as it was.
builddir=$(cd "$(dirname "$bin")" && pwd)
tmp=$(mktemp "$builddir/.config-reference.XXXXXX")
sample=$(mktemp "$builddir/.config-sample.XXXXXX")
trap 'rm -f "$tmp" "$sample"' EXIT
"$bin" --print-config-reference > "$tmp"
"$bin" --print-sample-config > "$sample"
cat "$sample" > "$top/conf/rtcsipd.conf.sample"
python3 - "$top/README.md" "$tmp" <<'PY'
import re, sys
readme, ref = open(sys.argv[1]).read(), open(sys.argv[2]).read()
new, n = re.subn(r"(<!-- config-reference:begin -->\n).*?(<!-- config-reference:end -->)",
                 lambda m: m.group(1) + ref + m.group(2), readme, flags=re.S)
if n != 1:
    sys.exit("README.md: expected one config-reference block, found %d" % n)
open(sys.argv[1], "w").write(new)
PY
