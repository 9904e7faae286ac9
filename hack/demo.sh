#!/usr/bin/env bash
# The one-command demo (make demo): three local clusters, web in both remotes, two links,
# svclink, a remote scale-up followed in main and, as root, requests showing who answered.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
export SVCLINK_STATE=${SVCLINK_STATE:-$repo/.state/demo}
state=$SVCLINK_STATE/clusters
svclink_pid=""
keep=${DEMO_KEEP:-0}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
dataplane=0
cleanup() {
  [ -n "$svclink_pid" ] && kill -TERM "$svclink_pid" 2>/dev/null && wait "$svclink_pid" 2>/dev/null
  if [ "$dataplane" = 1 ] && [ "$keep" != 1 ]; then "$here/dataplane.sh" down >/dev/null 2>&1 || true; fi
  if [ "$keep" = 1 ]; then
    say "clusters left running (DEMO_KEEP=1); stop them with: SVCLINK_STATE=$SVCLINK_STATE hack/clusters.sh down"
  else
    say "stopping the demo clusters"
    "$here/clusters.sh" down --purge >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building svclink"
make -C "$repo" -s bin/svclink build/tools/podhttp
say "starting three local clusters: main, cluster-a, cluster-b (the first run builds Kubernetes: many minutes)"
"$here/clusters.sh" up main cluster-a cluster-b
kubectl="$(cat "$state/bin-dir")/kubectl"
k() { "$kubectl" --kubeconfig "$state/$1/kubeconfig" "${@:2}"; }

say "installing the ClusterLink CRD, the cloudpilot namespace and svclink's RBAC in main"
k main apply -f "$repo/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml"
k main wait --for condition=established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s
k main apply -f "$repo/manifests/namespace.yaml" -f "$repo/manifests/rbac.yaml"

say "deploying web (2 pods) in both remotes, and a selectorless web Service in main"
for c in cluster-a cluster-b; do
  k "$c" create namespace demo --dry-run=client -o yaml | k "$c" apply -f - >/dev/null
  k "$c" -n demo create deployment web --image=nginx --replicas=2 --dry-run=client -o yaml | k "$c" apply -f - >/dev/null
  k "$c" -n demo create service clusterip web --tcp=80:8080 --dry-run=client -o yaml |
    k "$c" apply -f - >/dev/null
done
k main create namespace demo --dry-run=client -o yaml | k main apply -f - >/dev/null
k main apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: web, namespace: demo}
# kube-proxy pairs Service and slice ports by name: the remotes' is 80-8080 (kubectl's).
spec: {ports: [{name: 80-8080, port: 80, targetPort: 8080}]}
YAML

say "exporting read-only kubeconfigs from the remotes (hack/export-kubeconfig.sh) and declaring ClusterLinks"
for c in cluster-a cluster-b; do
  kubeconfig_b64=$(KUBECTL="$kubectl" "$here/export-kubeconfig.sh" --kubeconfig "$state/$c/kubeconfig")
  k main apply -f - <<YAML
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: $c}
spec:
  kubeconfig: $kubeconfig_b64
YAML
done

# svclink runs as the shipped ServiceAccount (manifests/rbac.yaml), as it would in a pod:
# a token for cloudpilot/svclink in a kubeconfig next to main's CA.
say "starting svclink as ServiceAccount cloudpilot/svclink, with leader election (log: $SVCLINK_STATE/svclink.log)"
sa_kubeconfig=$SVCLINK_STATE/svclink-sa.kubeconfig
token=$("$here/clusters.sh" token main cloudpilot/svclink 2h)
server=$(k main config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
ca=$(k main config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
(umask 077 && cat >"$sa_kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: main, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: svclink, user: {token: "$token"}}]
contexts: [{name: main, context: {cluster: main, user: svclink}}]
current-context: main
YAML
)
unset token
"$repo/bin/svclink" --kubeconfig "$sa_kubeconfig" --leader-elect --leader-elect-namespace cloudpilot \
  --http-address 127.0.0.1:0 >"$SVCLINK_STATE/svclink.log" 2>&1 &
svclink_pid=$!
for _ in $(seq 1 100); do
  n=$(k main -n demo get endpointslices -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai -o name | wc -l)
  [ "$n" -ge 2 ] && break
  sleep 0.2
done
k main wait --for=condition=Ready clusterlink --all --timeout=20s >/dev/null || true
k main get clusterlinks
echo
k main -n demo get endpointslices -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
port=$(grep -o 'address=127\.0\.0\.1:[0-9]*' "$SVCLINK_STATE/svclink.log" | head -n1 | cut -d: -f2)
if [ -n "$port" ]; then
  say "svclink's own view: /leader and some of /metrics (http://127.0.0.1:$port)"
  curl -s "http://127.0.0.1:$port/leader"; echo
  curl -s "http://127.0.0.1:$port/metrics" | grep -E '^svclink_(leader|link_connected|link_endpoints)|^process_resident' || true
fi

# traffic N: N requests from main's client namespace to web.demo by name, counted per pod.
traffic() {
  "$here/dataplane.sh" get "$1" http://web.demo.svc.cluster.local/ | awk '{print $2, $1}' | sort | uniq -c |
    awk '{printf "  %3d requests answered by %-28s (%s)\n", $1, $3, $2}'
}
if [ "$(id -u)" -eq 0 ]; then
  say "data plane: a sandbox per pod, kube-proxy (nftables) and CoreDNS in main (hack/dataplane.sh)"
  dataplane=1
  "$here/dataplane.sh" up main cluster-a cluster-b
  # The sandboxes follow the pods within a second; wait until all four answer.
  for _ in $(seq 1 40); do [ "$(traffic 20 | grep -c 'pod=')" -ge 4 ] && break; sleep 0.25; done
  say "web.demo.svc.cluster.local from main's client resolves to $("$here/dataplane.sh" dns web.demo.svc.cluster.local | tr '\n' ' ')(main's ClusterIP); 20 requests:"
  traffic 20
else
  say "not root: no data plane (network namespaces need root), so no traffic is shown; the objects follow"
fi

say "scaling web in cluster-a from 2 to 4 pods and timing the main cluster"
start=$(date +%s%N)
k cluster-a -n demo scale deployment web --replicas=4 >/dev/null
count() { k main -n demo get endpointslices -l svclink.cloudpilot.ai/cluster=cluster-a -o jsonpath='{range .items[*].endpoints[*]}{.addresses[0]}{" "}{end}' | wc -w; }
for _ in $(seq 1 200); do [ "$(count)" = 4 ] && break; sleep 0.05; done
echo "main cluster shows $(count) endpoints from cluster-a, $(( ($(date +%s%N) - start) / 1000000 )) ms after the scale command"
k main -n demo get endpointslices -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
if [ "$dataplane" = 1 ]; then
  for _ in $(seq 1 40); do [ "$(traffic 30 | grep -c 'cluster=cluster-a')" -ge 4 ] && break; sleep 0.25; done
  say "the same 20 requests now: cluster-a's 4 pods share the traffic with cluster-b's 2"
  traffic 20
fi

if [ -t 0 ] && [ "$keep" != 1 ]; then
  say "press Enter (or Ctrl-C) to stop and clean up"
  read -r _ || true
fi
