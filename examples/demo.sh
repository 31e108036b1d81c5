#!/usr/bin/env bash
# vplay demo: record a crashing program, inspect its bundle, and replay the crash
# with the program and its input file deleted.
#
# Usage: examples/demo.sh        (after `swift build`, from anywhere)
#
# For now this runs the program directly; a later version runs it inside a container.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vplay="${VPLAY_BUNDLE:-$(cd "$root" && swift build --show-bin-path)/vplay-bundle}"
if [[ ! -x "$vplay" ]]; then
    echo "demo: $vplay not found; run 'swift build' in $root first" >&2
    exit 1
fi

work="$(mktemp -d /tmp/vplay-demo-XXXXXX)"
trap 'rm -rf "$work"' EXIT
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "compile examples/file_input.c (reads a file, crashes at an address derived from it)"
gcc -O1 -g -o "$work/file_input" "$root/examples/file_input.c"
printf 'The quick brown fox jumps over the lazy dog.\n' > "$work/input.txt"
echo "gcc -O1 -g -o $work/file_input examples/file_input.c"

step "record: vplay-bundle record --output $work -- file_input input.txt"
set +e
"$vplay" record --output "$work" -- "$work/file_input" "$work/input.txt"
status=$?
set -e
echo "(the command's exit status: $status)"
bundle="$(ls "$work"/*.vplay 2>/dev/null | head -n 1 || true)"
if [[ -z "$bundle" ]]; then
    echo "demo: no bundle was written" >&2
    exit 1
fi

step "inspect: vplay-bundle inspect $(basename "$bundle")"
"$vplay" inspect "$bundle"

step "delete the program and its input: replay needs only the bundle"
rm -f "$work/file_input" "$work/input.txt"
ls -la "$work"

step "replay: vplay-bundle replay $(basename "$bundle") --echo"
cd /
"$vplay" replay "$bundle" --echo
echo "(replay reproduced the crash: same signal, instruction and registers)"
