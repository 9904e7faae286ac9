#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through expect, check, e2e_wait and the EXIT trap
# `svclink mirror` (k8s-svc-sync's command line, no CRD) on the harness clusters: one
# kubeconfig with two contexts (cluster-a the source, main the destination); its usage
# errors name the flag; the label selector, label removal and remote deletion; the mapping
# into --dst-ns (created); two replicas with leader election, the follower never writing and
# SIGTERM handing over; /health /ready /leader (k8s-svc-sync's text); k8s-svc-sync's own
# command lines (its README's "run locally" line word for word, its whole flag table in both
# syntaxes, and no flag at all: its defaults); then manifests/mirror/ applied for real and
# svclink mirror running with the Deployment's own arguments as the two ServiceAccounts
# they create, without one 403.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
SRC=mc-$sfx      # cluster-a: the source namespace
DST=mcd-$sfx     # main: the destination namespace (svclink mirror creates it)
LNS=mcl-$sfx     # main: the Lease's namespace
CTX_SRC="Source_A.$sfx" CTX_DST=dest-main
LINK=source-a-$sfx # the link name svclink derives from CTX_SRC
LEASE_S=6
# manifests/mirror/ under this run's names (the shipped ones are svclink-mirror, prod-test, default)
MN=smr-$sfx MDST=smd-$sfx MSRC=sms-$sfx
# k8s-svc-sync's own command lines: its default namespaces and Lease, a Service of this run
SEEDSVC=seed-$sfx SEEDPOD=seed-e2e-$sfx SEEDLEASE=seed-lease-$sfx
SEED_NS=(production prod-test k8s-sync) # main: the run-locally line's --dst-ns, the default one, the Lease's

