#!/usr/bin/env bash
# Regenerates README's rule table from `compliance rules --format markdown`.
set -euo pipefail
cd "$(dirname "$0")/.."
table=$(cargo run --quiet -- rules --format markdown)
python3 - "$table" <<'PY'
import sys
start, end = "<!-- rules:start -->\n", "<!-- rules:end -->"
text = open("README.md").read()
a = text.index(start) + len(start)
b = text.index(end)
open("README.md", "w").write(text[:a] + sys.argv[1].rstrip() + "\n" + text[b:])
PY
