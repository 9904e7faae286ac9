#!/usr/bin/env bash
# Builds the pinned Toxiproxy server (Shopify's fault-injecting TCP proxy, used by
# tests/e2e/test_badnet.sh) once with `go install` and caches it; prints the binary's path.
set -euo pipefail

TOXIPROXY_VERSION=v2.5.0
cache_root=${SVCLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svclink}
bin_dir="$cache_root/toxiproxy-$TOXIPROXY_VERSION/bin"
if [ ! -x "$bin_dir/toxiproxy-server" ]; then
  command -v go >/dev/null || { echo "[toxiproxy-bin] go is not installed (needed to build toxiproxy)" >&2; exit 1; }
  echo "[toxiproxy-bin] building toxiproxy $TOXIPROXY_VERSION (once)" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@$TOXIPROXY_VERSION" 2>&1 | grep -v '^go: downloading' >&2 || true
  [ -x "$tmp/server" ] || { echo "[toxiproxy-bin] the build gave no binary" >&2; exit 1; }
  mkdir -p "$bin_dir"
  mv "$tmp/server" "$bin_dir/toxiproxy-server"
fi
echo "$bin_dir/toxiproxy-server"
