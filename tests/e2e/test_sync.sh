#!/usr/bin/env bash
# Acceptance tests of the sync engine against docs/sync-contract.md on the harness clusters:
# ClusterLinks from main to cluster-a and cluster-b, the EndpointSlices svclink writes,
# filters, disable and delete, self-healing, bad kubeconfigs, an API server outage, restarts
# and --sync-services-to-local-cluster. One setup; three svclink runs (plus one refused).
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them). E2E_KEEP=1 keeps
# the work directory with svclink's logs; E2E_SYNC_CRD overrides the CRD file.
#
# Order (sections keep the numbers of the scenario list; some run out of order because they
# share state): 0 refused flag; setup; run 1: 1 web, 2 scaling, 3 filters, 4 no local
# Service, 5 names, 6 250 endpoints, 9 bad kubeconfigs, 7 disable/enable/delete, 8 hand edits
# and idle writes, 10 outage, 12 local Service deleted; link deleted while stopped; run 2: 11
# restart; run 3 (--included-namespaces, --sync-services-to-local-cluster): 3b and 4b;
# every link deleted; cleanup (also on failure, from the EXIT trap).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=5
WANT_VERSION=v1.33.13
CRD=${E2E_SYNC_CRD:-$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml}
work=$(mktemp -d)
# A private copy: a rebuild of bin/svclink while the tests run must not change the binary
# under a running svclink.
cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
RUN_LABEL=svclink-e2e-sync # on every ClusterLink of this script; value: the run's suffix

# Namespaces (unique per run: a rerun never meets the previous one still terminating).
NS1=sw-$sfx                                          # web Deployments in both remotes
NSF1=fi1-$sfx NSF2=fi2-$sfx NSFO=fout-$sfx NSFB=fboth-$sfx # filters
NS4=sp-$sfx                                          # a local Service svclink did not create
NS4M=sn-$sfx                                         # only in cluster-a
NS5=sc-$sfx                                          # slice-name collisions
NS6=sb-$sfx                                          # 250 endpoints; endpoint fields
KS=e2e-ks-$sfx                                       # a Service in kube-system
MAIN_NS=("$NS1" "$NSF1" "$NSF2" "$NSFO" "$NSFB" "$NS4" "$NS5" "$NS6")
A_NS=("${MAIN_NS[@]}" "$NS4M")

# Links. LA and LB sync everything from cluster-a and cluster-b; LF (cluster-a) carries the
# filters; LC, LBC and L50 (cluster-a) only include NS5.
LA=ca-$sfx LB=cb-$sfx LF=flt-$sfx LC=c-$sfx LBC=b-c-$sfx
L50=e2e.l50-$sfx-
while [ "${#L50}" -lt 50 ]; do L50+=x; done
S60_1=svc-sixty-chars-$(printf 'y%.0s' $(seq 1 41))-1
S60_2=${S60_1%-1}-2
SECRET=cb-$sfx-kubeconfig
CREATED_CLOUDPILOT=0
APISERVER_B_DOWN=0

harness() { SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" "$@"; }

cleanup() {
  if [ "$APISERVER_B_DOWN" = 1 ]; then harness apiserver cluster-b start >/dev/null 2>&1; fi
  svc_stop
  run_links_delete
  km delete namespace "${MAIN_NS[@]}" "$NS4M" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete namespace "${A_NS[@]}" --wait=false --ignore-not-found >/dev/null 2>&1
  kb delete namespace "$NS1" --wait=false --ignore-not-found >/dev/null 2>&1
  km -n kube-system delete service "$KS" --ignore-not-found >/dev/null 2>&1
  ka -n kube-system delete service,endpointslice "$KS" --ignore-not-found >/dev/null 2>&1
  km -n cloudpilot delete secret "$SECRET" --ignore-not-found >/dev/null 2>&1
  if [ "$CREATED_CLOUDPILOT" = 1 ]; then km delete namespace cloudpilot --wait=false >/dev/null 2>&1; fi
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

KA_B64=$(b64 "$E2E_STATE/cluster-a/kubeconfig")
api_url() { sed -n 's/^API_URL=//p' "$E2E_STATE/$1/cluster.env"; }
cluster_var() { sed -n "s/^$2=//p" "$E2E_STATE/$1/cluster.env"; }

echo "-- run suffix $sfx, work directory $work"

# === 0. --included-namespaces kube-system is refused at start ==================================
svc_start "$work/run0.log" --included-namespaces "$NS1,kube-system"
if e2e_wait 15 pid_gone "$SVC_PID"; then
  wait "$SVC_PID"; rc=$?
  if [ "$rc" -ne 0 ] && grep -q kube-system "$work/run0.log"; then
    e2e_pass "sync: --included-namespaces with kube-system exits non-zero naming it (rc=$rc)"
  else
    fail "sync: --included-namespaces with kube-system exits non-zero naming it" "rc=$rc: $(svc_tail 3)"
  fi
else
  fail "sync: --included-namespaces with kube-system exits non-zero naming it" "still running after 15 s"
fi
svc_stop

# === setup ====================================================================================
if [ ! -f "$CRD" ]; then
  fail "sync: CRD applied and Established" "no CRD at $CRD"
  e2e_finish
fi
if km apply -f "$CRD" >"$work/crd.out" 2>&1 &&
  km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >>"$work/crd.out" 2>&1; then
  e2e_pass "sync: CRD applied and Established"
else
  fail "sync: CRD applied and Established" "$(tr '\n' ' ' <"$work/crd.out")"
  e2e_finish
fi
# Links left by an earlier run that could not clean up: the coming svclink run finalizes them.
km delete clusterlinks -l "$RUN_LABEL" --wait=false >/dev/null 2>&1

# cluster-a: everything remote; hand-written EndpointSlices where Deployments are not needed.
{
  for ns in "${A_NS[@]}"; do ns_yaml "$ns"; done
  deploy_yaml "$NS1" web 2
  svc_yaml "$NS1" web web
  svc_yaml "$NS1" kubernetes web # the name is never synced, whatever the namespace
  svc_yaml "$NS1" gone web       # its local Service is deleted in part 12
  svc_yaml "$NS1" nolocal web    # never created locally (no --sync-services-to-local-cluster)
  svc_yaml kube-system "$KS"
  slice_yaml kube-system "$KS" "$KS" 10.246.0.1
  n=1
  for s in "$NSF1/svc-ok" "$NSF1/svc-x" "$NSF1/svc-y" "$NSF2/svc-x" "$NSF2/svc-y" "$NSFO/svc-ok" "$NSFB/svc-ok" \
    "$NS4/pre" "$NS4/made" "$NS5/a-b" "$NS5/a" "$NS5/$S60_1" "$NS5/$S60_2"; do
    svc_yaml "${s%/*}" "${s#*/}"
    slice_yaml "${s%/*}" "${s#*/}" "${s#*/}-1" "10.246.1.$n" "10.246.2.$n"
    n=$((n + 1))
  done
  # NS4M/np: a NodePort Service with two ports; its local copy must not get a nodePort.
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: np, namespace: $NS4M}
spec:
  type: NodePort
  ipFamilyPolicy: SingleStack
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}
  - {name: dns, port: 53, targetPort: 5353, protocol: UDP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: np-1, namespace: $NS4M, labels: {kubernetes.io/service-name: np}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}, {name: dns, port: 5353, protocol: UDP}]
