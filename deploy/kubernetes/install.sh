#!/bin/sh
# Installs vplay on a Kubernetes node, from the DaemonSet's init container (daemonset.yaml).
# The node's filesystem is mounted at $HOST_ROOT (default /host); the binaries and the hooks.d
# files come from $SOURCE (default /opt/vplay, the image's).
#
#   MODE=crio        the hook and the hooks.d files CRI-O reads (and podman)
#   MODE=containerd  the hook and vplay-runtime, and a containerd runtime "vplay" whose runc
#                    shim runs vplay-runtime (BinaryName); containerd must be restarted once
#
# Both write /etc/vplay/config.json on the node unless it exists (it is the node's to edit).
set -eu
HOST_ROOT="${HOST_ROOT:-/host}"
SOURCE="${SOURCE:-/opt/vplay}"
MODE="${MODE:-crio}"
BIN=/usr/local/bin
HOOKS_D=/etc/containers/oci/hooks.d
CONFIG=/etc/vplay/config.json
CONTAINERD_DROP_IN=/etc/containerd/conf.d/vplay.toml

say() { echo "vplay-install: $*"; }

install -d "$HOST_ROOT$BIN" "$HOST_ROOT/etc/vplay"
install -m 0755 "$SOURCE/bin/vplay-hook" "$HOST_ROOT$BIN/vplay-hook"
say "installed $BIN/vplay-hook"
if [ ! -e "$HOST_ROOT$CONFIG" ]; then
    printf '{ "output": "/var/crash/vplay" }\n' > "$HOST_ROOT$CONFIG"
    say "wrote $CONFIG (bundles go to /var/crash/vplay)"
fi

case "$MODE" in
crio)
    install -d "$HOST_ROOT$HOOKS_D"
    for f in "$SOURCE"/oci-hooks/*.json; do
        install -m 0644 "$f" "$HOST_ROOT$HOOKS_D/$(basename "$f")"
        say "installed $HOOKS_D/$(basename "$f")"
    done
    ;;
containerd)
    install -m 0755 "$SOURCE/bin/vplay-runtime" "$HOST_ROOT$BIN/vplay-runtime"
    say "installed $BIN/vplay-runtime"
    install -d "$HOST_ROOT$(dirname "$CONTAINERD_DROP_IN")"
    cat > "$HOST_ROOT$CONTAINERD_DROP_IN" <<TOML
# vplay: the RuntimeClass handler "vplay" (runtimeclass.yaml) runs containers with runc's shim,
# which runs vplay-runtime in place of runc.
version = 2
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.vplay]
  runtime_type = "io.containerd.runc.v2"
  # The CRI passes these pod and container annotations on into config.json.
  pod_annotations = ["io.vplay.*"]
  container_annotations = ["io.vplay.*"]
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.vplay.options]
  BinaryName = "$BIN/vplay-runtime"
TOML
    say "wrote $CONTAINERD_DROP_IN"
    main="$HOST_ROOT/etc/containerd/config.toml"
    if [ -e "$main" ] && grep -q "$CONTAINERD_DROP_IN" "$main"; then
        say "/etc/containerd/config.toml imports it already"
    elif [ -e "$main" ] && grep -q '^imports' "$main"; then
        say "add $CONTAINERD_DROP_IN to the imports of /etc/containerd/config.toml, then restart containerd"
    else
        # imports is a top-level key: it goes before every table.
        { echo "imports = [\"$CONTAINERD_DROP_IN\"]"; [ -e "$main" ] && cat "$main"; } > "$main.vplay-new"
        mv "$main.vplay-new" "$main"
        say "added the import to /etc/containerd/config.toml; restart containerd once (systemctl restart containerd)"
    fi
    ;;
*)
    say "unknown MODE $MODE (crio or containerd)" >&2
    exit 2
    ;;
esac