cleanup() {
  local r
  for r in "${!PID[@]}"; do stop_replica "$r" KILL; done
  km delete namespace "$DST" "$LNS" "$MN" "$MDST" --wait=false --ignore-not-found >/dev/null 2>&1
  km delete clusterrole,clusterrolebinding "$MN-cluster" --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$SRC" "$MN" "$MSRC" --wait=false --ignore-not-found >/dev/null 2>&1
  ka -n default delete service "$SEEDSVC" --ignore-not-found >/dev/null 2>&1
  ka -n default delete endpointslice "$SEEDSVC-1" --ignore-not-found >/dev/null 2>&1
  km delete namespace "${SEED_NS[@]}" --wait=false --ignore-not-found >/dev/null 2>&1
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_replica NAME KUBECONFIG ARGS...: svclink mirror with that kubeconfig and ARGS.
start_replica() { replica_start "$1" mirror --kubeconfig "$2" "${@:3}"; }
tail_of() { tail -n "${2:-3}" "$work/$1.log" 2>/dev/null | tr '\n' ' ' | cut -c1-600; }

# --- one kubeconfig, two contexts ------------------------------------------------------------
# The first occurrence of a field in a harness kubeconfig (the IP-addressed cluster, its admin).
kfield() { grep -m1 "^ *$2:" "$E2E_STATE/$1/kubeconfig" | sed 's/^[^:]*: *//'; }
# cluster-a's CA as a file named relatively: the operator's kubeconfig may use file paths
# (resolved from its own directory), unlike a ClusterLink's.
kfield cluster-a certificate-authority-data | base64 -d >"$work/ca-a.crt"
# two_clusters FILE CURRENT NAME=CLUSTER...: a kubeconfig (mode 0600) with clusters a
# (cluster-a) and m (main), their admins and an exec user "plugin", and one context per
# NAME=CLUSTER (the user is CLUSTER's admin, or plugin for a "NAME=a:plugin").
two_clusters() {
  local file=$1 current=$2 c; shift 2
  (
    umask 077
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {server: "$(kfield cluster-a server)", certificate-authority: ca-a.crt}
- name: m
  cluster: {server: "$(kfield main server)", certificate-authority-data: $(kfield main certificate-authority-data)}
users:
- name: a-admin
  user: {client-certificate-data: $(kfield cluster-a client-certificate-data), client-key-data: $(kfield cluster-a client-key-data)}
- name: m-admin
  user: {client-certificate-data: $(kfield main client-certificate-data), client-key-data: $(kfield main client-key-data)}
- name: plugin
  user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/true, interactiveMode: Always}}
current-context: "$current"
contexts:
EOF
    for c in "$@"; do
      local name=${c%=*} target=${c##*=} user
      user=${target#*:}
      [ "$user" = "$target" ] && user=$target-admin
      printf -- '- name: "%s"\n  context: {cluster: %s, user: %s}\n' "$name" "${target%%:*}" "$user" >>"$file"
    done
  )
}
two_clusters "$work/kubeconfig" "$CTX_DST" "$CTX_SRC=a" "$CTX_DST=m" "with-exec=a:plugin"
KC=$work/kubeconfig
BASE=(--src-context "$CTX_SRC" --dst-context "$CTX_DST" --src-ns "$SRC" --dst-ns "$DST" --sync-label sync=true)
echo "-- run suffix $sfx, work directory $work"

# --- usage errors: exit 2, the flag named, nothing started -------------------------------------
# usage_error NAME FLAG ARGS...: svclink mirror ARGS exits 2 within 5 s, its message naming FLAG.
usage_error() {
  local name=$1 flag=$2 out rc; shift 2
  out=$(timeout 5 "$BIN" mirror "$@" 2>&1 </dev/null); rc=$?
  if [ "$rc" = 2 ] && grep -qF -- "$flag" <<<"$out"; then e2e_pass "$name"; else fail "$name" "exit $rc: $out"; fi
}
usage_error "mirror-cmd: a bad -pod-name exits 2 naming it as typed" "--pod-name: must be" --kubeconfig "$KC" \
  "${BASE[@]}" -pod-name ''
usage_error "mirror-cmd: a bad -leader-election-namespace exits 2 naming it as typed" \
  "--leader-election-namespace: \"Bad_NS\"" --kubeconfig "$KC" "${BASE[@]}" -leader-election-namespace=Bad_NS
usage_error "mirror-cmd: a default context missing from the kubeconfig exits 2 naming --src-context" \
  "--src-context \"local-cluster\"" --kubeconfig "$KC"
usage_error "r9 mirror-cmd: a bad selector exits 2 naming --sync-label" "--sync-label: " --kubeconfig "$KC" \
  --src-context "$CTX_SRC" --dst-context "$CTX_DST" --src-ns "$SRC" --dst-ns "$DST" --sync-label 'sync in (a'
usage_error "r9 mirror-cmd: a context not in the kubeconfig exits 2 naming --src-context" "--src-context \"nope\"" \
  --kubeconfig "$KC" --src-context nope --dst-context "$CTX_DST" --src-ns "$SRC" --dst-ns "$DST" --sync-label sync=true
usage_error "r1 r9 mirror-cmd: an exec user that needs a terminal (interactiveMode Always) exits 2 naming --src-context" \
  "--src-context \"with-exec\": user \"plugin\": exec: interactiveMode Always is not supported" \
  --kubeconfig "$KC" --src-context with-exec --dst-context "$CTX_DST" --src-ns "$SRC" --dst-ns "$DST" --sync-label sync=true
usage_error "r9 mirror-cmd: a ClusterLink-mode flag is refused naming it" "--included-namespaces" \
  --kubeconfig "$KC" "${BASE[@]}" --included-namespaces x

# --- source objects ------------------------------------------------------------------------------
# web: selected, 2 kwok pods on 8080 behind port 80; other: the same pods, not selected;
# api: selected, selectorless, port 90 to 9090 with a hand-written slice.
{
  ns_yaml "$SRC"
  deploy_yaml "$SRC" web 2
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: %s, labels: {sync: "true"}}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$SRC"
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: %s}\nspec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$SRC"
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: %s, labels: {sync: "true"}}\nspec:\n  ports: [{name: grpc, port: 90, targetPort: 9090, protocol: TCP}]\n' "$SRC"
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: api-1\n  namespace: %s\n  labels: {kubernetes.io/service-name: api}\naddressType: IPv4\nports: [{name: grpc, port: 9090, protocol: TCP}]\nendpoints:\n- addresses: [10.245.201.1]\n  conditions: {ready: true}\n' "$SRC"
} >"$work/src.yaml"
if out=$(ka apply -f "$work/src.yaml" 2>&1) && out=$(ns_yaml "$LNS" | km apply -f - 2>&1); then
  e2e_pass "mirror-cmd: source objects applied"
else
  fail "mirror-cmd: source objects applied" "$out"
fi
check "mirror-cmd: $DST does not exist in main before svclink mirror runs" "km get ns $DST" not km get namespace "$DST"
remote_web_ready() { all_ready 2 "$(remote_eps cluster-a "$SRC" web)"; }
expect "mirror-cmd: cluster-a has 2 ready web endpoints (kwok)" 60 "remote_eps cluster-a $SRC web" remote_web_ready

