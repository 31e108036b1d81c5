#!/usr/bin/env bash
# redis-server recorded on the bpf path, loaded with redis-benchmark, crashed with its own
# DEBUG SEGFAULT; then the bundle is inspected and replayed.
#
# Usage: examples/redis-crash.sh [RUNS]   (VPLAY_BUNDLE=/path/to/vplay-bundle, default: the
# debug build). Prints, per run, whether the bundle is verified and whether replay reproduced
# the crash. The test suite does this three times (bpfRedisCrash); this runs it as often as
# asked.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vplay="${VPLAY_BUNDLE:-$root/.build/debug/vplay-bundle}"
runs="${1:-3}"
work="$(mktemp -d /tmp/vplay-redis-XXXXXX)"
[[ -n "${VPLAY_KEEP:-}" ]] || trap 'rm -rf "$work"' EXIT
port=$((20000 + $$ % 20000))
for run in $(seq 1 "$runs"); do
    out="$work/run$run"; mkdir -p "$out"
    "$vplay" record --path bpf --output "$out" -- redis-server --port "$port" --save "" --appendonly no \
        --enable-debug-command yes --dir "$out" > "$out/record.log" 2>&1 &
    recorder=$!
    for _ in $(seq 1 100); do redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    redis-benchmark -p "$port" -n 5000 -c 10 -t set,get -q > /dev/null 2>&1
    redis-cli -p "$port" debug segfault > /dev/null 2>&1 || true
    wait "$recorder" || true
    bundle=$(ls "$out"/*.vplay 2>/dev/null | head -1)
    if [[ -z "$bundle" ]]; then echo "run $run: no bundle"; tail -3 "$out/record.log"; continue; fi
    verified=$("$vplay" inspect --json --syscalls 0 "$bundle" | python3 -c 'import json,sys; m=json.load(sys.stdin); print("verified" if m["verified"] else "UNVERIFIED: " + str(m["trial"]["divergence"]))')
    replay=$("$vplay" replay "$bundle" 2>/dev/null | tail -1 || true)
    echo "run $run: $verified; $replay"
done
