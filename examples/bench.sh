#!/usr/bin/env bash
# Recording overhead: native wall time vs `vplay-bundle record` wall time.
#
# Usage: examples/bench.sh      (VPLAY_BUNDLE=/path/to/vplay-bundle skips the release build)
#
# Builds vplay in release mode, then runs each workload natively and under
# `vplay-bundle record --output TMP -- …`, both pinned to CPU 0 with `taskset -c 0`
# (the recorder and the recorded tree share one CPU, as docs/architecture.md describes):
#   getppid      1,000,000 getppid syscalls (examples/getppid_loop.c): the worst case
#   xz           xz -T1 -3 of 30 MB of generated, semi-compressible text: mostly CPU
#   tar          tar c /usr/include > /dev/null: many small file syscalls
#                (GNU tar does not read file contents when the archive is /dev/null,
#                so this is open/stat/getdents-heavy)
# Then the partial checkpoint: examples/big_heap.c writes 512 MiB and 4 GiB of heap, works on
# 8 KiB of it for 3 s and crashes; printed are the run times, the capture time (fatal signal
# to bundle complete), the window-start snapshot time per GiB, and saved bytes vs resident.
# (VPLAY_BENCH_CHECKPOINT_ONLY=1 runs only this part.)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [[ -n "${VPLAY_BUNDLE:-}" ]]; then
    vplay="$VPLAY_BUNDLE"   # an already built vplay-bundle
else
    echo "building release…" >&2
    swift build -c release >&2
    vplay="$(swift build -c release --show-bin-path)/vplay-bundle"
fi

work="$(mktemp -d /tmp/vplay-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/getppid_loop" examples/getppid_loop.c
gcc -O2 -o "$work/big_heap" examples/big_heap.c

# 30 MB of text: repeated vocabulary plus pseudo-random numbers (compresses ~3-5x).
awk 'BEGIN {
    srand(42); split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu", w, " ");
    target = 30 * 1024 * 1024; n = 0;
    while (n < target) {
        line = sprintf("%08d %s %s %s value=%d checksum=%x\n", NR++, w[int(rand()*12)+1],
                       w[int(rand()*12)+1], w[int(rand()*12)+1], int(rand()*1000000), int(rand()*4294967295));
        printf "%s", line; n += length(line);
    }
}' > "$work/data.txt"

now() { date +%s.%N; }

# time_cmd LOG CMD... : wall seconds of CMD (stdout to /dev/null), or FAILED.
time_cmd() {
    local log="$1"; shift
    local t0 t1
    t0=$(now)
    if "$@" > /dev/null 2>> "$log"; then :; else
        local rc=$?
        echo "exit status $rc" >> "$log"
        # A crash-free workload must exit 0 both natively and recorded.
        echo FAILED; return
    fi
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

bench() {
    local name="$1"; shift
    rm -rf "$work/bundles"; mkdir -p "$work/bundles"
    local native recorded ratio notsc ratio2 bpf ratio3
    native=$(time_cmd "$work/native.log" taskset -c 0 "$@")
    recorded=$(time_cmd "$work/record.log" taskset -c 0 "$vplay" record --output "$work/bundles" -- "$@")
    notsc=$(time_cmd "$work/record.log" taskset -c 0 "$vplay" record --no-trap-rdtsc --output "$work/bundles" -- "$@")
    # The BPF path: the recorder pins itself and the program to CPU 0 and its ring-buffer drain
    # to CPU 1 (taskset would hold the drain on CPU 0 too).
    bpf=$(time_cmd "$work/record.log" "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- "$@")
    ratio=$(ratio_of "$native" "$recorded")
    ratio2=$(ratio_of "$native" "$notsc")
    ratio3=$(ratio_of "$native" "$bpf")
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "$name" "$native" "$recorded" "$ratio" "$notsc" "$ratio2" "$bpf" "$ratio3"
}

ratio_of() {
    if [[ "$1" == FAILED || "$2" == FAILED ]]; then echo "-"; return; fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.1fx", b / a; else print "-" }'
}

# Columns 5-6 record without trapping rdtsc (--no-trap-rdtsc): PR_SET_TSC makes every
# context switch rewrite CR4, which in these VMs costs about as much as the ptrace stops.
# The last two record on the BPF path (--path bpf, docs/recording-paths.md).
# wall seconds of a command that is expected to crash (any exit status).
time_crash() {
    local t0 t1
    t0=$(now)
    "$@" > /dev/null 2>> "$work/record.log" || true
    t1=$(now)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

checkpoint() {
    local mib="$1"
    rm -rf "$work/bundles"; mkdir -p "$work/bundles"
    local native recorded bundle
    native=$(time_crash taskset -c 0 "$work/big_heap" "$mib" 3)
    recorded=$(time_crash taskset -c 0 "$vplay" record --window 1 --output "$work/bundles" -- "$work/big_heap" "$mib" 3)
    bundle=$(ls "$work"/bundles/*.vplay 2>/dev/null | head -1)
    if [[ -z "$bundle" ]]; then printf '%-22s no bundle (see messages below)\n' "big_heap $mib MiB"; return; fi
    "$vplay" inspect --json --syscalls 0 "$bundle" | python3 -c '
import json, os, sys
m = json.load(sys.stdin); mem = m["memory"]; gib = mem["residentBytes"] / 2**30
print("%-22s %8s %10s %9.3f %12.4f %12d %14d %8.5f%% %10d %s" % (
    sys.argv[1], sys.argv[2], sys.argv[3], mem.get("captureSeconds", 0), m["window"].get("snapshotSeconds", 0) / gib,
    mem["savedBytes"], mem["residentBytes"], 100 * mem["savedBytes"] / mem["residentBytes"],
    os.path.getsize(sys.argv[4]), "verified" if m["verified"] else "UNVERIFIED"))
' "big_heap $mib MiB" "$native" "$recorded" "$bundle"
}

if [[ -z "${VPLAY_BENCH_CHECKPOINT_ONLY:-}" ]]; then
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "workload" "native s" "ptrace s" "ratio" "no-rdtsc-trap" "ratio" "bpf s" "ratio"
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "--------" "--------" "--------" "-----" "-------------" "-----" "-----" "-----"
    bench "getppid x 1,000,000" "$work/getppid_loop" 1000000
    bench "xz -T1 -3 (30 MB text)" xz -T1 -3 -c "$work/data.txt"
    bench "tar c /usr/include > /dev/null" tar c /usr/include
    echo
fi

printf '%-22s %8s %10s %9s %12s %12s %14s %9s %10s %s\n' "partial checkpoint" "native s" "recorded s" \
    "capture s" "snapshot s/GiB" "saved B" "resident B" "saved %" "bundle B" ""
checkpoint 512
checkpoint 4096

if [[ -s "$work/record.log" ]]; then
    echo; echo "vplay-bundle messages:"; tail -n 20 "$work/record.log"
fi