endpoints:
- addresses: [10.246.4.1]
- addresses: [10.246.4.2]
EOF
  # NS6/big: 250 endpoints in slices of 100, 100 and 50, addresses shuffled across them;
  # every octet has three digits so text order is numeric order.
  svc_yaml "$NS6" big
  for k in 0 1 2; do
    addrs=()
    for ((i = k * 100; i < k * 100 + 100 && i < 250; i++)); do
      j=$(((i * 7) % 250))
      addrs+=("10.246.$((100 + j / 100)).$((100 + j % 100))")
    done
    slice_yaml "$NS6" big "big-$k" "${addrs[@]}"
  done
  # NS6/cond: endpoint fields: nil conditions, not ready but serving and terminating, a
  # hostname; nodeName, zone, targetRef and hints must not be copied.
  svc_yaml "$NS6" cond
  cat <<EOF
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: cond-1, namespace: $NS6, labels: {kubernetes.io/service-name: cond}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}]
endpoints:
- addresses: [10.246.9.1]
  hostname: h1
  nodeName: node-x
  zone: zone-x
  hints: {forZones: [{name: zone-x}]}
  targetRef: {kind: Pod, name: p1, namespace: $NS6}
- addresses: [10.246.9.2]
  conditions: {ready: false, serving: true, terminating: true}
- addresses: [10.246.9.3]
  conditions: {ready: true}
EOF
} >"$work/cluster-a.yaml"
{
  ns_yaml "$NS1"
  deploy_yaml "$NS1" web 2
  svc_yaml "$NS1" web web
} >"$work/cluster-b.yaml"
# main: the local Services (selectorless), except NS1/nolocal, NS4/made and all of NS4M.
{
  for ns in "${MAIN_NS[@]}"; do ns_yaml "$ns"; done
  for s in "$NS1/web" "$NS1/kubernetes" "$NS1/gone" "kube-system/$KS" \
    "$NSF1/svc-ok" "$NSF1/svc-x" "$NSF1/svc-y" "$NSF2/svc-x" "$NSF2/svc-y" "$NSFO/svc-ok" "$NSFB/svc-ok" \
    "$NS5/a-b" "$NS5/a" "$NS5/$S60_1" "$NS5/$S60_2" "$NS6/big" "$NS6/cond"; do
    svc_yaml "${s%/*}" "${s#*/}"
  done
  # NS4/pre: exists locally with other ports and labels; svclink must never modify it.
  cat <<EOF
---
apiVersion: v1
kind: Service
metadata: {name: pre, namespace: $NS4, labels: {owner: someone-else}}
spec:
  ports: [{name: other, port: 9999, targetPort: 9999, protocol: TCP}]
EOF
} >"$work/main.yaml"
setup_ok=1
for c in cluster-a cluster-b main; do
  if ! e2e_kubectl "$c" apply -f "$work/$c.yaml" >"$work/apply-$c.out" 2>&1; then
    setup_ok=0
    fail "sync: setup objects applied on $c" "$(tail -n 5 "$work/apply-$c.out" | tr '\n' ' ')"
  fi
done
[ "$setup_ok" = 1 ] && e2e_pass "sync: setup objects applied on cluster-a, cluster-b and main"
PRE_RV=$(km -n "$NS4" get service pre -o jsonpath='{.metadata.resourceVersion}')
PRE_SPEC=$(km -n "$NS4" get service pre -o jsonpath='{.metadata.labels}{.spec.ports}')

remote_web_ready() { all_ready 2 "$(remote_eps "$1" "$NS1" web)"; }
for c in cluster-a cluster-b; do
  if e2e_wait 90 remote_web_ready "$c"; then
    e2e_pass "sync: $c has 2 ready web endpoints (kwok)"
  else
    fail "sync: $c has 2 ready web endpoints (kwok)" "$(remote_eps "$c" "$NS1" web | tr '\n' ' ')"
  fi
done

# The links present before svclink starts. LB reads its kubeconfig from a Secret that does
# not exist yet.
# A previous run (this script's ASan pass follows its first one) may have left cloudpilot
# Terminating: nothing can be created in it until it is gone.
cloudpilot_settle
if ! km get namespace cloudpilot >/dev/null 2>&1; then
  km create namespace cloudpilot >/dev/null && CREATED_CLOUDPILOT=1
fi
{
  link_yaml "$LA" "kubeconfig: $KA_B64"
  link_yaml "$LB" "kubeconfigSecretRef: {namespace: cloudpilot, name: $SECRET, key: kubeconfig}" \
    "staleEndpointTimeoutSeconds: 15"
  link_yaml "$LF" "kubeconfig: $KA_B64" \
    "includedNamespaces: [$NSF1, $NSF2, $NSFB]" "excludedNamespaces: [$NSFB]" \
    "excludedServices: [$NSF1/svc-x]" "excludedServiceNames: [svc-y]"
} >"$work/links.yaml"
if out=$(km apply -f "$work/links.yaml" 2>&1); then
  e2e_pass "sync: ClusterLinks created"
else
  fail "sync: ClusterLinks created" "$out"
fi

# === run 1 ====================================================================================
svc_start "$work/run1.log"
echo "-- svclink run 1 (pid $SVC_PID)"
# More links, created while svclink runs.
{
  for l in "$LC" "$LBC" "$L50"; do link_yaml "$l" "kubeconfig: $KA_B64" "includedNamespaces: [$NS5]"; done
} >"$work/links2.yaml"
km apply -f "$work/links2.yaml" >/dev/null 2>&1 || fail "sync: collision links created" "$(km apply -f "$work/links2.yaml" 2>&1)"

# Bad kubeconfigs, one link each: NAME|spec.kubeconfig|reason|message pattern (ERE, any case).
ka_ca=$(b64 "$E2E_STATE/cluster-a/pki/ca.crt")
kc_noctx=$(sed '/^current-context:/d' "$E2E_STATE/cluster-a/kubeconfig")
kc_unreach=$(sed "s|server: .*|server: https://127.0.0.1:1|" "$E2E_STATE/cluster-a/kubeconfig")
kc_wrongca=$(sed "s|certificate-authority-data: .*|certificate-authority-data: $ka_ca|" "$E2E_STATE/cluster-b/kubeconfig")
kc_exec=$(sed -e '/client-certificate-data:/d' -e '/client-key-data:/d' \
  -e 's|^  user:$|  user:\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true}|' "$E2E_STATE/cluster-a/kubeconfig")
