#!/usr/bin/env bash
# Recording overhead: native wall time vs `vplay-bundle record` wall time.
#
# Usage: examples/bench.sh      (VPLAY_BUNDLE=/path/to/vplay-bundle skips the release build)
#
# Builds vplay in release mode, then runs each workload natively and under
# `vplay-bundle record --path ptrace --output TMP -- …`, both pinned to CPU 0 with `taskset -c 0`
# (the recorder and the recorded tree share one CPU, as docs/architecture.md describes):
#   getppid      1,000,000 getppid syscalls (examples/getppid_loop.c): the worst case
#   xz           xz -T1 -3 of 30 MB of generated, semi-compressible text: mostly CPU
#   tar          tar c /usr/include > /dev/null: many small file syscalls
#                (GNU tar does not read file contents when the archive is /dev/null,
#                so this is open/stat/getdents-heavy)
# Then, BPF path only: getppid x 10,000,000 (the program-load cost amortized), the cost to a
# process that is not recorded while a recording runs (ns per getppid), and redis-server under
# redis-benchmark (server and recorder on CPU 0, client on CPU 1): requests per second, native,
# on each path, and the share of native kept. (VPLAY_BENCH_NO_REDIS=1 skips redis.)
# Then threads: examples/threaded_work.c (four threads hashing, a shared total under a mutex)
# natively on two CPUs, natively on one (as recorded), and recorded on the bpf path; and replay:
# examples/alarm_storm.c (60 SIGALRMs in a syscall-free loop) and examples/late_alarm.c (one
# SIGALRM 400 ms into a tight loop) recorded once each, then replayed: the trial replay's and
# the replay's time, and for late_alarm the cost per pass over the signal's pc of reaching it.
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
gcc -O2 -pthread -o "$work/threaded_work" examples/threaded_work.c
gcc -O1 -o "$work/alarm_storm" examples/alarm_storm.c
gcc -O2 -o "$work/late_alarm" examples/late_alarm.c

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
    # A first, unmeasured run warms the page cache (a cold tar took 0.23 s, a warm one 0.04 s).
    taskset -c 0 "$@" > /dev/null 2>&1 || true
    native=$(time_cmd "$work/native.log" taskset -c 0 "$@")
    recorded=$(time_cmd "$work/record.log" taskset -c 0 "$vplay" record --path ptrace --output "$work/bundles" -- "$@")
    notsc=$(time_cmd "$work/record.log" taskset -c 0 "$vplay" record --path ptrace --no-trap-rdtsc --output "$work/bundles" -- "$@")
    # The BPF path: the recorder pins itself and the program to CPU 0 and its ring-buffer drain
    # to CPU 1 (taskset would hold the drain on CPU 0 too).
    bpf=$(time_cmd "$work/record.log" "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- "$@")
    ratio=$(ratio_of "$native" "$recorded")
    ratio2=$(ratio_of "$native" "$notsc")
    ratio3=$(ratio_of "$native" "$bpf")
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "$name" "$native" "$recorded" "$ratio" "$notsc" "$ratio2" "$bpf" "$ratio3"
}

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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

# ns per getppid of a process that is not recorded, with and without a recording running
# (the BPF programs run for every process on the host).
unrecorded_cost() {
    local n=3000000 before during after
    before=$(time_cmd "$work/native.log" taskset -c 1 "$work/getppid_loop" "$n")
    "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- sleep 4 2>> "$work/record.log" &
    local recorder=$!
    sleep 1
    during=$(time_cmd "$work/native.log" taskset -c 1 "$work/getppid_loop" "$n")
    wait "$recorder" 2> /dev/null || true
    after=$(time_cmd "$work/native.log" taskset -c 1 "$work/getppid_loop" "$n")
    awk -v b="$before" -v d="$during" -v a="$after" -v n="$n" 'BEGIN {
        base = (b + a) / 2;
        printf "%-34s %10.2f s alone, %.2f s while a recording runs: +%.0f ns per call\n",
               "unrecorded getppid x 3,000,000", base, d, (d - base) / n * 1e9 }'
}

