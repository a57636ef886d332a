#!/usr/bin/env bash
# Bounded loopback load test of `compliance webhook` (release build): a self-signed
# certificate from openssl, the server on 127.0.0.1, and examples/webhook_load.rs.
# Usage: scripts/webhook-load.sh [REQUESTS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-4000}
concurrency=${2:-4}
cargo build --release --quiet --bin compliance --example webhook_load
work=$(mktemp -d)
# a throwaway CA and a serving certificate it signs (rustls refuses a CA as the leaf)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=load-test CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
  -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n' > "$work/ext"
openssl x509 -req -in "$work/tls.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
  -days 1 -extfile "$work/ext" -out "$work/tls.crt" 2>/dev/null
port=$((20000 + RANDOM % 20000))
target/release/compliance webhook --listen "127.0.0.1:$port" --tls-cert "$work/tls.crt" --tls-key "$work/tls.key" 2>"$work/log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do
  curl -sk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
timeout 120 target/release/examples/webhook_load "https://localhost:$port" "$work/ca.crt" --requests "$requests" --concurrency "$concurrency"
echo "server peak RSS: $(grep VmHWM /proc/$server/status | awk '{print $2, $3}')"
