#!/usr/bin/env bash
# Mirror mode (the k8s-svc-sync design) through ClusterLink fields on the harness clusters:
# serviceSelector, namespaceMapping, createServices (Services made and deleted), ExternalName,
# bad specs refused with the field named while what is synced stays.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=5
run_begin mirror
SRC=msrc-$sfx DST=mdst-$sfx
LM=mir-$sfx LM2=mirb-$sfx LBAD=mbad-$sfx
CREATED=svclink.cloudpilot.ai/created-by=svclink

cleanup() {
  svc_stop
  run_links_delete
  km delete namespace "$DST" "$SRC" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$SRC" --wait=false --ignore-not-found >/dev/null 2>&1
  kb delete namespace "$SRC" --wait=false --ignore-not-found >/dev/null 2>&1
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mirror_link() { # NAME CLUSTER [EXTRA_SPEC_LINE...]
  local name=$1 cluster=$2; shift 2
  link_yaml "$name" "kubeconfig: $(b64 "$E2E_STATE/$cluster/kubeconfig")" "createServices: true" \
    "serviceSelector: {matchLabels: {sync: \"true\"}}" \
    "namespaceMapping: [{from: $SRC, to: $DST}]" "$@"
}
# svc_l NS NAME LABELS: a selectorless ClusterIP Service with labels.
svc_l() {
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s, labels: {%s}}\nspec:\n' "$2" "$1" "$3"
  printf '  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}]\n'
}
ext_yaml() { # NS NAME TARGET
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s, labels: {sync: "true"}}\nspec: {type: ExternalName, externalName: %s}\n' "$2" "$1" "$3"
}
lsvc() { km -n "$DST" get service "$1" -o jsonpath="$2" 2>/dev/null; }
lsvc_gone() { ! km -n "$DST" get service "$1" >/dev/null 2>&1; }
lsvc_is() { [ "$(lsvc "$1" "$2")" = "$3" ]; }
# eps_as CLUSTER SVC LINK: the local endpoints of LINK in DST equal the remote's in SRC.
eps_as() { local r l; r=$(remote_eps "$1" "$SRC" "$2") && l=$(local_eps "$DST" "$2" "$3") && [ -n "$r" ] && [ "$r" = "$l" ]; }
eps_diff_as() { echo "remote [$(remote_eps "$1" "$SRC" "$2" | tr '\n' ' ')] local [$(local_eps "$DST" "$2" "$3" | tr '\n' ' ')]"; }
# addrs_are SVC LINK ADDR: the local endpoints' addresses are exactly ADDR.
addrs_are() { [ "$(local_eps "$DST" "$1" "$2" | cut -d'|' -f1 | tr '\n' ' ')" = "$3 " ]; }
labels_are() { lsvc "$1" '{.metadata.labels.svclink\.cloudpilot\.ai/created-by}/{.metadata.labels.svclink\.cloudpilot\.ai/source-cluster}/{.metadata.labels.svclink\.cloudpilot\.ai/source-namespace}' | grep -qx "$2"; }
slice_port_is() { [ "$(km -n "$DST" get endpointslices -l "$(local_sel "$1" "$2")" -o jsonpath='{.items[0].ports[0].port}')" = "$3" ]; }
replaced() { [ "$(lsvc "$1" '{.spec.type}')" = "$2" ] && [ "$(lsvc "$1" '{.metadata.uid}')" != "$3" ]; }
hosts_are() { [ "$(local_eps "$DST" "$1" "$2" | cut -d'|' -f5 | sort | tr '\n' ' ')" = "$3 " ]; }
# cl_says LINK TEXT: "reason message" of the Ready condition starts with TEXT.
cl_says() { [[ "$(cl_get "$1" "$cond_path.reason} $cond_path.message}")" == "$2"* ]]; }
only_slices_of() { no_local_slices "$DST" "$1" "$2" && [ -n "$(local_eps "$DST" "$1" "$3")" ]; }
synced_stays() { km -n "$DST" get svc web >/dev/null 2>&1 && [ -n "$(local_eps "$DST" web "$LM")" ]; }
no_created() { [ -z "$(km -n "$DST" get svc -l "$CREATED" -o name 2>/dev/null)" ]; }
remote_web_pods() { [ "$(ka -n "$SRC" get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | wc -w)" -eq 2 ]; }

