#!/usr/bin/env bash
# Regenerate conf/rtcsipd.conf.sample and README.md's configuration table
# from the key table (src/core/config_table.c).  A unit test checks both.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/rtcsipd}
"$bin" --print-sample-config > "$top/conf/rtcsipd.conf.sample"
"$bin" --print-config-reference > "$top/build/.config-reference.md"
python3 - "$top/README.md" "$top/build/.config-reference.md" <<'PY'
import re, sys
readme, ref = open(sys.argv[1]).read(), open(sys.argv[2]).read()
new = re.sub(r"(<!-- config-reference:begin -->\n).*?(<!-- config-reference:end -->)",
             lambda m: m.group(1) + ref + m.group(2), readme, flags=re.S)
open(sys.argv[1], "w").write(new)
PY
