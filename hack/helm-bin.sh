#!/usr/bin/env bash
# Builds the pinned helm (hack/helm-tools/go.mod) once through Go's module download path and
# caches it outside the checkout, keyed by version; prints the path of the helm binary.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
HELM_VERSION=$(awk '$1=="require" && $2=="helm.sh/helm/v3"{print $3; exit}' "$here/helm-tools/go.mod")
[ -n "$HELM_VERSION" ] || { echo "[helm-bin] no helm.sh/helm/v3 pin in hack/helm-tools/go.mod" >&2; exit 1; }
cache_root=${SVCLINK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/svclink}
bin_dir="$cache_root/helm-$HELM_VERSION/bin"
if [ ! -x "$bin_dir/helm" ]; then
  command -v go >/dev/null || { echo "[helm-bin] go is not installed (needed to build helm)" >&2; exit 1; }
  echo "[helm-bin] building helm $HELM_VERSION (a few minutes, once)" >&2
  mkdir -p "$bin_dir"
  start=$SECONDS
  # helm prints its version from these variables; -trimpath keeps build paths out.
  ( cd "$here/helm-tools" && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
      -o "$bin_dir/helm.tmp" helm.sh/helm/v3/cmd/helm )
  mv "$bin_dir/helm.tmp" "$bin_dir/helm"
  echo "[helm-bin] built helm in $((SECONDS - start))s" >&2
fi
echo "$bin_dir/helm"