# --- two replicas --------------------------------------------------------------------------------
# /leader answers k8s-svc-sync's text in svclink mirror: "Leader: <identity>" or "Follower".
leading() { [ "$(get "$1" /leader)" = "Leader: $1" ]; }
LE=(--leader-elect --leader-elect-namespace "$LNS" --leader-elect-lease-duration "${LEASE_S}s"
  --leader-elect-renew-deadline 4s --leader-elect-retry-period 1s --sync-interval 5s)
start_replica r1 "$KC" "${BASE[@]}" "${LE[@]}" --leader-elect-identity r1
start_replica r2 "$KC" "${BASE[@]}" "${LE[@]}" --leader-elect-identity r2
if [ -n "${PORT[r1]}" ] && [ -n "${PORT[r2]}" ]; then e2e_pass "mirror-cmd: both replicas listen"; else
  fail "mirror-cmd: both replicas listen" "r1: $(tail_of r1) r2: $(tail_of r2)"; fi
one_leader() { local n=0; leading r1 && n=$((n + 1)); leading r2 && n=$((n + 1)); [ "$n" = 1 ]; }
expect "mirror-cmd: exactly one of two replicas leads" 30 "echo r1 \$(get r1 /leader) r2 \$(get r2 /leader)" one_leader
if leading r1; then L=r1 F=r2; else L=r2 F=r1; fi
lease_holder() { km -n "$LNS" get lease k8s-svc-sync-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
check "r2 mirror-cmd: Lease k8s-svc-sync-leader (k8s-svc-sync's default name) in --leader-elect-namespace holds the leader" \
  "km -n $LNS get leases" [ "$(lease_holder)" = "$L" ]
check "mirror-cmd: the follower's /leader says Follower (k8s-svc-sync's text)" "get $F /leader" \
  [ "$(get "$F" /leader)" = Follower ]
# jget NAME PATH: the answer when asked for JSON.
jget() { curl -s -m 3 -H 'Accept: application/json' "http://127.0.0.1:${PORT[$1]}$2"; }
json_ok() { jget "$L" /leader | grep -q "\"leading\":true,\"identity\":\"$L\"" && jget "$F" /leader | grep -q "\"leading\":false.*\"holder\":\"$L\""; }
check "mirror-cmd: /leader asked with Accept: application/json answers svclink's JSON" "jget $L /leader; jget $F /leader" json_ok

# Probes: k8s-svc-sync's /health and /ready, and svclink's own, on both replicas.
probes_ok() {
  [ "$(code "$1" /health)" = 200 ] && [ "$(code "$1" /ready)" = 200 ] && [ "$(code "$1" /healthz)" = 200 ] &&
    [ "$(code "$1" /readyz)" = 200 ] && [ "$(code "$1" /leader)" = 200 ]
}
for r in r1 r2; do
  expect "r10 mirror-cmd: $r answers /health /ready /healthz /readyz /leader 200" 20 \
    "echo health \$(code $r /health) ready \$(code $r /ready): \$(get $r /ready) leader \$(get $r /leader)" probes_ok "$r"
done

# Selector sync into the mapped namespace.
mlabels() { km -n "$DST" get service "$1" -o jsonpath='{.metadata.labels}' 2>/dev/null; }
created_ok() {
  local l
  l=$(mlabels web) || return 1
  [[ $l == *'"svclink.cloudpilot.ai/created-by":"svclink"'* && $l == *"\"svclink.cloudpilot.ai/source-cluster\":\"$LINK\""* &&
    $l == *"\"svclink.cloudpilot.ai/source-namespace\":\"$SRC\""* && $l == *'"sync":"true-external"'* ]]
}
ns_created() { [ "$(km get ns "$DST" -o jsonpath='{.metadata.labels.svclink\.cloudpilot\.ai/created-by}' 2>/dev/null)" = svclink ]; }
expect "mirror-cmd: --dst-ns $DST is created, labelled created-by=svclink" 30 "km get ns $DST --show-labels" ns_created
expect "r6 mirror-cmd: the selected Service is created in $DST with created-by, source-cluster, source-namespace and sync=true-external" \
  30 "mlabels web; tail_of $L" created_ok
web_eps() { local r l; r=$(remote_eps cluster-a "$SRC" web) && l=$(local_eps "$DST" web "$LINK") && [ -n "$r" ] && [ "$r" = "$l" ]; }
expect "r1 mirror-cmd: its endpoints in $DST are the source pods'" 30 \
  "echo remote [\$(remote_eps cluster-a $SRC web | tr '\n' ' ')] local [\$(local_eps $DST web $LINK | tr '\n' ' ')]" web_eps
ports_ok() {
  [ "$(km -n "$DST" get service web -o jsonpath='{.spec.ports[0].port}/{.spec.ports[0].targetPort}')" = 80/8080 ] &&
    [ "$(km -n "$DST" get endpointslices -l "$(local_sel web "$LINK")" -o jsonpath='{.items[0].ports[0].port}')" = 8080 ]
}
check "mirror-cmd: the Service keeps port 80 -> targetPort 8080, its slices carry 8080 (the pods' port)" \
  "km -n $DST get svc,endpointslices -o wide" ports_ok
api_ok() { [ "$(local_eps "$DST" api "$LINK" | cut -d'|' -f1)" = 10.245.201.1 ]; }
expect "mirror-cmd: a selectorless selected Service comes with its hand-written endpoints" 30 "local_eps $DST api $LINK" api_ok
check "mirror-cmd: the unselected Service is not created" "km -n $DST get svc" not km -n "$DST" get service other
sleep 1
check "mirror-cmd: the follower has written nothing" "grep -m3 'msg=\"*write' $work/$F.log" [ "$(writes_of "$F")" = 0 ]

# Removing the label deletes what svclink made; relabelling brings it back.
svc_gone() { ! km -n "$DST" get service "$1" >/dev/null 2>&1 && no_local_slices "$DST" "$1" "$LINK"; }
t0=$(now_ms)
ka -n "$SRC" label service web sync- >/dev/null
if e2e_wait 20 svc_gone web; then
  took=$(($(now_ms) - t0))
  e2e_pass "mirror-cmd: removing the sync label deletes the created Service and its slices"
  echo "# label removal to local Service and slices gone (kubectl polling every 0.2 s): $(ms_to_s "$took") s"
  # The same from svclink's side: the label change to its DELETE of the Service (log ts).
  del_ts=$(grep -E 'msg="?write"? .*verb=DELETE kind=Service ns='"$DST"' name=web ' "$work/$L.log" | tail -n1 | grep -o 'ts=[^ ]*' | cut -d= -f2)
  [ -n "$del_ts" ] && echo "# label removal to svclink's DELETE of the Service: $(($(date -d "$del_ts" +%s%3N) - t0)) ms"
else
  fail "mirror-cmd: removing the sync label deletes the created Service and its slices" "$(km -n "$DST" get svc,endpointslices 2>&1)"
fi
ka -n "$SRC" label service web sync=true >/dev/null
expect "mirror-cmd: relabelling brings the Service and its endpoints back" 30 "tail_of $L" web_eps
ka -n "$SRC" delete service api >/dev/null
expect "mirror-cmd: deleting the source Service deletes the created one" 20 "km -n $DST get svc" svc_gone api

# SIGTERM: the follower takes over at once and goes on syncing.
t0=$(now_ms)
stop_replica "$L" TERM
if e2e_wait 10 leading "$F"; then
  took=$(($(now_ms) - t0))
  echo "# hand-over after SIGTERM: $(ms_to_s "$took") s"
  if [ "$took" -le 2500 ]; then e2e_pass "mirror-cmd: SIGTERM hands the Lease over at once"; else
    fail "mirror-cmd: SIGTERM hands the Lease over at once" "took $took ms"; fi
else
  fail "mirror-cmd: SIGTERM hands the Lease over at once" "$F: $(get "$F" /leader) $(tail_of "$F")"
fi
released() { [ "${RC[$L]:-x}" = 0 ] && grep -q 'lease released' "$work/$L.log"; }
check "mirror-cmd: the old leader released the Lease and exited 0" "echo status \${RC[$L]:-none}; tail_of $L" released
ka -n "$SRC" scale deployment web --replicas=3 >/dev/null
three() { all_ready 3 "$(local_eps "$DST" web "$LINK")"; }
expect "mirror-cmd: the new leader syncs a scale-up to 3 endpoints" 40 "local_eps $DST web $LINK; tail_of $F" three

# The kubeconfig file changing is picked up for the source: a rejected token makes /ready
# (k8s-svc-sync's: both clusters connected) say so while /readyz (the destination) stays
# 200 and what is synced stays; the file put back heals it. Replaced by rename, as a
# Secret volume is updated.
swap_kc() { cp "$1" "$work/kc.new" && mv -f "$work/kc.new" "$KC"; }
cp "$KC" "$work/kubeconfig.good"
sed "s|^  user: {client-certificate-data: $(kfield cluster-a client-certificate-data).*|  user: {token: not-a-valid-token}|" \
  "$work/kubeconfig.good" >"$work/kubeconfig.bad"
swap_kc "$work/kubeconfig.bad"
ready_says() { [ "$(code "$F" /ready)" = 503 ] && get "$F" /ready | grep -q "link $LINK is Unauthorized" && [ "$(code "$F" /readyz)" = 200 ]; }
expect "r8 r10 mirror-cmd: a changed kubeconfig is reloaded: a rejected source token turns /ready 503 naming the link, /readyz stays 200" \
  20 "echo ready \$(get $F /ready) readyz \$(code $F /readyz); tail_of $F" ready_says
check "mirror-cmd: and the mirrored Service and endpoints stay meanwhile" "local_eps $DST web $LINK" three
swap_kc "$work/kubeconfig.good"
ready_ok() { [ "$(code "$F" /ready)" = 200 ]; }
expect "mirror-cmd: the kubeconfig put back, /ready is 200 again" 20 "get $F /ready; tail_of $F" ready_ok
stop_replica "$F" TERM
check "mirror-cmd: the last replica exits 0 on SIGTERM" "tail_of $F" [ "${RC[$F]:-x}" = 0 ]

# --- k8s-svc-sync's own command lines ----------------------------------------------------------
# Its README's "run locally" line word for word (only the binary's name replaced), with what
# it takes from the environment: $KUBECONFIG (contexts local-cluster, prod-cluster and
# external-cluster) and $HOSTNAME, its -pod-name. Everything else is k8s-svc-sync's default:
# selector sync=true, leader election on Lease k8s-sync/k8s-svc-sync-leader in the
# destination (whose namespace must exist, as its README says), probes on :8080.
two_clusters "$work/seed.kubeconfig" prod-cluster local-cluster=a prod-cluster=m external-cluster=m
for ns in "${SEED_NS[@]}"; do e2e_wait 90 not ns_terminating "$ns" || echo "# setup: namespace $ns still Terminating"; done
if out=$(ns_yaml k8s-sync | km apply -f - 2>&1) && out=$({
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: default, labels: {sync: "true"}}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$SEEDSVC"
  slice_yaml default "$SEEDSVC" "$SEEDSVC-1" 10.245.203.1
} | ka apply -f - 2>&1); then
  e2e_pass "mirror-cmd: seed: namespace k8s-sync in main, Service $SEEDSVC (sync=true) in cluster-a's default"