echo "-- run suffix $sfx, work directory $work"
if km apply -f "$CRD" >"$work/crd.out" 2>&1 &&
  km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >>"$work/crd.out" 2>&1; then
  e2e_pass "mirror: CRD with the mirror fields applied"
else
  fail "mirror: CRD with the mirror fields applied" "$(tr '\n' ' ' <"$work/crd.out")"
  e2e_finish
fi

# cluster-a: web (selected, 2 kwok pods), other (not selected), mine (selected; main has its
# own), ext (selected ExternalName). cluster-b: web (selected), for two links into one namespace.
{
  ns_yaml "$SRC"
  deploy_yaml "$SRC" web 2
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: %s, labels: {sync: "true", app: web}}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$SRC"
  svc_l "$SRC" other "app: other"
  slice_yaml "$SRC" other other-1 10.200.1.1
  ext_yaml "$SRC" ext db.example.test
} | ka apply -f - >"$work/setup-a.out" 2>&1 || { fail "mirror: setup cluster-a" "$(tr '\n' ' ' <"$work/setup-a.out")"; e2e_finish; }
{
  ns_yaml "$SRC"
  svc_l "$SRC" web 'sync: "true"'
  slice_yaml "$SRC" web web-b1 10.201.0.7
} | kb apply -f - >"$work/setup-b.out" 2>&1 || { fail "mirror: setup cluster-b" "$(tr '\n' ' ' <"$work/setup-b.out")"; e2e_finish; }
# main: the destination namespace does not exist; a Service "mine" of the user's own in it is
# made after svclink has created the namespace.
mirror_link "$LM" cluster-a | km apply -f - >"$work/link.out" 2>&1 || fail "mirror: link applied" "$(cat "$work/link.out")"
e2e_wait 60 remote_web_pods

svc_start "$work/run1.log"
expect "mirror: link Ready" 60 "cl_summary $LM" cl_is "$LM" True Connected
expect "mirror: the mapped namespace is created in main" 30 "km get ns $DST" km get namespace "$DST"
expect "mirror: selected Service created in the mapped namespace" 30 "km -n $DST get svc" km -n "$DST" get service web
check "mirror: created Service is labelled created-by, source-cluster and source-namespace" \
  "lsvc web '{.metadata.labels}'" labels_are web "svclink/$LM/$SRC"
check "mirror: created Service is selectorless ClusterIP with the remote's port and targetPort" \
  "lsvc web '{.spec}'" lsvc_is web '{.spec.type}/{.spec.selector}/{.spec.ports[0].port}/{.spec.ports[0].targetPort}' "ClusterIP//80/8080"
expect "mirror: endpoints land in the mapped namespace, equal to the remote's" 30 "eps_diff_as cluster-a web $LM" \
  eps_as cluster-a web "$LM"
check "mirror: slices carry the port the remote pods listen on (8080)" "km -n $DST get endpointslices -o yaml | grep -A3 ports:" \
  slice_port_is web "$LM" 8080
# The user's own Service "mine", made before any remote exports it.
svc_l "$DST" mine "owner: user" | km apply -f - >/dev/null 2>&1
{ svc_l "$SRC" mine 'sync: "true"'; slice_yaml "$SRC" mine mine-1 10.200.2.1; } | ka apply -f - >/dev/null 2>&1
check "mirror: nothing lands under the remote namespace's own name" "km get ns $SRC" not km get namespace "$SRC"
check "f9 mirror: an unselected Service is not created" "km -n $DST get svc" lsvc_gone other
expect "mirror: ExternalName mirrored with its target and no slices" 30 "lsvc ext '{.spec}'" \
  lsvc_is ext '{.spec.type}/{.spec.externalName}' "ExternalName/db.example.test"
