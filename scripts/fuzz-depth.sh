#!/usr/bin/env bash
# Issue 12's depth run: each fuzz target to 10 million executions or 30 minutes, whichever
# comes first, one after another, on the stable toolchain without AddressSanitizer (see
# fuzz/README.md). Run two at once on two cores: `scripts/fuzz-depth.sh loader config &
# scripts/fuzz-depth.sh admission scanner escape`. Logs: fuzz/logs/<target>.log; a crash or
# timeout leaves its input in fuzz/artifacts/<target>/ (keep it in tests/regressions/).
# Do not stop a run with SIGSTOP: libFuzzer counts the pause into -timeout and reports it.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
[ -d corpus ] || python3 seed.py 1500
RUSTC_BOOTSTRAP=1 cargo fuzz build --sanitizer none
mkdir -p logs
[ $# -gt 0 ] || set -- loader config scanner admission escape
for t in "$@"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  cp ../tests/regressions/"$t"/* "corpus/$t/" 2>/dev/null || true
  bin=target/x86_64-unknown-linux-gnu/release/$t
  "$bin" "corpus/$t" -runs=10000000 -max_total_time=1800 -timeout=10 -rss_limit_mb=2048 \
    -max_len=262144 -artifact_prefix="artifacts/$t/" -print_final_stats=1 > "logs/$t.log" 2>&1 || true
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|SUMMARY" "logs/$t.log" | sed "s/^/$t: /"
done