kc_file=$(sed "s|certificate-authority-data: .*|certificate-authority: /etc/passwd|" "$E2E_STATE/cluster-a/kubeconfig")
BAD=(
  "bad-b64-$sfx|not base64 at all!|KubeconfigInvalid|base64"
  "bad-yaml-$sfx|$(b64s $'clusters: [unclosed\n  - {')|KubeconfigInvalid|yaml"
  "bad-noctx-$sfx|$(b64s "$kc_noctx")|KubeconfigInvalid|current-context"
  "bad-unreach-$sfx|$(b64s "$kc_unreach")|Unreachable|127\.0\.0\.1:1|refused"
  "bad-wrongca-$sfx|$(b64s "$kc_wrongca")|TLSError|certificate"
  "bad-exec-$sfx|$(b64s "$kc_exec")|KubeconfigRefused|exec"
  "bad-file-$sfx|$(b64s "$kc_file")|KubeconfigRefused|certificate-authority"
)
declare -A BAD_REJECTED=()
for b in "${BAD[@]}"; do
  IFS='|' read -r name kc _ <<<"$b"
  if ! out=$(link_yaml "$name" "kubeconfig: \"$kc\"" | km create -f - 2>&1); then
    BAD_REJECTED[$name]=$out
  fi
done

# === 1. a Deployment-backed Service from both remotes ==========================================
echo "-- 1. web from cluster-a and cluster-b"
if holds 3 true; then e2e_pass "sync: svclink keeps running after start"; else fail "sync: svclink keeps running after start" "$(svc_tail 5)"; fi
expect "sync: link with a missing Secret reports SecretNotFound" 30 "cl_summary $LB" cl_is "$LB" False SecretNotFound
km -n cloudpilot create secret generic "$SECRET" --from-file=kubeconfig="$E2E_STATE/cluster-b/kubeconfig" >/dev/null
expect "sync: link connects once its Secret exists" 30 "cl_summary $LB" cl_is "$LB" True Connected
# A rotated Secret is picked up without a restart: a kubeconfig with the wrong CA breaks the
# link (TLSError), the right one restores it; each change of reason is an Event.
sed "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 "$E2E_STATE/cluster-a/pki/ca.crt")|" \
  "$E2E_STATE/cluster-b/kubeconfig" >"$work/wrong-ca.kubeconfig"
km -n cloudpilot create secret generic "$SECRET" --from-file=kubeconfig="$work/wrong-ca.kubeconfig" \
  --dry-run=client -o yaml | km apply -f - >/dev/null 2>&1
expect "sync: a rotated Secret is picked up (wrong CA: TLSError)" 30 "cl_summary $LB" cl_is "$LB" False TLSError
km -n cloudpilot create secret generic "$SECRET" --from-file=kubeconfig="$E2E_STATE/cluster-b/kubeconfig" \
  --dry-run=client -o yaml | km apply -f - >/dev/null 2>&1
expect "sync: the Secret rotated back reconnects" 30 "cl_summary $LB" cl_is "$LB" True Connected
link_events() { km -n default get events --field-selector "involvedObject.name=$LB" -o jsonpath='{range .items[*]}{.reason}{" "}{end}'; }
events_seen() { local ev; ev=$(link_events); [[ $ev == *SecretNotFound* && $ev == *TLSError* && $ev == *Connected* ]]; }
expect "t4 sync: Events record the link's state changes" 20 "link_events" events_seen
expect "sync: link with an inline kubeconfig connects" 30 "cl_summary $LA" cl_is "$LA" True Connected

# pods_match CLUSTER LINK: the local web endpoints of LINK are the remote pods' IPs, all ready.
pods_match() {
  local ips eps
  ips=$(e2e_kubectl "$1" -n "$NS1" get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort) || return 1
  eps=$(local_eps "$NS1" web "$2") || return 1
  [ -n "$ips" ] && [ "$(cut -d'|' -f1 <<<"$eps")" = "$ips" ] && all_ready "$(grep -c . <<<"$ips")" "$eps"
}
# slice_problems NS SVC LINK CLUSTER: what is wrong with LINK's slices of SVC (count, name,
# labels, owner, addressType, ports, fields never copied); nothing when all is right.
slice_problems() {
  local ns=$1 svc=$2 link=$3 cluster=$4 uid names n p src at owner extra lports rports re
  uid=$(km -n "$ns" get service "$svc" -o jsonpath='{.metadata.uid}')
  rports=$(e2e_kubectl "$cluster" -n "$ns" get endpointslices -l "kubernetes.io/service-name=$svc" \
    -o jsonpath='{range .items[0].ports[*]}{.name}|{.port}|{.protocol}|{.appProtocol}{"\n"}{end}' | sort | tr '\n' ';')
  names=$(local_slices "$ns" "$svc" "$link")
  [ -n "$names" ] || { echo "no slices for $ns/$svc from $link"; return; }
  re="^v1[|]Service[|]${svc}[|]${uid}[|](false)?[|](false)?;$"
  for n in $names; do
    p=$(km -n "$ns" get endpointslice "$n" -o jsonpath='{.metadata.labels.multicluster\.kubernetes\.io/source-cluster}~{.addressType}~{range .metadata.ownerReferences[*]}{.apiVersion}|{.kind}|{.name}|{.uid}|{.controller}|{.blockOwnerDeletion};{end}~{range .endpoints[*]}{.nodeName}{.zone}{.targetRef}{.hints}{end}')
    IFS='~' read -r src at owner extra <<<"$p"
    lports=$(km -n "$ns" get endpointslice "$n" -o jsonpath='{range .ports[*]}{.name}|{.port}|{.protocol}|{.appProtocol}{"\n"}{end}' | sort | tr '\n' ';')
    slice_name_ok "$n" "$svc" "$link" || echo "$n: name is not $(name_part "$svc")-$(name_part "$link")-<10 hex>;"
    { dns_label_ok "$n" && [ "${#n}" -le 52 ]; } || echo "$n: not a DNS label of at most 52 characters;"
    [ "$src" = "$link" ] || echo "$n: multicluster.kubernetes.io/source-cluster='$src';"
    [ "$at" = IPv4 ] || echo "$n: addressType '$at';"
    [[ $owner =~ $re ]] || echo "$n: ownerReferences '$owner', want 'v1|Service|$svc|$uid|false|false;';"
    [ -z "$extra" ] || echo "$n: copied nodeName/zone/targetRef/hints: $extra;"
    [ "$lports" = "$rports" ] || echo "$n: ports '$lports', remote '$rports';"
  done
}
for pair in "cluster-a:$LA" "cluster-b:$LB"; do
  c=${pair%%:*} l=${pair#*:}
  expect "sync: web from $c: local endpoints are exactly the remote slice's" 30 "eps_diff $c $NS1 web $l" eps_match "$c" "$NS1" web "$l"
  check "sync: web from $c: local addresses are the remote pods' IPs, all ready" \
    "echo pods; e2e_kubectl $c -n $NS1 get pods -o wide --no-headers; eps_diff $c $NS1 web $l" pods_match "$c" "$l"
  check "sync: web from $c: one slice (2 endpoints)" "local_slices $NS1 web $l" [ "$(local_slice_count "$NS1" web "$l")" = 1 ]
  p=$(slice_problems "$NS1" web "$l" "$c")
  if [ -z "$p" ]; then
    e2e_pass "sync: web from $c: name <svc>-<link>-<10 hex>, 4 labels, owner = local Service, IPv4, ports, nothing extra copied"
  else
    fail "sync: web from $c: name <svc>-<link>-<10 hex>, 4 labels, owner = local Service, IPv4, ports, nothing extra copied" "$p"
  fi
done
lb_status_ok() {
  local g
  g=$(cl_get "$LB" '{.metadata.generation}')
  [ "$(cl_get "$LB" '{.status.remoteVersion}|{.status.syncedServices}|{.status.syncedEndpoints}|{.status.observedGeneration}')" = "$WANT_VERSION|1|2|$g" ] &&
    [ "$(cl_get "$LB" "$cond_path.observedGeneration}")" = "$g" ] &&
    [[ $(cl_get "$LB" '{.status.lastSyncTime}') =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$ ]] &&
    [[ $(cl_get "$LB" "$cond_path.lastTransitionTime}") =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T ]] &&
    [ -n "$(cl_get "$LB" "$cond_path.message}")" ]
}
expect "t1 sync: status of $LB: remoteVersion, syncedServices 1, syncedEndpoints 2, lastSyncTime, observedGeneration" 15 \
  "cl_summary $LB" lb_status_ok