else
  fail "mirror-cmd: seed: namespace k8s-sync in main, Service $SEEDSVC (sync=true) in cluster-a's default" "$out"
fi
# :8080 is the point of the first and last runs; on a machine where something else holds it,
# they get a free port instead, and say so.
SEED_HTTP=() SEED_PORT_NOTE=""
if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
  SEED_HTTP=(-http-address 127.0.0.1:0) SEED_PORT_NOTE=" (8080 is taken here: -http-address 127.0.0.1:0 appended)"
fi
# seed_run NAME ENV... -- ARGS...: svclink mirror ARGS with only ENV (and PATH) in its
# environment; PORT[NAME] from its "serving" line.
seed_run() {
  local name=$1 e=() p=""; shift
  while [ "$1" != -- ]; do e+=("$1"); shift; done
  shift
  env -i PATH="$PATH" "${e[@]}" "$BIN" mirror "$@" >"$work/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 50); do
    p=$(grep -m1 -oE 'msg="serving [^"]*" address=[^ ]*:[0-9]+' "$work/$name.log" | grep -oE '[0-9]+$')
    [ -n "$p" ] && break
    sleep 0.1
  done
  PORT[$name]=$p
}
seed_eps() { local_eps "$1" "$SEEDSVC" local-cluster | cut -d'|' -f1 | tr '\n' ' '; }
seed_leads() { [ "$(get "$1" /leader)" = "Leader: $2" ]; }
seed_holder() { km -n "$1" get lease "$2" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }

