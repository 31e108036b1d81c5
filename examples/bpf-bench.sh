#!/usr/bin/env bash
# Measures what the BPF syscall logger costs (see docs/recording-paths.md): builds the BPF object
# with scripts/build-bpf.sh and examples/bpf-bench.c with the loader of CVPlayBPF, and runs it.
# As root. Usage: examples/bpf-bench.sh [ITERATIONS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work=$(mktemp -d /tmp/vplay-bpf-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$root/scripts/build-bpf.sh" "$root/Sources/CVPlayBPF/bpf/syscalls.bpf.c" "$root/Sources/CVPlayBPF/include" "$work" >&2
gcc -O2 -pthread -I "$root/Sources/CVPlayBPF/include" -o "$work/bpf-bench" \
    "$root/examples/bpf-bench.c" "$root/Sources/CVPlayBPF/loader.c" -lbpf -lseccomp
"$work/bpf-bench" "$work/syscalls.bpf.o" "${1:-1000000}"