cols=$(km get clusterlink "$LB" 2>&1 | head -n 1 | tr -s ' ')
wcols=$(km get clusterlink "$LB" -o wide 2>&1 | head -n 1 | tr -s ' ')
cols_ok() {
  [[ $cols == "NAME ENABLED READY REASON VERSION SERVICES AGE" ]] &&
    [[ $wcols == *INCLUDED* && $wcols == *EXCLUDED* && $wcols == *ENDPOINTS* ]]
}
check "sync: printer columns ENABLED READY REASON VERSION SERVICES AGE; wide adds INCLUDED EXCLUDED ENDPOINTS" \
  "echo \"'\$cols' / '\$wcols'\"" cols_ok

# === 2. scaling follows, with the latency =======================================================
echo "-- 2. scale cluster-a web 2 -> 4 -> 1"
# follow_scale N: scales cluster-a's web to N, polls remote and local endpoints until the local
# ones equal the remote's final state (N ready); prints the latency and checks it.
follow_scale() {
  local n=$1 t0 tr="" tl="" r l deadline tnow
  t0=$(now_ms)
  ka -n "$NS1" scale deployment web --replicas "$n" >/dev/null
  deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ] && svc_alive; do
    r=$(remote_eps cluster-a "$NS1" web)
    tnow=$(now_ms)
    if all_ready "$n" "$r"; then
      [ -n "$tr" ] || tr=$tnow
    else
      tr=""
    fi
    l=$(local_eps "$NS1" web "$LA")
    if [ -n "$tr" ] && [ "$l" = "$r" ]; then tl=$(now_ms); break; fi
    sleep 0.1
  done
  local name="sync: scale to $n on cluster-a: local slice follows within 5 s of the remote slice"
  if [ -z "$tl" ]; then
    fail "$name" "not matched within 60 s: $(eps_diff cluster-a "$NS1" web "$LA")"
    return
  fi
  echo "latency: scale to $n: remote slice change to local slice $(ms_to_s $((tl - tr))) s; scale command to local slice $(ms_to_s $((tl - t0))) s"
  if [ $((tl - tr)) -lt 5000 ]; then e2e_pass "$name"; else fail "$name" "took $(ms_to_s $((tl - tr))) s"; fi
}
follow_scale 4
follow_scale 1
expect "sync: after scaling, local addresses are cluster-a's pod IPs" 15 "eps_diff cluster-a $NS1 web $LA" pods_match cluster-a "$LA"

# === 3. filters ================================================================================
echo "-- 3. filters"
FILTER_NS=("$NSF1" "$NSF2" "$NSFO" "$NSFB")
ALL_FILTERED="$NSF1/svc-ok $NSF1/svc-x $NSF1/svc-y $NSF2/svc-x $NSF2/svc-y $NSFB/svc-ok $NSFO/svc-ok"
# set_is LINK "ns/svc ..." NS...: LINK's slices in NS... are for exactly those services.
set_is() { [ "$(synced_set "$1" "${@:3}")" = "$(tr ' ' '\n' <<<"$2" | grep . | sort -u)" ]; }
# The unfiltered link has every one of them: the negative checks below mean something.
expect "sync: the unfiltered link syncs all 7 filter-test services" 30 "synced_set $LA ${FILTER_NS[*]}" \
  set_is "$LA" "$ALL_FILTERED" "${FILTER_NS[@]}"
expect "sync: filtered link syncs exactly $NSF1/svc-ok and $NSF2/svc-x" 30 "synced_set $LF ${FILTER_NS[*]}" \
  set_is "$LF" "$NSF1/svc-ok $NSF2/svc-x" "${FILTER_NS[@]}"
got=" $(synced_set "$LF" "${FILTER_NS[@]}" | tr '\n' ' ')"
has() { [[ $got == *" $1 "* ]]; }
has_ns() { [[ $got == *" $1/"* ]]; }
f_included() { ! has_ns "$NSFO" && has "$NSF1/svc-ok"; }
f_excluded_service() { ! has "$NSF1/svc-x" && has "$NSF2/svc-x"; }
f_excluded_name() { ! has "$NSF1/svc-y" && ! has "$NSF2/svc-y"; }
check "sync: filter includedNamespaces: $NSFO (not included) not synced, included ones are" "echo \$got" f_included
check "sync: filter excludedServices: $NSF1/svc-x not synced, $NSF2/svc-x is" "echo \$got" f_excluded_service
check "sync: filter excludedServiceNames: svc-y not synced in any namespace" "echo \$got" f_excluded_name
check "sync: filter namespace both included and excluded is excluded" "echo \$got" not has_ns "$NSFB"
ks_none() {
  local n
  n=$(km -n kube-system get endpointslices -l "$MANAGED_SEL" -o name) && [ -z "$n" ]
}
if ks_none && [ -n "$(ka -n kube-system get endpointslices -l "kubernetes.io/service-name=$KS" -o name)" ] && svc_alive; then
  e2e_pass "sync: kube-system never synced (remote slice and local Service exist)"