# 1. The "run locally" line.
seed_run seed1 KUBECONFIG="$work/seed.kubeconfig" HOSTNAME="$SEEDPOD" -- \
  -src-context local-cluster \
  -dst-context prod-cluster \
  -src-ns default \
  -dst-ns production "${SEED_HTTP[@]}"
want_port=8080
[ ${#SEED_HTTP[@]} = 0 ] || want_port=${PORT[seed1]}
check "mirror-cmd: seed run-locally line starts and serves on :${want_port}$SEED_PORT_NOTE" "tail_of seed1 4" \
  eval '[ -n "${PORT[seed1]}" ] && [ "${PORT[seed1]}" = "$want_port" ] && alive seed1'
expect "mirror-cmd: seed run-locally line: curl :PORT/leader gives 'Leader: $SEEDPOD' (\$HOSTNAME, text/plain)" 30 \
  "echo \"\$(get seed1 /leader)\"; tail_of seed1" eval 'seed_leads seed1 "$SEEDPOD" &&
    curl -s -o /dev/null -w "%{content_type}" "http://127.0.0.1:${PORT[seed1]}/leader" | grep -q "^text/plain"'
check "mirror-cmd: seed run-locally line: it holds Lease k8s-sync/k8s-svc-sync-leader in the destination" \
  "km -n k8s-sync get leases -o wide" [ "$(seed_holder k8s-sync k8s-svc-sync-leader)" = "$SEEDPOD" ]
expect "mirror-cmd: seed run-locally line: the sync=true Service of default is mirrored into production with its endpoint" 30 \
  "km -n production get svc,endpointslices; tail_of seed1" eval '[ "$(seed_eps production)" = "10.245.203.1 " ] &&
    km -n production get service "$SEEDSVC" >/dev/null'
check "mirror-cmd: seed run-locally line: /health and /ready answer 200" "get seed1 /ready" \
  eval '[ "$(code seed1 /health)" = 200 ] && [ "$(code seed1 /ready)" = 200 ]'
check "mirror-cmd: seed run-locally line: the log says once that the Lease is in the destination" "grep -c 'Lease is in' $work/seed1.log" \
  [ "$(grep -c 'the Lease is in the destination cluster' "$work/seed1.log")" = 1 ]
stop_replica seed1 TERM
check "mirror-cmd: seed run-locally line: exits 0 on SIGTERM" "tail_of seed1" [ "${RC[seed1]:-x}" = 0 ]

# 2. The whole flag table, "-flag value" and "-flag=value" mixed, no environment at all; a
# second replica with another -pod-name follows. Its own port: -http-address is svclink's.
for r in 2 3; do
  seed_run "seed$r" -- -kubeconfig "$work/seed.kubeconfig" -src-context=local-cluster -dst-context prod-cluster \
    -src-ns=default -dst-ns production -sync-label=sync=true -leader-election-namespace "$LNS" \
    -leader-election-name=$SEEDLEASE -pod-name "seed-pod$r-$sfx" -http-address 127.0.0.1:0
  [ "$r" = 2 ] && e2e_wait 20 seed_leads seed2 "seed-pod2-$sfx"
done
check "mirror-cmd: seed flag table: the first replica leads as its -pod-name" "get seed2 /leader; tail_of seed2" \
  seed_leads seed2 "seed-pod2-$sfx"
expect "mirror-cmd: seed flag table: the second replica says Follower" 10 "get seed3 /leader; tail_of seed3" \
  eval '[ "$(get seed3 /leader)" = Follower ]'
check "mirror-cmd: seed flag table: Lease -leader-election-name in -leader-election-namespace holds -pod-name" \
  "km -n $LNS get leases -o wide" [ "$(seed_holder "$LNS" "$SEEDLEASE")" = "seed-pod2-$sfx" ]
slice_yaml default "$SEEDSVC" "$SEEDSVC-1" 10.245.203.1 10.245.203.2 | ka apply -f - >/dev/null
expect "mirror-cmd: seed flag table: a second source endpoint reaches production" 30 "seed_eps production; tail_of seed2" \
  eval '[ "$(seed_eps production)" = "10.245.203.1 10.245.203.2 " ]'
check "mirror-cmd: seed flag table: the follower wrote nothing" "grep -m3 'msg=\"*write' $work/seed3.log" \
  [ "$(writes_of seed3)" = 0 ]
stop_replica seed3 TERM
stop_replica seed2 TERM
check "mirror-cmd: seed flag table: both replicas exit 0 on SIGTERM" "tail_of seed2; tail_of seed3" \
  eval '[ "${RC[seed2]:-x}" = 0 ] && [ "${RC[seed3]:-x}" = 0 ]'

# 3. No flag at all: k8s-svc-sync's defaults, local-cluster's default into external-cluster's prod-test.
seed_run seed4 KUBECONFIG="$work/seed.kubeconfig" HOSTNAME="$SEEDPOD" -- "${SEED_HTTP[@]}"
[ ${#SEED_HTTP[@]} = 0 ] || want_port=${PORT[seed4]}
expect "mirror-cmd: seed defaults (no flag): serves on :${want_port}, leads as \$HOSTNAME, mirrors default into prod-test$SEED_PORT_NOTE" 40 \
  "echo port ${PORT[seed4]:-none} leader \"\$(get seed4 /leader)\"; km -n prod-test get svc,endpointslices; tail_of seed4" \
  eval '[ "${PORT[seed4]}" = "$want_port" ] && seed_leads seed4 "$SEEDPOD" &&
    [ "$(seed_eps prod-test)" = "10.245.203.1 10.245.203.2 " ] &&
    [ "$(km -n prod-test get service "$SEEDSVC" -o jsonpath="{.metadata.labels.sync}")" = true-external ]'
stop_replica seed4 TERM
check "mirror-cmd: seed defaults (no flag): exits 0 on SIGTERM" "tail_of seed4" [ "${RC[seed4]:-x}" = 0 ]

# --- manifests/mirror/ for real ------------------------------------------------------------------
# rename FILE: the manifest under this run's names (default is the source namespace only in
# source-rbac.yaml and --src-ns; the destination's Role in default stays there).
rename() {
  local src_ns=()
  [ "$1" = source-rbac.yaml ] && src_ns=(-e "s/namespace: default$/namespace: $MSRC/")
  sed -e "s/svclink-mirror/$MN/g" -e "s/prod-test/$MDST/g" "${src_ns[@]}" \
    -e "s/--src-ns=default$/--src-ns=$MSRC/" "$E2E_ROOT/manifests/mirror/$1"
}
apply_strict() { # CLUSTER FILE
  local out
  out=$(rename "$2" | e2e_kubectl "$1" apply --validate=strict -f - 2>&1) && ! grep -qi warning <<<"$out" || { echo "$out"; return 1; }
}
ns_yaml "$MSRC" | ka apply -f - >/dev/null
for f in namespace.yaml rbac.yaml deployment.yaml; do
  if why=$(apply_strict main "$f"); then e2e_pass "mirror-manifests: $f applies to main (strict, no warnings)"; else
    fail "mirror-manifests: $f applies to main (strict, no warnings)" "$why"; fi
done
if why=$(apply_strict cluster-a source-rbac.yaml); then e2e_pass "mirror-manifests: source-rbac.yaml applies to cluster-a (strict, no warnings)"; else
  fail "mirror-manifests: source-rbac.yaml applies to cluster-a (strict, no warnings)" "$why"; fi
ready3() { [ "$(km -n "$MN" get deployment "$MN" -o jsonpath='{.status.readyReplicas}')" = 3 ]; }
expect "mirror-manifests: the Deployment has 3 ready replicas (kwok)" 60 "km -n $MN get deploy,pods -o wide" ready3
nodes3() { [ "$(km -n "$MN" get pods -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | grep -c .)" = 3 ]; }
check "mirror-manifests: the three replicas run on three nodes (anti-affinity)" "km -n $MN get pods -o wide" nodes3
pdb_ok() {
  [ "$(km -n "$MN" get pdb "$MN" -o jsonpath='{.spec.minAvailable}/{.spec.selector.matchLabels}')" = "1/{\"app.kubernetes.io/name\":\"$MN\"}" ] &&
    [ "$(km -n "$MN" get pods -l "app.kubernetes.io/name=$MN" -o name | grep -c .)" = 3 ]
}
check "mirror-manifests: the PodDisruptionBudget (minAvailable 1) selects the three pods" "km -n $MN get pdb -o yaml" pdb_ok

# The two ServiceAccounts' tokens: the source one from its token Secret, the destination one
# as a file (as the pod's own would be, read through tokenFile).
src_token() { ka -n "$MN" get secret "$MN-reader-token" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d; }
have_src_token() { [ -n "$(src_token)" ]; }
e2e_wait 30 have_src_token
(umask 077; km -n "$MN" create token "$MN" --duration 1h >"$work/dst.token" 2>"$work/token.err")
kfield main certificate-authority-data | base64 -d >"$work/ca-m.crt"
(
  umask 077
  cat >"$work/sa.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: source
  cluster: {server: "$(kfield cluster-a server)", certificate-authority-data: $(kfield cluster-a certificate-authority-data)}
- name: destination
  cluster: {server: "$(kfield main server)", certificate-authority: $work/ca-m.crt}
users:
- name: source-reader
  user: {token: $(src_token)}
- name: destination-sa
  user: {tokenFile: $work/dst.token}
contexts:
- name: source
  context: {cluster: source, user: source-reader}
- name: destination
  context: {cluster: destination, user: destination-sa}
current-context: destination
EOF
)
# The Deployment's own arguments, with a local kubeconfig and listener.
mapfile -t MARGS < <(km -n "$MN" get deployment "$MN" -o jsonpath='{range .spec.template.spec.containers[0].args[*]}{@}{"\n"}{end}' |
  grep -v -e '^--kubeconfig=' -e '^--http-address=' -e '^mirror$')
margs_ok() { [[ " ${MARGS[*]} " == *" --src-ns=$MSRC "* && " ${MARGS[*]} " == *" --dst-ns=$MDST "* ]]; }
check "mirror-manifests: the Deployment runs svclink mirror with --src-ns $MSRC --dst-ns $MDST" "echo ${MARGS[*]}" margs_ok
{
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: web2, namespace: %s, labels: {sync: "true"}}\nspec:\n  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]\n' "$MSRC"
  slice_yaml "$MSRC" web2 web2-1 10.245.202.1 10.245.202.2
} | ka apply -f - >/dev/null
# A pod has both: POD_NAME from the manifest, HOSTNAME from the kubelet (-pod-name's default).
HOSTNAME=mirror-e2e-$sfx POD_NAME=mirror-e2e-$sfx start_replica sa "$work/sa.kubeconfig" "${MARGS[@]}" --sync-interval 5s
sa_synced() { [ "$(local_eps "$MDST" web2 source | cut -d'|' -f1 | tr '\n' ' ')" = "10.245.202.1 10.245.202.2 " ]; }
expect "mirror-manifests: as the two ServiceAccounts, web2 is mirrored into $MDST with its endpoints" 40 \
  "km -n $MDST get svc,endpointslices; tail_of sa" sa_synced
holder_ok() { [[ $(km -n "$MN" get lease "$MN" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null) == "mirror-e2e-$sfx" ]]; }
expect "mirror-manifests: it holds Lease $MN as the pod's name" 20 "km -n $MN get lease -o yaml | tail -n 8" holder_ok
ka -n "$MSRC" label service web2 sync- >/dev/null
web2_gone() { ! km -n "$MDST" get service web2 >/dev/null 2>&1; }
expect "mirror-manifests: and deletes it when the label goes (delete allowed)" 20 "km -n $MDST get svc" web2_gone
stop_replica sa TERM
check "mirror-manifests: it exits 0 on SIGTERM" "tail_of sa" [ "${RC[sa]:-x}" = 0 ]
n403=$(grep -c 'status=403\|Forbidden\|forbidden' "$work/sa.log")
check "r3 r4 r7 mirror-manifests: nothing was refused (no 403 or Forbidden in its log)" "grep -m3 -i forbidden $work/sa.log" [ "$n403" = 0 ]

# And nothing next to what it needs.
dst_tok=$(cat "$work/dst.token") src_tok=$(src_token)
refused=""
for c in "get secrets -n $MDST" "update services -n $MDST" "get services -n $MDST" "list services -A" \
  "create services -n default" "delete namespaces" "get namespaces" "patch endpointslices -n $MDST" \
  "list leases -n $MN" "get leases/other -n $MN" "create endpointslices -n default" "get nodes" "patch nodes"; do
  # shellcheck disable=SC2086 # verb, resource and maybe -n NS
  [ "$("$E2E_KUBECTL" --server "$(kfield main server)" --certificate-authority "$work/ca-m.crt" --token "$dst_tok" auth can-i $c 2>/dev/null)" = no ] || refused+="dst '$c'; "
done
for c in "list services -A" "get secrets -n $MSRC" "create services -n $MSRC" "list services -n default"; do
  # shellcheck disable=SC2086
  [ "$("$E2E_KUBECTL" --server "$(kfield cluster-a server)" --certificate-authority "$work/ca-a.crt" --token "$src_tok" auth can-i $c 2>/dev/null)" = no ] || refused+="src '$c'; "
done
# The same tokens are allowed what the rules grant, so the refusals above are the rules'.
granted=""
# shellcheck disable=SC2086
for c in "create services -n $MDST" "delete services -n $MDST" "watch endpointslices -n $MDST" "create namespaces" \
  "list nodes" "watch servicecidrs.networking.k8s.io" "list endpointslices -n default"; do
  [ "$("$E2E_KUBECTL" --server "$(kfield main server)" --certificate-authority "$work/ca-m.crt" --token "$dst_tok" auth can-i $c 2>/dev/null)" = yes ] || granted+="dst '$c'; "
done
# shellcheck disable=SC2086
for c in "list services -n $MSRC" "watch endpointslices -n $MSRC"; do
  [ "$("$E2E_KUBECTL" --server "$(kfield cluster-a server)" --certificate-authority "$work/ca-a.crt" --token "$src_tok" auth can-i $c 2>/dev/null)" = yes ] || granted+="src '$c'; "
done
unset dst_tok src_tok
check "mirror-manifests: the ServiceAccounts have what the rules grant (9 checked)" "echo not granted: $granted" [ -z "$granted" ]
check "mirror-manifests: and nothing next to its rules (17 neighbouring permissions refused)" "echo allowed: $refused" [ -z "$refused" ]
e2e_finish
