#!/usr/bin/env bash
# Peak memory and latency of `compliance webhook` under the worst 3 MiB AdmissionReview:
# the server on 127.0.0.1 over TLS (self-signed), REVIEW sent N times one after another,
# then C at once; prints each latency, p50/p99, the answer's size and VmHWM.
# Usage: scripts/webhook-worst.sh BINARY REVIEW.json [N] [C]
set -euo pipefail
bin=$1 review=$2 n=${3:-10} c=${4:-3}
work=$(mktemp -d)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
port=$((20000 + RANDOM % 20000))
"$bin" webhook --listen "127.0.0.1:$port" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" 2>"$work/log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  curl -sk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
hwm() { awk '/VmHWM/ {print $2}' /proc/$server/status; }
echo "warm: VmRSS $(awk '/VmRSS/ {print $2}' /proc/$server/status) kB"
post() {
  curl -sk -o "$work/out.$1" -w '%{time_total} %{http_code}\n' -H 'content-type: application/json' \
    --data-binary @"$review" "https://127.0.0.1:$port/validate" || echo "0 failed"
}
: > "$work/times"
for i in $(seq 1 "$n"); do post "$i" >> "$work/times"; done
echo "sequential: $n reviews, answer $(wc -c < "$work/out.1") bytes, VmHWM $(hwm) kB"
for i in $(seq 1 "$c"); do post "c$i" > "$work/ct.$i" & done
wait $(jobs -p | grep -v "^$server\$") 2>/dev/null || true
sleep 0.2
cat "$work"/ct.* >> "$work/times"
echo "plus $c at once: VmHWM $(hwm) kB"
echo "answers other than 200: $(awk '$2 != 200' "$work/times" | wc -l)"
sort -n "$work/times" | awk '{a[NR]=$1} END {p50=a[int((NR+1)/2)]; i=int(NR*0.99+0.999); if(i>NR)i=NR; printf "latency (s) over %d: min %.3f p50 %.3f p99 %.3f max %.3f\n", NR, a[1], p50, a[i], a[NR]}'
head -c 400 "$work/out.1"; echo
tail -n 1 "$work/log" | head -c 600; echo