else
  fail "sync: kube-system never synced (remote slice and local Service exist)" \
    "local: $(km -n kube-system get endpointslices -l "$MANAGED_SEL" -o name | tr '\n' ' ') remote: $(ka -n kube-system get endpointslices -l "kubernetes.io/service-name=$KS" -o name)"
fi
kube_none() {
  [ -n "$(remote_eps cluster-a "$NS1" kubernetes)" ] && no_local_slices "$NS1" kubernetes "$LA" &&
    [ -z "$(km -n "$NS1" get endpointslices -l "kubernetes.io/service-name=kubernetes,$MANAGED_SEL" -o name)" ]
}
check "sync: a Service named kubernetes is never synced (remote endpoints and local Service exist)" \
  "remote_eps cluster-a $NS1 kubernetes; km -n $NS1 get endpointslices -l kubernetes.io/service-name=kubernetes -o name" kube_none
# Editing the filters at run time.
km patch clusterlink "$LF" --type merge -p "{\"spec\":{\"includedNamespaces\":[\"$NSF1\",\"$NSFO\"],\"excludedServiceNames\":null}}" >/dev/null
expect "b4 sync: filter edit: no longer allowed removed, newly allowed added ($NSF1/svc-ok $NSF1/svc-y $NSFO/svc-ok)" 30 \
  "synced_set $LF ${FILTER_NS[*]}" set_is "$LF" "$NSF1/svc-ok $NSF1/svc-y $NSFO/svc-ok" "${FILTER_NS[@]}"
lf_observed() { g=$(cl_get "$LF" '{.metadata.generation}'); [ "$(cl_get "$LF" '{.status.observedGeneration}')" = "$g" ] && [ "$g" -ge 2 ]; }
expect "sync: status observedGeneration follows the edited spec" 15 "cl_summary $LF" lf_observed

# === 4. no local Service, no slice =============================================================
echo "-- 4. services without a local Service"
nolocal_ok() {
  [ -n "$(remote_eps cluster-a "$NS1" nolocal)" ] &&
    [ -z "$(km -n "$NS1" get endpointslices -l "kubernetes.io/service-name=nolocal" -o name)" ] &&
    ! km get namespace "$NS4M" >/dev/null 2>&1 &&
    ! km -n "$NS4" get service made >/dev/null 2>&1 &&
    [ -z "$(km -n "$NS4" get endpointslices -l "kubernetes.io/service-name=made" -o name)" ]
}
check "sync: no local Service (or Namespace): no slice, nothing created" \
  "km -n $NS1 get endpointslices -l kubernetes.io/service-name=nolocal -o name; km get namespace $NS4M; km -n $NS4 get service made" nolocal_ok
expect "sync: a local Service svclink did not create still gets slices ($NS4/pre)" 20 "eps_diff cluster-a $NS4 pre $LA" \
  eps_match cluster-a "$NS4" pre "$LA"

# === 5. slice names ============================================================================
echo "-- 5. slice names"
NAME_LINKS=("$LA" "$LC" "$LBC" "$L50")
NAME_SVCS=(a-b a "$S60_1" "$S60_2")
ns5_slices() {
  km -n "$NS5" get endpointslices -l "$MANAGED_SEL" \
    -o jsonpath='{range .items[*]}{.metadata.labels.svclink\.cloudpilot\.ai/cluster} {.metadata.labels.kubernetes\.io/service-name} {.metadata.name}{"\n"}{end}'
}
ns5_complete() {
  local s l out
  out=$(ns5_slices) || return 1
  for l in "${NAME_LINKS[@]}"; do
    for s in "${NAME_SVCS[@]}"; do grep -q "^$l $s " <<<"$out" || return 1; done
  done
}
expect "sync: a slice for each of 4 services x 4 links (a-b/c, a/b-c, 60-char services, 50-char link)" 30 \
  "ns5_slices" ns5_complete
out=$(ns5_slices)
names=$(awk '{print $3}' <<<"$out")
dups=$(sort <<<"$names" | uniq -d)
bad=""
while read -r l s n; do
  [ -n "$n" ] || continue
  dns_label_ok "$n" || bad+="$n (${#n} chars) "
  slice_name_ok "$n" "$s" "$l" || bad+="$n (not $(name_part "$s")-$(name_part "$l")-<10 hex>) "
  [ "${#n}" -le 52 ] || bad+="$n longer than 52 "
done <<<"$out"
check "sync: all slice names distinct" "echo duplicates: \$dups" test -z "$dups" -a -n "$names"
check "sync: all slice names valid DNS labels <= 52 chars of the shape <svc20>-<link20>-<10 hex>" "echo \$bad" \
  test -z "$bad" -a -n "$names"
n1=$(awk -v l="$LC" '$1 == l && $2 == "a-b" {print $3}' <<<"$out")
n2=$(awk -v l="$LBC" '$1 == l && $2 == "a" {print $3}' <<<"$out")
collision_ok() { [ -n "$n1" ] && [ -n "$n2" ] && [ "$n1" != "$n2" ] && [ "${n1%-*}" = "${n2%-*}" ]; }
check "sync: a-b from link $LC and a from link $LBC: same readable prefix, different names" "echo \"'\$n1' '\$n2'\"" collision_ok

# === 6. a large Service and endpoint fields =====================================================
echo "-- 6. 250 endpoints; endpoint fields"
big_ok() {
  local l
  eps_match cluster-a "$NS6" big "$LA" && l=$(local_eps "$NS6" big "$LA") &&
    [ "$(grep -c . <<<"$l")" = 250 ] && [ -z "$(cut -d'|' -f1 <<<"$l" | uniq -d)" ]
}
expect "sync: 250 remote endpoints all present locally, each exactly once" 30 "eps_diff cluster-a $NS6 big $LA | cut -c1-300" big_ok
per=$(km -n "$NS6" get endpointslices -l "$(local_sel big "$LA")" -o go-template='{{range .items}}{{range .endpoints}}{{index .addresses 0}} {{end}}{{"\n"}}{{end}}')
counts=$(while read -r line; do [ -n "$line" ] && wc -w <<<"$line"; done <<<"$per" | sort -rn | tr '\n' ' ')
check "sync: 250 endpoints in local slices of at most 100 (100 100 50)" "echo counts: \$counts" test "$counts" = "100 100 50 "
chunks=$(while read -r line; do [ -n "$line" ] && tr ' ' '\n' <<<"$line" | grep . | sort | tr '\n' ' ' && echo; done <<<"$per" | sort)
all=$(tr ' ' '\n' <<<"$per" | grep . | sort | tr '\n' ' ')
check "sync: 250 endpoints split in address order (each slice a contiguous run)" "echo chunk starts: \$(cut -d' ' -f1 <<<\"\$chunks\" | tr '\\n' ' ')" \
  test "$(tr -d '\n' <<<"$chunks")" = "$all"
