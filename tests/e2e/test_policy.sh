#!/usr/bin/env bash
# The address policy and the one-write-per-change rule, on the harness clusters: a remote
# slice carrying main's kubernetes ClusterIP, a Service-CIDR address, a main node address, an
# API server address and addresses inside and outside spec.allowedCIDRs; only the allowed
# land, the status names the dropped and the metric counts them; then a burst of 100
# single-endpoint changes costs exactly one EndpointSlice write each, plus at most one
# coalesced ClusterLink status write per --status-interval window.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=30
STATUS_INTERVAL=10 # svclink's default, stated here so the count below is explicit
BURST=100
work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=pol-$sfx LINK=pol-$sfx NODE=pol-node-$sfx
RUN_LABEL=svclink-e2e-policy
# Addresses: none of them is routed anywhere; svclink only writes them into slices.
KUBE_IP=$(sed -n 's/^SERVICE_IP=//p' "$E2E_STATE/main/cluster.env")   # main's kubernetes ClusterIP
SVC_CIDR=$(sed -n 's/^SERVICE_CIDR=//p' "$E2E_STATE/main/cluster.env") # main's Service CIDR (a ServiceCIDR object)
IN_CIDR=${SVC_CIDR%.0.0/16}.7.7  # inside it, not allocated
FLAG_CIDR=10.213.0.0/16 FLAG_IP=10.213.0.5 # denied by --service-cidrs
NODE_IP=10.211.0.7               # a Node of main (made here)
API_IP=10.212.0.9                # an API server of main (the default/kubernetes slice, made here)
ALLOWED=10.245.0.0/16 OK1=10.245.1.1 OK2=10.245.1.2 OUT_IP=10.246.1.1

cleanup() {
  svc_stop
  km patch clusterlink "$LINK" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  km delete clusterlink "$LINK" --wait=false --ignore-not-found >/dev/null 2>&1
  km delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  km delete node "$NODE" --ignore-not-found >/dev/null 2>&1
  km -n default delete endpointslice kubernetes --ignore-not-found >/dev/null 2>&1
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if km -n default get endpointslice kubernetes >/dev/null 2>&1; then
  e2e_fail "policy: setup" "main already has default/kubernetes EndpointSlice (the harness runs no endpoint reconciler)"
  e2e_finish
fi

# --- setup ----------------------------------------------------------------------------------
if ! { km apply -f "$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null &&
  km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >/dev/null; }; then
  e2e_fail "policy: setup" "the CRD was not applied"
  e2e_finish
fi
{
  ns_yaml "$NS"
  svc_yaml "$NS" web
  svc_yaml "$NS" burst
} | km apply -f - >/dev/null || { e2e_fail "policy: setup" "main objects"; e2e_finish; }
burst_eps=()
for i in $(seq 1 10); do burst_eps+=("10.245.3.$i"); done
{
  ns_yaml "$NS"
  svc_yaml "$NS" web
  svc_yaml "$NS" burst
  slice_yaml "$NS" web web-x "$KUBE_IP" "$IN_CIDR" "$FLAG_IP" "$NODE_IP" "$API_IP" "$OK1" "$OK2" "$OUT_IP"
  slice_yaml "$NS" burst burst-x "${burst_eps[@]}"
} | ka apply -f - >/dev/null || { e2e_fail "policy: setup" "cluster-a objects"; e2e_finish; }
cat <<EOF | km apply -f - >/dev/null || { e2e_fail "policy: setup" "node and API server slice"; e2e_finish; }
apiVersion: v1
kind: Node
metadata: {name: $NODE, labels: {$RUN_LABEL: "$sfx"}}
spec:
  unschedulable: true
  taints: [{key: svclink.test/policy, effect: NoSchedule}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes}
addressType: IPv4
endpoints: [{addresses: [$API_IP]}]
ports: [{name: https, port: 6443, protocol: TCP}]
EOF
km patch node "$NODE" --subresource=status --type merge \
  -p "{\"status\":{\"addresses\":[{\"type\":\"InternalIP\",\"address\":\"$NODE_IP\"},{\"type\":\"Hostname\",\"address\":\"$NODE\"}]}}" >/dev/null ||
  { e2e_fail "policy: setup" "node status"; e2e_finish; }
cat <<EOF | km apply -f - >/dev/null || { e2e_fail "policy: setup" "ClusterLink"; e2e_finish; }
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: $LINK, labels: {$RUN_LABEL: "$sfx"}}
spec:
  kubeconfig: $(b64 "$E2E_STATE/cluster-a/kubeconfig")
  includedNamespaces: [$NS]
  allowedCIDRs: [$ALLOWED]
EOF

