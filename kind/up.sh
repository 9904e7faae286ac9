#!/usr/bin/env bash
# Three kind clusters (main, cluster-a, cluster-b) with pod networks routed between them,
# svclink built as an image and deployed into main from manifests/, and one ClusterLink per
# remote made with hack/export-kubeconfig.sh.
#
# NOT exercised in CI here: the CI machine has no Docker engine, so this script has never
# run in this project's pipeline. The tests use real control planes on loopback instead
# (hack/clusters.sh, make demo). Needs docker, kind and kubectl on a workstation.
#
# Environment: KIND, DOCKER, KUBECTL (the commands; default kind, docker, kubectl),
# KIND_NETWORK (the docker network kind uses; default kind), SVCLINK_IMAGE (default
# localhost/svclink:0.1.0, the name manifests/deployment.yaml uses). Clusters that exist already are
# kept; running it again re-applies everything (idempotent). kind/down.sh deletes them.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
KIND=${KIND:-kind}
DOCKER=${DOCKER:-docker}
KUBECTL=${KUBECTL:-kubectl}
KIND_NETWORK=${KIND_NETWORK:-kind}
IMAGE=${SVCLINK_IMAGE:-localhost/svclink:0.1.0}
MAIN=main
REMOTES=(cluster-a cluster-b)
CLUSTERS=("$MAIN" "${REMOTES[@]}")

log() { printf '\n[kind-up] %s\n' "$*" >&2; }
die() { printf '[kind-up] error: %s\n' "$*" >&2; exit 1; }

for t in "$KIND" "$DOCKER" "$KUBECTL"; do
  command -v "$t" >/dev/null 2>&1 || die "$t not found"
done
"$DOCKER" info >/dev/null 2>&1 || die "cannot talk to the Docker engine ('$DOCKER info' failed)"

# kc CLUSTER ARGS...: kubectl against a kind cluster (kind names the context kind-NAME).
kc() {
  local c=$1
  shift
  "$KUBECTL" --context "kind-$c" "$@"
}

# --- clusters --------------------------------------------------------------------------------
existing=$("$KIND" get clusters 2>/dev/null || true)
for c in "${CLUSTERS[@]}"; do
  if grep -qx "$c" <<<"$existing"; then
    log "kind cluster $c exists; keeping it"
  else
    log "creating kind cluster $c ($here/$c.yaml)"
    "$KIND" create cluster --name "$c" --config "$here/$c.yaml" --wait 180s
  fi
done

# --- routes between the clusters' pod networks -----------------------------------------------
# Every node gets a route to each /24 of every node of the other clusters, via that node's
# address on the shared docker network. (kindnet masquerades pod traffic that leaves its own
# cluster's podSubnet, so the far side sees the node's address and replies to it directly.)
node_ip() {
  "$DOCKER" inspect -f "{{ (index .NetworkSettings.Networks \"$KIND_NETWORK\").IPAddress }}" "$1"
}
declare -A NODE_IP=() NODE_CIDR=() NODE_CLUSTER=()
NODES=()
for c in "${CLUSTERS[@]}"; do
  for n in $("$KIND" get nodes --name "$c" | sort); do
    NODES+=("$n")
    NODE_CLUSTER[$n]=$c
    NODE_IP[$n]=$(node_ip "$n")
    [ -n "${NODE_IP[$n]}" ] || die "node $n has no address on docker network $KIND_NETWORK"
    NODE_CIDR[$n]=$(kc "$c" get node "$n" -o jsonpath='{.spec.podCIDR}')
    [ -n "${NODE_CIDR[$n]}" ] || die "node $n of $c has no spec.podCIDR yet"
  done
done
log "routing pod networks between the clusters"
for n in "${NODES[@]}"; do
  for m in "${NODES[@]}"; do
    [ "${NODE_CLUSTER[$n]}" != "${NODE_CLUSTER[$m]}" ] || continue
    echo "  $n: ${NODE_CIDR[$m]} via ${NODE_IP[$m]} ($m)" >&2
    "$DOCKER" exec "$n" ip route replace "${NODE_CIDR[$m]}" via "${NODE_IP[$m]}"
  done
done

# --- the image -------------------------------------------------------------------------------
log "building $IMAGE (Dockerfile.scratch) and loading it into $MAIN"
"$DOCKER" build -f "$repo/Dockerfile.scratch" -t "$IMAGE" "$repo"
"$KIND" load docker-image "$IMAGE" --name "$MAIN"

# --- svclink in main, read-only access in the remotes ------------------------------------------
log "installing svclink in $MAIN"
kc "$MAIN" apply -f "$repo/manifests/namespace.yaml"
kc "$MAIN" apply -f "$repo/manifests/crds/"
kc "$MAIN" wait --for condition=Established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s
kc "$MAIN" apply -f "$repo/manifests/rbac.yaml"
if [ "$IMAGE" = localhost/svclink:0.1.0 ]; then
  kc "$MAIN" apply -f "$repo/manifests/deployment.yaml"
else
  sed "s|image: localhost/svclink:0.1.0|image: $IMAGE|" "$repo/manifests/deployment.yaml" | kc "$MAIN" apply -f -
fi
kc "$MAIN" -n cloudpilot rollout status deployment/svclink --timeout=180s

for r in "${REMOTES[@]}"; do
  log "read-only access for svclink in $r, and ClusterLink $r in $MAIN"
  kc "$r" apply -f "$repo/manifests/remote/remote-rbac.yaml"
  # The kubeconfig kind writes for this machine names a port on localhost; svclink's pods
  # reach the remote API server by its node's name on the docker network instead (the
  # address `kind get kubeconfig --internal` gives; the API server's certificate names it).
  internal=$("$KIND" get kubeconfig --internal --name "$r" | sed -n 's/^ *server: *//p' | head -n 1)
  [ -n "$internal" ] || die "no server in 'kind get kubeconfig --internal --name $r'"
  kubeconfig_b64=$(KUBECTL=$KUBECTL "$repo/hack/export-kubeconfig.sh" --context "kind-$r" --server "$internal")
  kc "$MAIN" apply -f - <<EOF
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata:
  name: $r
spec:
  kubeconfig: $kubeconfig_b64
EOF
done

log "waiting for the links to become Ready"
for r in "${REMOTES[@]}"; do
  kc "$MAIN" wait --for condition=Ready "clusterlink/$r" --timeout=120s ||
    log "clusterlink/$r is not Ready yet: see kubectl --context kind-$MAIN get clusterlink $r -o yaml"
done
kc "$MAIN" get clusterlinks
cat >&2 <<EOF

[kind-up] done. Try it: a Deployment and Service in a remote, a selectorless Service of the
same namespace/name in main, then
  $KUBECTL --context kind-$MAIN get endpointslices -A -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
Remove everything with kind/down.sh.
EOF
