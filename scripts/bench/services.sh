#!/usr/bin/env bash
# The pipeline as separate processes, one per service as in production, under the load tool: how long each service
# takes to be ready, and its resident memory (peak VmRSS, sampled every second) under load (DESIGN §8: ready within
# 2 s, < 200 MB per service).
#   bash scripts/bench/services.sh [load tool arguments, default: --max --duration 60s]
# Needs the local stack (bash infra/stack.sh up) and the load tool's PKI (made on first use, in .cache/load-pki).
# Prints one line per service, then the load report; writes nothing else.
set -euo pipefail
usage() {
  cat <<'USAGE'
usage: bash scripts/bench/services.sh [load tool arguments, default: --max]
  The services as separate processes under the load tool, for DURATION (default 60s): readiness time and peak RSS
  of each service, then the load report. Needs the local stack (bash infra/stack.sh up).
  Environment: PHARMACIES (default 2000), KEYS (default 200), DURATION (default 60s), KAFKA_BROKERS,
  SCHEMA_REGISTRY_URL (default: the local stack), PASSERELLE_RETRY_TIERS (default 1s,5s,30s).
  Load tool arguments: npx tsx scripts/load.ts --help
USAGE
}
for arg in "$@"; do
  case "$arg" in -h|--help) usage; exit 0 ;; esac
done
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
pharmacies="${PHARMACIES:-2000}"
keys="${KEYS:-200}"
pki="$root/.cache/load-pki/$pharmacies-$keys"
node --import tsx -e "require('./scripts/load/pki').loadPki('$pki', $pharmacies, $keys).then((p) => console.log('test PKI', p.cached ? 'reused' : 'made'))"
prefix="svc$(date +%s)."
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The local stack unless the environment names another (the services themselves have no default).
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:19092}" SCHEMA_REGISTRY_URL="${SCHEMA_REGISTRY_URL:-http://127.0.0.1:18081/apis/ccompat/v7}"
export PASSERELLE_TEST_PLATFORM=true PASSERELLE_KEYSTORE_DIR="$pki/keystore" PASSERELLE_TRUST_DIR="$pki/keystore/trust" \
  PASSERELLE_RETRY_TIERS="${PASSERELLE_RETRY_TIERS:-1s,5s,30s}" PASSERELLE_XDS_SOURCE_ID=2.25.329800735698586629295641978511506172918 \
  PASSERELLE_MSS_PRODUCT_REFERENCE=PASSERELLE-DEMO-0.1 PASSERELLE_VENDOR_NAME='Passerelle (load test)' PASSERELLE_TOPIC_PREFIX="$prefix"

services=(composer signer router retrier)
port=19300
for name in "${services[@]}"; do
  port=$((port + 1))
  start=$(date +%s%N)
  # node itself (not npx) so that the pid is the service's process.
  PASSERELLE_METRICS_PORT=$port node --import tsx "services/$name/src/main.ts" >"$work/$name.log" 2>&1 &
  pids+=($!)
  until curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "$name died:"; tail -5 "$work/$name.log"; exit 1; }
    sleep 0.05
  done
  echo "$name: ready $(( ($(date +%s%N) - start) / 1000000 )) ms after spawn (TypeScript loading included), /metrics on :$port"
done
# The services were started one after the other, so each found its topics already there except the first.

sample() {
  while true; do
    for i in "${!services[@]}"; do
      rss=$(awk '/VmRSS/ {print $2}' "/proc/${pids[$i]}/status" 2>/dev/null || echo 0)
      echo "${services[$i]} $rss" >>"$work/rss"
    done
    sleep 1
  done
}
sample &
sampler=$!
pids+=($sampler)
status=0
npx tsx scripts/load.ts --external "$prefix" "${@:---max}" --duration "${DURATION:-60s}" --pharmacies "$pharmacies" --keys "$keys" || status=$?
kill $sampler 2>/dev/null || true
for name in "${services[@]}"; do
  peak=$(awk -v s="$name" '$1 == s && $2 > m {m = $2} END {print m + 0}' "$work/rss")
  echo "$name: peak RSS $((peak / 1024)) MiB"
done
for i in 0 1 2 3; do
  port=$((19301 + i))
  # A service that consumed nothing (the retrier, when nothing failed) has no such line: not an error.
  { curl -s "http://127.0.0.1:$port/metrics" | grep -E '^passerelle_records_consumed_total' | sed "s/^/${services[$i]}: /" | head -3; } || true
done
exit $status