cond_ok() { [ "$(local_eps "$NS6" cond "$LA" | tr '\n' ' ')" = '10.246.9.1||||h1 10.246.9.2|false|true|true| 10.246.9.3|true||| ' ]; }
expect "sync: endpoint conditions (nil stays nil, not-ready/serving/terminating) and hostname copied" 20 \
  "eps_diff cluster-a $NS6 cond $LA" cond_ok
p=$(slice_problems "$NS6" cond "$LA" cluster-a)
check "sync: nodeName, zone, targetRef and hints never copied" "echo \$p" test -z "$p"

# === 9. bad kubeconfigs =========================================================================
echo "-- 9. bad kubeconfigs"
for b in "${BAD[@]}"; do
  IFS='|' read -r name _ reason pat <<<"$b"
  label="sync: bad kubeconfig ${name%-"$sfx"}: Ready=False $reason, message names the problem"
  if [ -n "${BAD_REJECTED[$name]:-}" ]; then
    # The CRD may already refuse some (e.g. not base64): that is fine when it says why.
    if grep -Eiq "$pat" <<<"${BAD_REJECTED[$name]}"; then
      e2e_pass "$label (refused by the API server: $(tr '\n' ' ' <<<"${BAD_REJECTED[$name]}" | cut -c1-120))"
    else
      fail "$label" "create refused: ${BAD_REJECTED[$name]}"
    fi
    continue
  fi
  bad_ok() { cl_is "$1" False "$2" && grep -Eiq "$3" <<<"$(cl_get "$1" "$cond_path.message}")"; }
  expect "$label" 30 "cl_summary $name" bad_ok "$name" "$reason" "$pat"
done
bad_slices=$(km get endpointslices -A -l "$MANAGED_SEL" -o jsonpath='{range .items[*]}{.metadata.labels.svclink\.cloudpilot\.ai/cluster}{"\n"}{end}' | grep -c "^bad-")
check "sync: links with bad kubeconfigs write no slices" "echo \$bad_slices slices" test "$bad_slices" = 0
# The good links keep syncing meanwhile.
ka -n "$NS5" patch endpointslice a-b-1 --type json -p '[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.246.5.99"]}}]' >/dev/null
expect "sync: good links keep syncing while bad links fail (remote change followed)" 15 "eps_diff cluster-a $NS5 a-b $LA" \
  eps_match cluster-a "$NS5" a-b "$LA"

# === 7. disable, enable, delete ==================================================================
echo "-- 7. disable, enable and delete a link"
expect "sync: $LBC syncs $NS5/a before the test" 20 "eps_diff cluster-a $NS5 a $LBC" eps_match cluster-a "$NS5" a "$LBC"
km patch clusterlink "$LBC" --type merge -p '{"spec":{"enabled":false}}' >/dev/null
expect "b5 sync: disabled link: Ready=False reason Disabled" 15 "cl_summary $LBC" cl_is "$LBC" False Disabled
frozen=$(local_eps "$NS5" a "$LBC")
ka -n "$NS5" patch endpointslice a-1 --type json -p '[{"op":"add","path":"/endpoints/-","value":{"addresses":["10.246.5.50"]}}]' >/dev/null
# $LC syncs the same remote Service: once it has the change, $LBC would have had it too.
expect "sync: (control) an enabled link follows the remote change" 15 "eps_diff cluster-a $NS5 a $LC" eps_match cluster-a "$NS5" a "$LC"
frozen_same() { [ -n "$frozen" ] && [ "$(local_eps "$NS5" a "$LBC")" = "$frozen" ]; }
if holds $((SYNC_INTERVAL + 2)) frozen_same; then
  e2e_pass "b5 sync: disabled link keeps its slices and stops updating them (over a resync)"
else
  fail "b5 sync: disabled link keeps its slices and stops updating them (over a resync)" "before [$frozen] now [$(local_eps "$NS5" a "$LBC" | tr '\n' ' ')]"
fi
km patch clusterlink "$LBC" --type merge -p '{"spec":{"enabled":true}}' >/dev/null
expect "sync: re-enabled link follows the remote again" 20 "eps_diff cluster-a $NS5 a $LBC" eps_match cluster-a "$NS5" a "$LBC"
expect "sync: re-enabled link: Ready=True Connected" 15 "cl_summary $LBC" cl_is "$LBC" True Connected
km delete clusterlink "$LBC" --wait=false >/dev/null
lbc_gone() { [ -z "$(km get endpointslices -A -l "$LINK_LABEL=$LBC" -o name)" ] && cl_gone "$LBC"; }
expect "b6 sync: deleted link: its slices deleted, then the link (finalizer removed)" 30 \
  "km get endpointslices -A -l $LINK_LABEL=$LBC -o name; cl_summary $LBC" lbc_gone

# === 8. self-healing, and no writes when idle ==================================================
echo "-- 8. hand edits are undone; idle resyncs write nothing"
sl=$(local_slices "$NS1" web "$LA" | head -n 1)
km -n "$NS1" delete endpointslice "$sl" >/dev/null
expect "b2 sync: a managed slice deleted by hand comes back" 20 "eps_diff cluster-a $NS1 web $LA" eps_match cluster-a "$NS1" web "$LA"
sl=$(local_slices "$NS1" web "$LA" | head -n 1)
km -n "$NS1" patch endpointslice "$sl" --type merge -p '{"endpoints":[{"addresses":["192.0.2.1"],"conditions":{"ready":false}}]}' >/dev/null
expect "sync: a managed slice edited by hand is restored" 20 "eps_diff cluster-a $NS1 web $LA" eps_match cluster-a "$NS1" web "$LA"
km -n "$NS1" label endpointslice "$sl" "$LINK_LABEL=someone-else" --overwrite >/dev/null
label_back() { [ "$(km -n "$NS1" get endpointslice "$sl" -o jsonpath='{.metadata.labels.svclink\.cloudpilot\.ai/cluster}')" = "$LA" ]; }
expect "sync: a managed slice whose labels were edited is restored" 20 \
  "km -n $NS1 get endpointslices -l kubernetes.io/service-name=web --show-labels" label_back
# Everything settled: a whole idle period of two resyncs and more must write nothing.
settled() {
  eps_match cluster-a "$NS1" web "$LA" && eps_match cluster-b "$NS1" web "$LB" && eps_match cluster-a "$NS5" a "$LC" &&
    eps_match cluster-a "$NS6" big "$LA"
}
sync_wait 20 settled
w0=$(obj_write_count "$SVC_LOG")
no_new_writes() { [ "$(obj_write_count "$SVC_LOG")" = "$w0" ]; }
if holds $((2 * SYNC_INTERVAL + 2)) no_new_writes; then
  e2e_pass "b2 sync: resyncs with nothing to do issue no write ($((2 * SYNC_INTERVAL + 2)) s idle)"
