#!/usr/bin/env bash
# Deletes the kind clusters kind/up.sh made (main, cluster-a, cluster-b) and their kubeconfig
# contexts. NOT exercised in CI here (no Docker engine). Environment: KIND (default kind).
set -euo pipefail

KIND=${KIND:-kind}
command -v "$KIND" >/dev/null 2>&1 || { echo "[kind-down] error: $KIND not found" >&2; exit 1; }
existing=$("$KIND" get clusters 2>/dev/null || true)
for c in main cluster-a cluster-b; do
  if grep -qx "$c" <<<"$existing"; then
    "$KIND" delete cluster --name "$c"
  else
    echo "[kind-down] no kind cluster $c" >&2
  fi
done