check "mirror: no slices for the ExternalName" "local_slices $DST ext $LM" no_local_slices "$DST" ext "$LM"

# A second link (cluster-b) maps into the same local namespace: both clusters' endpoints.
mirror_link "$LM2" cluster-b | km apply -f - >/dev/null 2>&1
expect "mirror: two links map into one local namespace" 40 "local_eps $DST web $LM2" addrs_are web "$LM2" 10.201.0.7
km delete clusterlink "$LM2" --wait=false >/dev/null 2>&1
expect "mirror: deleting the second link removes only its slices" 30 "local_eps $DST web $LM2" only_slices_of web "$LM2" "$LM"

# ExternalName follows its target, and type changes both ways replace what was made.
ka -n "$SRC" patch service ext --type merge -p '{"spec":{"externalName":"db2.example.test"}}' >/dev/null
expect "mirror: externalName change follows" 30 "lsvc ext '{.spec}'" lsvc_is ext '{.spec.externalName}' db2.example.test
uid_ext=$(lsvc ext '{.metadata.uid}')
ka -n "$SRC" patch service ext --type merge -p '{"spec":{"type":"ClusterIP","externalName":null,"ports":[{"name":"http","port":80,"targetPort":8080}]}}' >"$work/ext.out" 2>&1
expect "mirror: ExternalName -> ClusterIP replaces the local Service" 40 "lsvc ext '{.metadata.uid} {.spec}'; cat $work/ext.out" \
  replaced ext ClusterIP "$uid_ext"
ka -n "$SRC" patch service ext --type merge -p '{"spec":{"type":"ExternalName","externalName":"db3.example.test","clusterIP":null,"clusterIPs":null,"ipFamilies":null,"ipFamilyPolicy":null}}' >"$work/ext2.out" 2>&1
expect "mirror: ClusterIP -> ExternalName replaces it again" 40 "lsvc ext '{.spec}'; cat $work/ext2.out" \
  lsvc_is ext '{.spec.type}/{.spec.externalName}' "ExternalName/db3.example.test"

# Label removed: what svclink made for it goes; relabelled: it comes back.
t0=$(now_ms)
ka -n "$SRC" label service web sync- >/dev/null
if sync_wait 30 lsvc_gone web; then
  t1=$(now_ms)
  e2e_pass "f9 mirror: label removed -> the Service svclink created is deleted ($(ms_to_s $((t1 - t0))) s)"
  echo "# label removal to local Service deletion: $((t1 - t0)) ms (polled every 0.25 s)"
else
  fail "f9 mirror: label removed -> the Service svclink created is deleted" "$(km -n "$DST" get svc 2>&1)"
fi
expect "mirror: ... and its slices" 30 "local_slices $DST web $LM" no_local_slices "$DST" web "$LM"
ka -n "$SRC" label service web sync=true >/dev/null
expect "mirror: relabelled -> Service and endpoints come back" 40 "eps_diff_as cluster-a web $LM" eps_as cluster-a web "$LM"

# A Service svclink did not create gets endpoints but is never edited or deleted.
expect "mirror: endpoints go into the user's own Service too" 30 "local_eps $DST mine $LM" addrs_are mine "$LM" 10.200.2.1
check "mirror: the user's own Service is not labelled as svclink's" "lsvc mine '{.metadata.labels}'" \
  not labels_are mine "svclink/.*"
ka -n "$SRC" delete service mine >/dev/null
expect "mirror: remote deleted -> slices go from the user's Service" 30 "local_slices $DST mine $LM" no_local_slices "$DST" mine "$LM"
check "mirror: ... but the user's Service stays" "km -n $DST get svc mine" km -n "$DST" get service mine
ka -n "$SRC" delete service other >/dev/null