else
  fail "b2 sync: resyncs with nothing to do issue no write ($((2 * SYNC_INTERVAL + 2)) s idle)" \
    "$(obj_writes "$SVC_LOG" | tail -n +$((w0 + 1)) | head -n 5 | tr '\n' ' ') $(svc_alive || echo '[svclink not running]')"
fi

# === 10. remote API server outage ================================================================
echo "-- 10. cluster-b's API server stopped"
before=$(local_eps "$NS1" web "$LB")
t0=$(now_ms)
APISERVER_B_DOWN=1
harness apiserver cluster-b stop >/dev/null 2>&1
t_unr="" t_gone="" last_present="" changed=""
deadline=$((SECONDS + 50))
while [ "$SECONDS" -lt "$deadline" ] && svc_alive; do
  if [ -z "$t_unr" ] && cl_is "$LB" False Unreachable; then t_unr=$(now_ms); fi
  if l=$(local_eps "$NS1" web "$LB"); then
    if [ -z "$l" ]; then t_gone=$(now_ms); break; fi
    last_present=$(now_ms)
    [ "$l" = "$before" ] || changed="$l"
  fi
  sleep 0.3
done
if [ -z "$t_unr" ] && cl_is "$LB" False Unreachable; then t_unr=$(now_ms); fi
if harness apiserver cluster-b start >"$work/apiserver-start.out" 2>&1; then APISERVER_B_DOWN=0; fi
echo "latency: outage: Unreachable after $( [ -n "$t_unr" ] && ms_to_s $((t_unr - t0)) || echo never) s, endpoints last seen $( [ -n "$last_present" ] && ms_to_s $((last_present - t0)) || echo never) s, removed $( [ -n "$t_gone" ] && ms_to_s $((t_gone - t0)) || echo never) s after the stop (timeout 15 s)"
if [ -n "$t_unr" ] && [ $((t_unr - t0)) -le 15000 ]; then
  e2e_pass "b10 sync: outage: status Ready=False Unreachable within 15 s"
else
  fail "b10 sync: outage: status Ready=False Unreachable within 15 s" "$(cl_summary "$LB")"
fi
if [ -n "$before" ] && [ -n "$last_present" ] && [ $((last_present - t0)) -ge 14000 ] && [ -z "$changed" ]; then
  e2e_pass "b10 sync: outage: endpoints kept unchanged until staleEndpointTimeoutSeconds (15 s)"
else
  fail "b10 sync: outage: endpoints kept unchanged until staleEndpointTimeoutSeconds (15 s)" \
    "before [$before] last seen at ${last_present:-never} (t0 $t0) changed to [$changed]"
fi
if [ -n "$t_gone" ] && [ $((t_gone - t0)) -le $((15000 + SYNC_INTERVAL * 1000 + 10000)) ]; then
  e2e_pass "b10 sync: outage: endpoints removed after the timeout"
else
  fail "b10 sync: outage: endpoints removed after the timeout" "still there after 50 s: $(local_eps "$NS1" web "$LB" | tr '\n' ' ')"
fi
if [ "$APISERVER_B_DOWN" = 1 ]; then
  fail "sync: outage: cluster-b API server restarted" "$(tail -n 5 "$work/apiserver-start.out" | tr '\n' ' ')"
fi
expect "sync: outage over: endpoints return" 60 "eps_diff cluster-b $NS1 web $LB" eps_match cluster-b "$NS1" web "$LB"
expect "sync: outage over: Ready=True Connected" 30 "cl_summary $LB" cl_is "$LB" True Connected

# === 12. local Service deleted: slices garbage-collected ==========================================
echo "-- 12. local Service deleted"
expect "sync: $NS1/gone synced before its local Service is deleted" 20 "eps_diff cluster-a $NS1 gone $LA" eps_match cluster-a "$NS1" gone "$LA"
km -n "$NS1" delete service gone >/dev/null
expect "sync: local Service deleted: its slices are removed" 30 "local_slices $NS1 gone $LA" no_local_slices "$NS1" gone "$LA"
if holds $((SYNC_INTERVAL + 2)) no_local_slices "$NS1" gone "$LA"; then
  e2e_pass "sync: local Service deleted: its slices are not written again (over a resync)"
else
  fail "sync: local Service deleted: its slices are not written again (over a resync)" "$(local_slices "$NS1" gone "$LA" | tr '\n' ' ')"
fi