# What starting a recording costs, whatever the program: /bin/true natively and recorded on
# each path (medians of 3). A short workload's ratio carries it whole (tar: 0.04 s natively).
startup_cost() {
    local natives=() bpfs=() ptraces=()
    for _ in 1 2 3; do
        natives+=("$(time_cmd "$work/native.log" taskset -c 0 /bin/true)")
        bpfs+=("$(time_cmd "$work/record.log" "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- /bin/true)")
        ptraces+=("$(time_cmd "$work/record.log" taskset -c 0 "$vplay" record --path ptrace --output "$work/bundles" -- /bin/true)")
    done
    printf '%-34s %10s %12s %8s %14s %8s %8s\n' "start-up: /bin/true (medians of 3)" "$(median "${natives[@]}")" \
        "$(median "${ptraces[@]}")" "-" "-" "-" "$(median "${bpfs[@]}")"
}

# A program whose threads want more than one CPU: natively on both CPUs, natively on one (as
# recorded), and recorded on the bpf path (every preemption logged).
threads_bench() {
    rm -rf "$work/bundles"; mkdir -p "$work/bundles"
    local two one bpf
    "$work/threaded_work" > /dev/null
    two=$(time_cmd "$work/native.log" "$work/threaded_work")
    one=$(time_cmd "$work/native.log" taskset -c 0 "$work/threaded_work")
    bpf=$(time_cmd "$work/record.log" "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- "$work/threaded_work")
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "threads: 4 hashing, 2 CPUs native" "$two" "-" "-" "-" "-" "$bpf" "$(ratio_of "$two" "$bpf")"
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "threads: the same on 1 CPU native" "$one" "-" "-" "-" "-" "$bpf" "$(ratio_of "$one" "$bpf")"
}

# replay_bench NAME: records the crashing example once on the bpf path and replays its bundle.
replay_bench() {
    local name="$1"
    rm -rf "$work/bundles"; mkdir -p "$work/bundles"
    local native t0 t1 replay bundle
    native=$(time_crash taskset -c 0 "$work/$name")
    "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- "$work/$name" > "$work/$name.out" 2>> "$work/record.log" || true
    bundle=$(ls "$work"/bundles/*.vplay 2>/dev/null | head -1)
    if [[ -z "$bundle" ]]; then printf '%-22s no bundle (see messages below)\n' "$name"; return; fi
    t0=$(now)
    "$vplay" replay "$bundle" > "$work/$name.replay" 2>> "$work/record.log" || true
    t1=$(now)
    replay=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    "$vplay" inspect --json --syscalls 0 "$bundle" | python3 -c '
import json, re, sys
m = json.load(sys.stdin); name, native, replay, out, rep = sys.argv[1:6]
passes = re.search(r"after ([0-9]+) passes", open(out).read())
per = "%.1f ns" % ((float(replay) - float(native)) / int(passes.group(1)) * 1e9) if passes else "-"
print("%-22s %8s %9.2f %9s %10s %13s %s" % (name, native, m["trial"]["seconds"] if m.get("trial") else -1, replay,
      "verified" if m["verified"] else "UNVERIFIED", per, open(rep).read().strip().split(":")[0]))
' "$name" "$native" "$replay" "$work/$name.out" "$work/$name.replay"
}

# redis_serve PORT [vplay record options...]: starts redis-server (pinned to CPU 0, or recorded
# with its recorder on CPU 0), waits until it answers; prints the pid to wait for.
redis_serve() {
    local port="$1"; shift
    local server=(redis-server --port "$port" --save "" --appendonly no --bind 127.0.0.1 --protected-mode no)
    if (($# == 0)); then
        taskset -c 0 "${server[@]}" > /dev/null 2>&1 &
    else
        "$vplay" record "$@" --cpu 0 --output "$work/bundles" -- "${server[@]}" > /dev/null 2>> "$work/record.log" &
    fi
    local pid=$!
    for _ in $(seq 1 100); do
        redis-cli -p "$port" ping > /dev/null 2>&1 && break
        sleep 0.1
    done
    echo "$pid"
}

# requests per second of SET and GET (the mean of both) against PORT, client on CPU 1.
redis_rate() {
    taskset -c 1 redis-benchmark -p "$1" -n "$2" -c 20 -t set,get -q 2> /dev/null |
        awk '/requests per second/ { for (i = 1; i <= NF; i++) if ($i == "requests") { sum += $(i-1); n++ } }
             END { if (n) printf "%.0f", sum / n; else print "FAILED" }'
}

# one redis-server run: serve (natively, or recorded with the options given), measure, shut down
redis_once() {
    local port="$1" requests="$2"; shift 2
    local pid rate
    pid=$(redis_serve "$port" "$@"); rate=$(redis_rate "$port" "$requests")
    redis-cli -p "$port" shutdown nosave > /dev/null 2>&1 || true; wait "$pid" 2> /dev/null || true
    echo "$rate"
}

# Native and bpf runs alternate, three each (the machine is shared: one run of each varied by
# ±10 %); the medians are compared. The ptrace path runs once, with fewer requests.
redis_bench() {
    local port=16379 natives=() bpfs=() native bpf ptrace
    for _ in 1 2 3; do
        natives+=("$(redis_once $port 200000)")
        bpfs+=("$(redis_once $port 200000 --path bpf)")
    done
    ptrace=$(redis_once $port 20000 --path ptrace)
    if [[ " ${natives[*]} ${bpfs[*]} " == *FAILED* ]]; then native=FAILED; bpf=FAILED; else
        native=$(median "${natives[@]}"); bpf=$(median "${bpfs[@]}"); fi
    printf '%-34s %12s %12s %8s %12s %8s\n' "redis-benchmark -c 20 set,get" "native req/s" "bpf req/s" "kept" "ptrace req/s" "kept"
    awk -v n="$native" -v b="$bpf" -v p="$ptrace" 'BEGIN {
        printf "%-34s %12.0f %12.0f %7.0f%% %12s %7.0f%%\n", "  (medians of 3, alternating)", n, b, (n > 0 ? 100 * b / n : 0), p, (n > 0 ? 100 * p / n : 0) }'
    echo "  runs: native ${natives[*]}; bpf ${bpfs[*]}"
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
    startup_cost
    ten_native=$(time_cmd "$work/native.log" taskset -c 0 "$work/getppid_loop" 10000000)
    ten_bpf=$(time_cmd "$work/record.log" "$vplay" record --path bpf --cpu 0 --output "$work/bundles" -- "$work/getppid_loop" 10000000)
    printf '%-34s %10s %12s %8s %14s %8s %8s %8s\n' "getppid x 10,000,000 (bpf only)" "$ten_native" "-" "-" "-" "-" "$ten_bpf" "$(ratio_of "$ten_native" "$ten_bpf")"
    unrecorded_cost
    threads_bench
    echo
    printf '%-22s %8s %9s %9s %10s %13s %s\n' "async-signal replay" "native s" "trial s" "replay s" "bundle" "per pass" "replay"
    replay_bench alarm_storm
    replay_bench late_alarm
    echo
    if [[ -z "${VPLAY_BENCH_NO_REDIS:-}" ]] && command -v redis-server > /dev/null && command -v redis-benchmark > /dev/null; then
        redis_bench
        echo
    fi
fi

printf '%-22s %8s %10s %9s %12s %12s %14s %9s %10s %s\n' "partial checkpoint" "native s" "recorded s" \
    "capture s" "snapshot s/GiB" "saved B" "resident B" "saved %" "bundle B" ""
checkpoint 512
checkpoint 4096

if [[ -s "$work/record.log" ]]; then
    echo; echo "vplay-bundle messages:"; tail -n 20 "$work/record.log"
fi
