#!/usr/bin/env bash
# podman the way this project runs it: runc (crun refuses hybrid cgroups), no default
# rlimits (the sandbox refuses them), and its own storage, so the host's is left alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${SVCLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svclink}
command -v podman >/dev/null || { echo "podman is missing: run hack/install-deps.sh" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "hack/podman.sh runs podman as root (rootless needs subuids set up)" >&2; exit 1; }
export CONTAINERS_CONF=$here/containers.conf
exec podman --runtime runc --root "$cache/podman/root" --runroot /run/svclink-podman "$@"