# Headless: created headless, each pod under its own per-link hostname.
{
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: %s, labels: {sync: "true"}}\nspec:\n  clusterIP: None\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}]\n' "$SRC"
  slice_yaml "$SRC" db db-1 10.200.3.1 10.200.3.2 |
    sed 's/^- addresses: \[10.200.3.1\]/- addresses: [10.200.3.1]\n  hostname: db-0/; s/^- addresses: \[10.200.3.2\]/- addresses: [10.200.3.2]\n  hostname: db-1/'
} | ka apply -f - >"$work/headless.out" 2>&1
expect "mirror: a headless remote Service is created headless" 30 "lsvc db '{.spec}'; cat $work/headless.out" \
  lsvc_is db '{.spec.clusterIP}' None
expect "mirror: its pods keep their own names, suffixed with the link" 30 "local_eps $DST db $LM" \
  hosts_are db "$LM" "db-0-$LM db-1-$LM"

# Bad specs: refused with the field named; what is synced stays.
mirror_link "$LM" cluster-a "namespaceMapping: [{from: $SRC, to: $DST}, {from: x-$sfx, to: $DST}]" |
  sed "0,/namespaceMapping: \[{from: $SRC, to: $DST}\]$/{/namespaceMapping: \[{from: $SRC, to: $DST}\]$/d}" |
  km apply -f - >"$work/bad1.out" 2>&1
expect "b14 v6 mirror: two remote namespaces into one local one -> SpecInvalid naming namespaceMapping[1].to" 30 "cl_summary $LM; cat $work/bad1.out" \
  cl_says "$LM" "SpecInvalid invalid spec: spec.namespaceMapping[1].to: entry 0 maps into \"$DST\" already"
check "b14 mirror: ... and the synced Service and endpoints stay" "local_eps $DST web $LM" synced_stays
link_yaml "$LBAD" "kubeconfig: $(b64 "$E2E_STATE/cluster-a/kubeconfig")" "namespaceMapping: [{from: a, to: kube-system}]" |
  km apply -f - >"$work/bad2.out" 2>&1
check "v6 mirror: a mapping to kube-system is refused by the API server, naming it" "cat $work/bad2.out" \
  grep -q "kube-system is never synced" "$work/bad2.out"
link_yaml "$LBAD" "kubeconfig: $(b64 "$E2E_STATE/cluster-a/kubeconfig")" "serviceSelector: {matchLabels: {'-bad': x}}" |
  km apply -f - >"$work/bad3.out" 2>&1
expect "b14 v5 mirror: a bad selector key -> SpecInvalid naming spec.serviceSelector" 30 "cl_summary $LBAD; cat $work/bad3.out" \
  cl_says "$LBAD" "SpecInvalid invalid spec: spec.serviceSelector.matchLabels[-bad]"
km delete clusterlink "$LBAD" --wait=false >/dev/null 2>&1
mirror_link "$LM" cluster-a | km apply -f - >/dev/null 2>&1
expect "mirror: fixed spec -> Ready again" 30 "cl_summary $LM" cl_is "$LM" True Connected

# Deleting the remote Service deletes the one svclink created.
ka -n "$SRC" delete service ext >/dev/null
expect "mirror: remote Service deleted -> local one svclink created deleted" 30 "km -n $DST get svc" lsvc_gone ext

# Deleting the link deletes every Service it created; the namespace stays.
km delete clusterlink "$LM" --wait=false >/dev/null 2>&1
expect "mirror: link deleted -> its created Services are deleted" 40 "km -n $DST get svc -l $CREATED" no_created
expect "mirror: ... and the link is gone (finalizer released)" 30 "cl_summary $LM" cl_gone "$LM"
# S11: mine lives in the namespace svclink created, so it is still there only if that namespace is.
check "s11 mirror: the user's own Service survives the link's deletion" "km -n $DST get svc" km -n "$DST" get service mine
svc_stop
if [ "$SVC_RC" = 0 ]; then e2e_pass "mirror: svclink exits 0 on SIGTERM"; else fail "mirror: svclink exits 0 on SIGTERM" "rc=$SVC_RC"; fi
e2e_finish