svc_start "$work/svclink.log" --service-cidrs "$FLAG_CIDR" --http-address 127.0.0.1:0
port=""
for _ in $(seq 1 50); do
  port=$(grep -oE 'address"?[=:]"?127\.0\.0\.1:[0-9]+' "$SVC_LOG" | head -n1 | grep -oE '[0-9]+$')
  [ -n "$port" ] && break
  sleep 0.1
done
metric() { curl -s -m 3 "http://127.0.0.1:$port/metrics" | grep -F "svclink_endpoints_dropped_total{link=\"$LINK\",reason=\"$1\"}" | awk '{print $2}'; }

# --- 1. the address policy ------------------------------------------------------------------
echo "-- 1. address policy"
addrs() { local_eps "$NS" web "$LINK" | cut -d'|' -f1 | tr '\n' ' '; }
addrs_are() { [ "$(addrs)" = "$1" ]; }
expect "policy: only the allowed endpoints land ($OK1 $OK2)" 20 'echo "local: $(addrs)"' \
  addrs_are "$OK1 $OK2 "
msg() { cl_get "$LINK" "$cond_path.message}"; }
msg_has() { local m; m=$(msg) && for w in "$@"; do [[ $m == *"$w"* ]] || return 1; done; }
expect "t1 policy: the status message names the dropped, with a count" 25 'echo "message: $(msg)"' \
  msg_has "address policy dropped 6 endpoints:" "$KUBE_IP in $NS/web (main Service CIDR)" \
  "$IN_CIDR in $NS/web (main Service CIDR)" "$NODE_IP in $NS/web (main node address)" "and 3 more"
metrics_are() { [ "$(metric service-cidr)/$(metric node)/$(metric apiserver)/$(metric not-allowed)" = "$1" ]; }
expect "a7 policy: svclink_endpoints_dropped_total counts 3 service-cidr, 1 node, 1 apiserver, 1 not-allowed" 10 \
  'echo "service-cidr/node/apiserver/not-allowed: $(metric service-cidr)/$(metric node)/$(metric apiserver)/$(metric not-allowed)"' \
  metrics_are "3/1/1/1"
policy_line() { grep 'msg="\?address policy in use' "$SVC_LOG" | tail -n 1; }
policy_line_has() { local l; l=$(policy_line) && [[ $l == *"$SVC_CIDR"* && $l == *"$FLAG_CIDR"* && $l == *"$KUBE_IP"* ]]; }
check "a8 policy: the log names the Service CIDRs from the API, --service-cidrs and the kubernetes ClusterIP" \
  'policy_line' policy_line_has

# The policy follows the spec and main: a link without allowedCIDRs takes what is outside
# them; a Node gone frees its address.
km patch clusterlink "$LINK" --type json -p '[{"op":"remove","path":"/spec/allowedCIDRs"}]' >/dev/null
expect "policy: without spec.allowedCIDRs the outside address is written too" 20 'echo "local: $(addrs)"' \
  addrs_are "$OK1 $OK2 $OUT_IP "
km delete node "$NODE" >/dev/null
expect "policy: a deleted main Node's address is written again" 20 'echo "local: $(addrs)"' \
  addrs_are "$NODE_IP $OK1 $OK2 $OUT_IP "
four_left() { msg_has "address policy dropped 4 endpoints:" && [ "$(metric not-allowed)" = 1 ]; }
expect "a7 policy: the message now counts 4, the counter keeps what it counted" 25 \
  'echo "message: $(msg) not-allowed=$(metric not-allowed)"' four_left
all_ours() { km get endpointslices -A -l "$MANAGED_SEL" -o jsonpath='{..addresses}'; }
none_denied() { local a; a=$(all_ours) && [ -n "$a" ] && ! grep -qE "\"($KUBE_IP|$IN_CIDR|$FLAG_IP|$API_IP)\"" <<<"$a"; }
check "policy: svclink never wrote a denied address (no slice of main holds one)" 'all_ours' none_denied