# === 11. restart with everything in place; a link deleted while svclink is down =================
echo "-- 11. restart"
LC_SLICES=$(km get endpointslices -A -l "$LINK_LABEL=$LC,$MANAGED_SEL" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
svc_stop
check "sync: run 1 exits 0 on SIGTERM" "echo rc=$SVC_RC; tail -n 3 $work/run1.log" [ "$SVC_RC" = 0 ]
km delete clusterlink "$LC" --wait=false >/dev/null
lc_pending() { [ -n "$LC_SLICES" ] && [ -n "$(cl_get "$LC" '{.metadata.deletionTimestamp}')" ]; }
check "sync: link deleted while svclink is down stays (finalizer) with its slices" \
  "cl_summary $LC; echo slices: \$LC_SLICES" lc_pending
start_ts=$(date -u +%Y-%m-%dT%H:%M:%SZ)
svc_start "$work/run2.log"
echo "-- svclink run 2 (pid $SVC_PID)"
lc_gone() { [ -z "$(km get endpointslices -A -l "$LINK_LABEL=$LC" -o name)" ] && cl_gone "$LC"; }
expect "b6 sync: link deleted while svclink was down: slices and link removed after start" 30 \
  "km get endpointslices -A -l $LINK_LABEL=$LC -o name; cl_summary $LC" lc_gone
# Synced again: each good link logged its Connected state in this run (the status may
# already say Connected from run 1).
relisted() {
  local l
  for l in "$LA" "$LB" "$LF" "$L50"; do
    grep -q "link=$l .*reason=Connected" "$SVC_LOG" && cl_is "$l" True Connected || return 1
  done
}
expect "sync: after restart every good link logs Connected and is Ready" 30 \
  "for l in $LA $LB $LF $L50; do cl_summary \$l; done; grep 'reason=Connected' \$SVC_LOG" relisted
# A restart that finds a link Ready keeps its status as it is (contract: lastSyncTime moves
# when a link reconnects after a failure or a change, not when svclink restarts), so the
# restart writes no status either.
kept_status() {
  local l t
  for l in "$LA" "$LB" "$LF" "$L50"; do
    t=$(cl_get "$l" '{.status.lastSyncTime}')
    [[ -n $t && $t < $start_ts ]] || return 1
    ! grep -q "kind=ClusterLinkStatus .*link=$l\$" "$SVC_LOG" || return 1
  done
}
expect "t3 sync: after restart lastSyncTime and status are kept (no status write)" 10 \
  "echo restart at $start_ts; for l in $LA $LB $LF $L50; do cl_get \$l '{.metadata.name} {.status.lastSyncTime}; '; done; grep ClusterLinkStatus \$SVC_LOG" kept_status
holds $((2 * SYNC_INTERVAL + 1)) true
# Writes after the restart, except the deletion of the deleted link's slices.
extra=$(obj_writes "$SVC_LOG" | awk -v names="$(tr '\n' ' ' <<<"$LC_SLICES")" '
  BEGIN { n = split(names, a, " "); for (i = 1; i <= n; i++) skip[a[i]] = 1 }
  /verb=DELETE/ && match($0, /name=[^ ]+/) && (substr($0, RSTART + 5, RLENGTH - 5) in skip) { next }
  { print }')
check "b3 sync: restart with everything in place writes nothing (but the deleted link's slice deletions)" \
  "echo \$(grep -c . <<<\"\$extra\") writes: \$(head -n 5 <<<\"\$extra\")" test -z "$extra"
settled_all() {
  eps_match cluster-a "$NS1" web "$LA" && eps_match cluster-b "$NS1" web "$LB" && eps_match cluster-a "$NS6" big "$LA" &&
    eps_match cluster-a "$NS5" "$S60_1" "$L50" && eps_match cluster-a "$NS5" a "$L50"
}
check "sync: after restart the slices still match the remotes" \
  "eps_diff cluster-a $NS1 web $LA; eps_diff cluster-b $NS1 web $LB; eps_diff cluster-a $NS5 a $L50" settled_all
svc_stop
check "sync: run 2 exits 0 on SIGTERM" "echo rc=$SVC_RC; tail -n 3 $work/run2.log" [ "$SVC_RC" = 0 ]

# === 3b/4b. --included-namespaces overrides links; --sync-services-to-local-cluster =============
echo "-- global --included-namespaces and --sync-services-to-local-cluster"
svc_start "$work/run3.log" --included-namespaces "$NSF2,$NS4,$NS4M" --sync-services-to-local-cluster
echo "-- svclink run 3 (pid $SVC_PID)"
expect "sync: --included-namespaces overrides the link's includedNamespaces ($LF: only $NSF2)" 30 \
  "synced_set $LF ${FILTER_NS[*]}" set_is "$LF" "$NSF2/svc-x $NSF2/svc-y" "${FILTER_NS[@]}"
only_included() {
  local ns
  ns=$(km get endpointslices -A -l "$MANAGED_SEL" -o jsonpath='{range .items[*]}{.metadata.namespace}{"\n"}{end}' | sort -u | tr '\n' ' ') &&
    [ -n "$ns" ] && ! grep -Eq "(^| )($NS1|$NS5|$NS6|$NSF1|$NSFO) " <<<"$ns"
}
expect "sync: --included-namespaces applies to every link (slices elsewhere removed)" 30 \
  "km get endpointslices -A -l $MANAGED_SEL -o jsonpath='{range .items[*]}{.metadata.namespace}{\" \"}{end}'" only_included
np_created() { km -n "$NS4M" get service np >/dev/null 2>&1; }
expect "sync: --sync-services-to-local-cluster creates the missing Namespace and Service" 30 \
  "km get namespace $NS4M; km -n $NS4M get service np" np_created
np_ok() {
  local l r
  l=$(km -n "$NS4M" get service np -o jsonpath='{.spec.type}~{.spec.selector}~{.spec.clusterIP}~{range .spec.ports[*]}{.name}|{.port}|{.targetPort}|{.protocol}|{.appProtocol}|{.nodePort};{end}~{.spec.ipFamilyPolicy}~{.spec.externalIPs}~{.metadata.labels.svclink\.cloudpilot\.ai/created-by}')
  r=$(ka -n "$NS4M" get service np -o jsonpath='{.spec.clusterIP}~{range .spec.ports[*]}{.name}|{.port}|{.targetPort}|{.protocol}|{.appProtocol}|;{end}~{.spec.ipFamilyPolicy}')
  IFS='~' read -r ltype lsel lip lports lfam lext llabel <<<"$l"
  IFS='~' read -r rip rports rfam <<<"$r"
  local probs=""
  [ "$ltype" = ClusterIP ] || probs+="type $ltype; "
  [ -z "$lsel" ] || probs+="selector $lsel; "
  [ -n "$lip" ] && [ "$lip" != "$rip" ] || probs+="clusterIP '$lip' (remote $rip); "
  [ "$lports" = "$rports" ] || probs+="ports '$lports' (remote '$rports', no nodePort); "
  [ "$lfam" = "$rfam" ] || probs+="ipFamilyPolicy '$lfam' (remote '$rfam'); "
  [ -z "$lext" ] || probs+="externalIPs $lext; "
  [ "$llabel" = svclink ] || probs+="label created-by '$llabel'; "
  echo "$probs"
  [ -z "$probs" ]
}
check "sync: created Service: ClusterIP, no selector, ports as remote, own clusterIP, no nodePort, labelled created-by=svclink" \
  np_ok np_ok
expect "sync: created Service then gets its slices" 30 "eps_diff cluster-a $NS4M np $LA" eps_match cluster-a "$NS4M" np "$LA"
made_ok() { [ "$(km -n "$NS4" get service made -o jsonpath='{.metadata.labels.svclink\.cloudpilot\.ai/created-by}')" = svclink ]; }
expect "sync: a missing Service is created in an existing Namespace ($NS4/made)" 30 "km -n $NS4 get service made" made_ok
expect "sync: the pre-existing Service gets slices from the remote ($NS4/pre)" 30 "eps_diff cluster-a $NS4 pre $LA" \
  eps_match cluster-a "$NS4" pre "$LA"
holds $((SYNC_INTERVAL + 1)) true
pre_now=$(km -n "$NS4" get service pre -o jsonpath='{.metadata.resourceVersion}|{.metadata.labels}{.spec.ports}')
check "sync: a Service svclink did not create is never modified (resourceVersion unchanged)" \
  "echo \"before \$PRE_RV|\$PRE_SPEC now \$pre_now\"" test "$pre_now" = "$PRE_RV|$PRE_SPEC"

# === cleanup through svclink: deleting the links removes all their slices =====================
echo "-- deleting every link"
km delete clusterlinks -l "$RUN_LABEL=$sfx" --wait=false >/dev/null
links_gone() { [ -z "$(km get clusterlinks -l "$RUN_LABEL=$sfx" -o name)" ]; }
expect "sync: all links deleted (finalizers removed, bad links included)" 60 \
  "km get clusterlinks -l $RUN_LABEL=$sfx" links_gone
left=$(for ns in "${MAIN_NS[@]}" "$NS4M"; do km -n "$ns" get endpointslices -l "$MANAGED_SEL" -o name 2>/dev/null; done)
check "sync: no svclink slice left after the links are deleted" "echo \$left" test -z "$left"
svc_stop
check "sync: run 3 exits 0 on SIGTERM" "echo rc=$SVC_RC; tail -n 3 $work/run3.log" [ "$SVC_RC" = 0 ]
e2e_finish
