#!/usr/bin/env bash
# Times `compliance check` (release) on the vendored corpus (tests/corpus) and on scaled copies of it, next
# to a parse-only floor (reading and parsing the same files, no facts, no Cedar, no
# report: the example binary `parse_floor`). Copies are made by examples/scale_corpus.rs. COMPLIANCE_TIMINGS=1 makes the check print
# its stage timings to stderr. Usage: scripts/bench.sh [COPIES...]   (default: 1 10)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${CORPUS:-tests/corpus}
cargo build --release --quiet --bin compliance --example parse_floor --example scale_corpus
bin=target/release/compliance
floor=target/release/examples/parse_floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
set -- ${@:-1 10}
for n1 in "$@"; do
  {
    dir="$work/x$n1"
    mkdir -p "$dir"
    # renamed copies: copy i has every object renamed `<name>-c<i>` in `<namespace>-c<i>`
    target/release/examples/scale_corpus "$corpus" "$dir" "$n1"
    bytes=$(find "$dir" -type f -printf "%s\n" | awk "{s+=\$1} END {print s}")
    /usr/bin/time -f "%e s wall, %M KiB peak RSS" -o "$work/t1" env COMPLIANCE_TIMINGS=1 "$bin" check "$dir" --format json --now 2026-11-24T00:00:00Z --output "$work/report.json" || true
    /usr/bin/time -f "%e s wall, %M KiB peak RSS" -o "$work/t2" "$floor" "$dir" > "$work/floor.txt"
    docs=$(python3 -c "import json;print(json.load(open('$work/report.json'))['summary']['documents'])")
    echo "x$n1: $bytes bytes, $docs documents"
    echo "  check:       $(grep -v '^timing' "$work/t1" | tail -1)"
    grep '^timing' "$work/t1" | sed 's/^/    /' || true
    echo "  parse floor: $(cat "$work/t2")  ($(cat "$work/floor.txt"))"
    rm -rf "$dir"
  }
done
