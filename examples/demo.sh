#!/usr/bin/env bash
# vplay demo: a crashing container recorded by the OCI hooks under runc, its bundle inspected,
# and the crash replayed natively with the container (image, program, input) deleted.
#
# Usage: examples/demo.sh        (as root, after `swift build`, from anywhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(cd "$root" && swift build --show-bin-path)"
vplay="${VPLAY_BUNDLE:-$bin/vplay-bundle}"
hook="${VPLAY_HOOK:-$bin/vplay-hook}"
for tool in "$vplay" "$hook"; do
    [[ -x "$tool" ]] || { echo "demo: $tool not found; run 'swift build' in $root first" >&2; exit 1; }
done
for tool in runc gcc busybox; do
    command -v "$tool" >/dev/null || { echo "demo: $tool is missing (apt-get install -y runc gcc busybox-static)" >&2; exit 1; }
done

work="$(mktemp -d /tmp/vplay-demo-XXXXXX)"
id="vplay-demo-$$"
cleanup() { runc delete -f "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
if [[ -t 1 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }

step "build a busybox rootfs holding examples/file_input.c (reads a file, crashes at an address derived from it)"
mkdir -p "$work/rootfs/bin" "$work/rootfs/proc" "$work/rootfs/dev" "$work/rootfs/sys" "$work/rootfs/tmp"
cp "$(command -v busybox)" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
gcc -O1 -g -static -o "$work/rootfs/bin/file_input" "$root/examples/file_input.c"
printf 'The quick brown fox jumps over the lazy dog.\n' > "$work/rootfs/input.txt"
(cd "$work" && runc spec)
python3 - "$work/config.json" <<'PY'
import json, sys
path = sys.argv[1]
c = json.load(open(path))
c["process"]["args"] = ["/bin/sh", "-c", "echo container starting; /bin/file_input /input.txt"]
c["process"]["terminal"] = False
c["root"] = {"path": "rootfs", "readonly": False}
json.dump(c, open(path, "w"), indent=2)
PY

step "install the hooks: vplay-hook install --bundle $work"
"$hook" install --bundle "$work" --hook "$hook"

step "run it: runc run -b $work $id"
set +e
runc run -b "$work" "$id"
status=$?
set -e
echo "(the container's exit status: $status)"
bundle="$(ls "$work"/vplay/*.vplay 2>/dev/null | head -n 1 || true)"
[[ -n "$bundle" ]] || { echo "demo: no bundle was written; see /run/vplay/" >&2; exit 1; }
cp "$bundle" "$work/"
bundle="$work/$(basename "$bundle")"

step "inspect: vplay-bundle inspect $(basename "$bundle")"
"$vplay" inspect "$bundle"

step "delete the container: replay needs only the bundle"
runc delete -f "$id" >/dev/null 2>&1 || true
rm -rf "$work/rootfs" "$work/vplay" "$work/config.json"
ls -la "$work"

step "replay: vplay-bundle replay $(basename "$bundle") --echo"
cd /
"$vplay" replay "$bundle" --echo
echo "(replay reproduced the crash: same signal, instruction and registers)"

step "debug: gdb on the replay (no image, no files): continue to the crash, bt, reverse-stepi"
if command -v gdb >/dev/null; then
    "$vplay" debug --gdb "$bundle" --gdb-arg=-batch --gdb-arg=-nx \
        --gdb-arg=-ex --gdb-arg=continue --gdb-arg=-ex --gdb-arg=bt \
        --gdb-arg=-ex --gdb-arg=reverse-stepi --gdb-arg=-ex --gdb-arg='x/i $pc' 2>&1 \
        | grep -v -e '^Reading ' -e 'File transfers from remote targets'
else
    echo "(gdb is not installed: apt-get install -y gdb)"
fi