# --- 2. one write per change ----------------------------------------------------------------
echo "-- 2. writes per change over a burst of $BURST single-endpoint changes"
# curl with cluster-a's and main's admin certificates: a kubectl start per change would make
# the burst slow, not svclink.
# kcurl CLUSTER PATH [CURL_ARGS...]
kcurl() {
  local c=$1 path=$2 url
  shift 2
  url=$(sed -n 's/^API_URL=//p' "$E2E_STATE/$c/cluster.env")
  curl -s -m 5 --cacert "$E2E_STATE/$c/pki/ca.crt" --cert "$E2E_STATE/$c/pki/admin.crt" \
    --key "$E2E_STATE/$c/pki/admin.key" "$@" "$url$path"
}
local_burst() {
  kcurl main "/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dburst"
}
has_addr() { local_burst | grep -q "\"$1\""; }
burst_count() { local_eps "$NS" burst "$LINK" | grep -c .; }
burst_is() { [ "$(burst_count)" = "$1" ]; }
expect "burst: the 10 starting endpoints are there" 20 'local_eps "$NS" burst "$LINK" | tr "\n" " "' burst_is 10
# Let the status catch up first (the setup's counts), so the window count starts clean.
sleep $((STATUS_INTERVAL + 1))
slice_writes() { grep -E 'msg="?write"? ' "$SVC_LOG" | grep -E 'kind=EndpointSlice ' | grep -c " service=burst "; }
status_writes() { grep -E 'msg="?write"? ' "$SVC_LOG" | grep -E 'kind=ClusterLinkStatus ' | grep -c " link=$LINK\( \|$\)"; }
all_writes() { grep -cE 'msg="?write"? ' "$SVC_LOG"; }
s0=$(slice_writes) t0=$(status_writes) a0=$(all_writes)
start=$(now_ms) seen=0
for i in $(seq 1 "$BURST"); do
  # One endpoint more each time: one real change, and one that changes syncedEndpoints, so
  # without coalescing each would cost a status write too. The new addresses sort last, so
  # only the last local slice changes (the 101st endpoint starts a second one).
  new=10.245.4.$i
  kcurl cluster-a "/apis/discovery.k8s.io/v1/namespaces/$NS/endpointslices/burst-x" -X PATCH \
    -H 'Content-Type: application/json-patch+json' \
    -d "[{\"op\":\"add\",\"path\":\"/endpoints/-\",\"value\":{\"addresses\":[\"$new\"],\"conditions\":{\"ready\":true}}}]" -o /dev/null
  # Each change is seen locally before the next, so none is folded into another.
  if e2e_wait 10 has_addr "$new"; then seen=$((seen + 1)); else break; fi
done
elapsed=$(($(now_ms) - start))
check "b1 burst: each of the $BURST changes reached main (seen $seen)" "echo seen $seen of $BURST" test "$seen" = "$BURST"
# What may still come: the coalesced status write at the end of the last window.
sleep $((STATUS_INTERVAL + 1))
ds=$(($(slice_writes) - s0)) dt=$(($(status_writes) - t0)) da=$(($(all_writes) - a0))
windows=$(((elapsed + STATUS_INTERVAL * 1000 - 1) / (STATUS_INTERVAL * 1000) + 1))
echo "burst: $BURST changes in $(ms_to_s "$elapsed") s: $ds EndpointSlice writes, $dt ClusterLink status writes, $da writes in all"
echo "burst: writes per change $(awk -v a="$ds" -v n="$BURST" 'BEGIN{printf "%.2f", a/n}') (EndpointSlice), $(awk -v a="$da" -v n="$BURST" 'BEGIN{printf "%.2f", a/n}') (everything, status included)"
check "l2 burst: exactly 1.0 EndpointSlice write per change ($ds for $BURST)" "echo $ds slice writes" test "$ds" = "$BURST"
check "t2 burst: status writes coalesced: $dt, at most one per ${STATUS_INTERVAL}s window ($windows windows in $(ms_to_s "$elapsed") s)" \
  "echo $dt status writes; grep ClusterLinkStatus \$SVC_LOG | tail -n 3" test "$dt" -ge 1 -a "$dt" -le "$windows"
check "burst: $((10 + BURST)) endpoints of burst in main" 'echo $(burst_count)' burst_is $((10 + BURST))
check "burst: nothing else was written (all writes = slice + status)" "echo all=$da slice=$ds status=$dt" \
  test "$da" = $((ds + dt))
synced_eps_is() { [ "$(cl_get "$LINK" '{.status.syncedEndpoints}')" = "$1" ]; }
expect "t2 burst: the coalesced status says what is there (syncedEndpoints $((14 + BURST)))" 5 'cl_summary "$LINK"' synced_eps_is $((14 + BURST))
# A condition change is still written at once: disabling the link.
t1=$(status_writes)
km patch clusterlink "$LINK" --type merge -p '{"spec":{"enabled":false}}' >/dev/null
expect "t1 burst: a condition change (Disabled) is written at once, not at the end of a window" 3 'cl_summary "$LINK"' \
  cl_is "$LINK" False Disabled
check "burst: that was one status write" 'echo $(($(status_writes) - t1))' test $(($(status_writes) - t1)) = 1

svc_stop
check "policy: svclink exited 0 on SIGTERM" "echo status $SVC_RC; svc_tail 5" test "$SVC_RC" = 0
e2e_finish
