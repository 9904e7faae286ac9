#!/usr/bin/env bash
# Traffic, not objects: with the local data plane (hack/dataplane.sh: pod sandboxes, real
# kube-proxy in nftables mode, CoreDNS), requests from main's client reach remote pods.
#
# Setup: web in namespace demo (main 1 pod, cluster-a 3, cluster-b 2), links to both
# remotes, svclink. Then: spread by DNS name and ClusterIP; cluster-a scaled 3 -> 1 (the
# time until no request goes to a removed pod); a not-ready endpoint; terminating
# endpoints; cluster-a's API server down past staleEndpointTimeoutSeconds and back; a
# disabled link, then a deleted one. Needs root (else one SKIP line); E2E_* as tests/run.sh
# sets them; E2E_KEEP=1 keeps the work directory (request logs, svclink's log).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP datapath: needs root (network namespaces, nftables)"
  exit 0
fi

SYNC_INTERVAL=5
STALE=6            # cluster-a's staleEndpointTimeoutSeconds
N=60               # requests per spread check: a pod with 1/6 of the traffic misses all 60 with p=2e-5
NS=demo
run_begin datapath
LA=dp-a-$sfx LB=dp-b-$sfx
DP_STARTED=0 APISERVER_A_DOWN=0 STREAM_PID=""
export SVCLINK_STATE
SVCLINK_STATE=$(dirname "$E2E_STATE")

dp() { "$E2E_ROOT/hack/dataplane.sh" "$@"; }

cleanup() {
  [ -n "$STREAM_PID" ] && kill "$STREAM_PID" 2>/dev/null
  if [ "$APISERVER_A_DOWN" = 1 ]; then "$E2E_ROOT/hack/clusters.sh" apiserver cluster-a start >/dev/null 2>&1; fi
  run_links_end
  local c
  for c in main cluster-a cluster-b; do e2e_kubectl "$c" delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1; done
  if [ "$DP_STARTED" = 1 ]; then dp down >"$work/dp-down.log" 2>&1; fi
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- traffic helpers ---------------------------------------------------------------------------
# hits N URL: "COUNT pod=NAME cluster=C" per answering pod, plus "COUNT ERR".
hits() { dp get "$1" "$2" | awk '{print $1, $2}' | sort | uniq -c; }
# pods_of CLUSTER: "pod=NAME cluster=CLUSTER" per running web pod.
pods_of() {
  e2e_kubectl "$1" -n "$NS" get pods -l app=web --field-selector status.phase=Running \
    -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | sed "s/.*/pod=& cluster=$1/"
}
# every_pod_answers FILE PODS: each line of PODS appears in the hits FILE.
every_pod_answers() {
  local p
  while read -r p; do [ -z "$p" ] || grep -qF " $p" "$1" || return 1; done <<<"$2"
}
per_cluster() { awk '{split($3, c, "="); n[c[2] == "" ? $2 : c[2]] += $1} END {for (k in n) printf "%s=%d ", k, n[k]}' "$1"; }
# answers FILE CLUSTER: requests CLUSTER answered in hits FILE.
answers() { awk -v c="cluster=$2" '$3 == c {n += $1} END {print n + 0}' "$1"; }

# spread NAME URL: N requests; PASS when every web pod of the three clusters answered.
spread() {
  local name=$1 url=$2 f=$work/hits-$RANDOM all
  all=$(pods_of main; pods_of cluster-a; pods_of cluster-b)
  hits "$N" "$url" >"$f"
  if [ "$(grep -c . <<<"$all")" -eq 6 ] && every_pod_answers "$f" "$all" && ! grep -q ' ERR' "$f"; then
    e2e_pass "$name ($N requests: $(per_cluster "$f"))"
  else
    fail "$name" "pods [$(tr '\n' ' ' <<<"$all")] hits [$(tr '\n' ' ' <"$f")]"
  fi
}

# stream_start FILE: requests back to back from the client, "MS BODY|ERR" per line.
stream_start() {
  ip netns exec "$DP_CLIENT" bash -c 'while :; do
      r=$(curl -sS --noproxy "*" --max-time 1 "$1" 2>/dev/null) || r=ERR
      echo "$(date +%s%3N) $r"
    done' _ "http://$WEB_IP/" >"$1" 2>/dev/null &
  STREAM_PID=$!
}
stream_stop() { kill "$STREAM_PID" 2>/dev/null; wait "$STREAM_PID" 2>/dev/null; STREAM_PID=""; }

# quiet N CMD: the next N requests (by ClusterIP) all pass CMD (a grep -v filter of bad ones).
quiet_of() {
  local f=$work/q-$RANDOM
  hits "$1" "http://$WEB_IP/" >"$f"
  ! grep -qE "$2" "$f"
}

# === setup ===================================================================================
if ! dp up main cluster-a cluster-b >"$work/dp-up.log" 2>&1; then
  fail "datapath: hack/dataplane.sh up main cluster-a cluster-b" "$(tail -n 8 "$work/dp-up.log")"
  e2e_finish
fi
DP_STARTED=1
eval "$(dp env)"
e2e_pass "datapath: data plane up ($(grep -o 'up in [0-9]*s' "$work/dp-up.log"))"

# The router's ARP probes for the node are answered: its neighbour entry is fresh after a
# probe. (They went unanswered when the node also held the router's gateway address, and the
# client's replies were then dropped for most of every minute.)
router_resolves_node() {
  ip -n "$DP_ROUTER" neigh del "$DP_NODE_IP" dev node 2>/dev/null
  ip netns exec "$DP_ROUTER" bash -c 'echo probe >"/dev/udp/$1/9"' _ "$DP_NODE_IP" 2>/dev/null
  e2e_wait 5 eval 'ip -n "$DP_ROUTER" neigh show to "$DP_NODE_IP" dev node | grep -qE "REACHABLE|STALE|DELAY"'
}
if router_resolves_node; then
  e2e_pass "datapath: the router resolves the node's address (ARP answered)"
else
  fail "datapath: the router resolves the node's address (ARP answered)" "$(ip -n "$DP_ROUTER" neigh show to "$DP_NODE_IP" dev node)"
fi

for c in main cluster-a cluster-b; do
  e2e_wait 60 not e2e_kubectl "$c" get namespace "$NS" || fail "datapath: namespace $NS free in $c" "still there (terminating?)"
done
km apply -f "$CRD" >/dev/null && km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >/dev/null
{ ns_yaml "$NS"; svc_yaml "$NS" web web; deploy_yaml "$NS" web 1; } | km apply -f - >/dev/null
{ ns_yaml "$NS"; svc_yaml "$NS" web web; deploy_yaml "$NS" web 3; } | ka apply -f - >/dev/null
{ ns_yaml "$NS"; svc_yaml "$NS" web web; deploy_yaml "$NS" web 2; } | kb apply -f - >/dev/null
# term: selectorless in cluster-b and main, a hand-written remote slice (section 6).
{ svc_yaml "$NS" term; } | kb apply -f - >/dev/null
{ svc_yaml "$NS" term; } | km apply -f - >/dev/null
{ link_yaml "$LA" "kubeconfig: $(b64 "$E2E_STATE/cluster-a/kubeconfig")" "staleEndpointTimeoutSeconds: $STALE"
  link_yaml "$LB" "kubeconfig: $(b64 "$E2E_STATE/cluster-b/kubeconfig")"; } | km apply -f - >/dev/null
svc_start "$work/svclink.log"
WEB_IP=$(km -n "$NS" get service web -o jsonpath='{.spec.clusterIP}')
sandboxes() { dp status | sed -n '/^sandboxes:/,$p' | grep -c " $NS web-"; }
expect "datapath: links Ready, 6 web sandboxes" 60 'echo "$(cl_summary "$LA") | $(cl_summary "$LB") | sandboxes $(sandboxes)"' \
  eval 'cl_is "$LA" True Connected && cl_is "$LB" True Connected && [ "$(sandboxes)" -eq 6 ] &&
        [ "$(local_eps "$NS" web "$LA" | grep -c .)" -eq 3 ] && [ "$(local_eps "$NS" web "$LB" | grep -c .)" -eq 2 ]'

# === 1. by DNS name and by ClusterIP, every pod answers ======================================
expect "datapath: web.$NS.svc.cluster.local resolves to the ClusterIP $WEB_IP from the client" 60 \
  'dp dns web.$NS.svc.cluster.local' eval '[ "$(dp dns web.$NS.svc.cluster.local)" = "$WEB_IP" ]'
spread "datapath: by DNS name every pod of main, cluster-a and cluster-b answers" "http://web.$NS.svc.cluster.local/"
spread "datapath: by ClusterIP every pod answers" "http://$WEB_IP/"

# === 2. scale cluster-a 3 -> 1: removed pods get no more requests =============================
before=$(pods_of cluster-a)
stream_start "$work/scale.stream"
sleep 1
t_scale=$(now_ms)
ka -n "$NS" scale deployment web --replicas 1 >/dev/null
e2e_wait 20 eval '[ "$(pods_of cluster-a | grep -c .)" -eq 1 ]'
kept=$(pods_of cluster-a)
removed=$(grep -vxF "$kept" <<<"$before")
# Settled: 40 requests in a row with neither a removed pod nor an error.
settle() { tail -n 40 "$work/scale.stream" | awk '{print $2, $3}' | grep -qxF -f <(echo ERR; echo "$removed") && return 1; [ "$(awk -v t="$t_scale" '$1 > t' "$work/scale.stream" | wc -l)" -ge 40 ]; }
e2e_wait 30 settle
stream_stop
last_bad=$(awk -v t="$t_scale" '$1 > t' "$work/scale.stream" | grep -F -f <(echo ERR; echo "$removed") | tail -n 1 | cut -d' ' -f1)
after=$(awk -v t="$t_scale" '$1 > t' "$work/scale.stream" | wc -l)
bad=$(awk -v t="$t_scale" '$1 > t' "$work/scale.stream" | grep -cF -f <(echo ERR; echo "$removed"))
if [ -z "$last_bad" ]; then gap=0; else gap=$((last_bad - t_scale)); fi
if settle && [ "$gap" -le 10000 ]; then
  e2e_pass "datapath: cluster-a scaled 3 -> 1: last request to a removed pod (or failed) $(ms_to_s "$gap") s after the scale; $bad of $after requests after it hit removed pods or failed (bound 10 s)"
else
  fail "datapath: cluster-a scaled 3 -> 1: removed pods get no requests within 10 s" "gap=${gap}ms bad=$bad/$after tail [$(tail -n 5 "$work/scale.stream" | tr '\n' ' ')]"
fi

# === 3. a not-ready remote endpoint gets no new connections ===================================
nr_pod=$(pods_of cluster-b | head -n 1 | sed 's/^pod=\([^ ]*\).*/\1/')
nr_ip=$(kb -n "$NS" get pod "$nr_pod" -o jsonpath='{.status.podIP}')
kb -n "$NS" patch pod "$nr_pod" --subresource status --type strategic \
  -p '{"status":{"conditions":[{"type":"Ready","status":"False"}]}}' >/dev/null
expect "datapath: $nr_pod made not ready in cluster-b shows ready=false in main" 20 'local_eps $NS web $LB' \
  eval 'local_eps "$NS" web "$LB" | grep -q "^$nr_ip|false|"'
f=$work/hits-nr
sleep 2   # kube-proxy's resync after the slice change (its min sync period is 0, but it batches)
hits "$N" "http://$WEB_IP/" >"$f"
if ! grep -qF "pod=$nr_pod " "$f" && [ "$(answers "$f" cluster-b)" -gt 0 ]; then
  e2e_pass "datapath: not-ready $nr_pod got none of $N requests; cluster-b's other pod did ($(per_cluster "$f"))"
else
  fail "datapath: not-ready endpoint gets no requests" "$(tr '\n' ' ' <"$f")"
fi
kb -n "$NS" patch pod "$nr_pod" --subresource status --type strategic \
  -p '{"status":{"conditions":[{"type":"Ready","status":"True"}]}}' >/dev/null
expect "datapath: $nr_pod ready again gets requests" 20 'hits 30 http://$WEB_IP/' \
  eval 'hits 30 "http://$WEB_IP/" | grep -qF "pod=$nr_pod "'

# === 4. terminating endpoints, as kube-proxy treats them locally ===============================
# cluster-b's hand-written slice for term: one ready endpoint and one serving+terminating.
b_ips=($(kb -n "$NS" get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP} {.metadata.name}{"\n"}{end}' | sort))
term_slice() { # READY_IP (or "") TERM_IP
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: term-1\n  namespace: %s\n  labels: {kubernetes.io/service-name: term}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}]\nendpoints:\n' "$NS"
  [ -n "$1" ] && printf '%s\n' "- addresses: [$1]" "  conditions: {ready: true, serving: true, terminating: false}"
  printf '%s\n' "- addresses: [$2]" "  conditions: {ready: false, serving: true, terminating: true}"
}
ready_ip=${b_ips[0]} ready_pod=${b_ips[1]} term_ip=${b_ips[2]} term_pod=${b_ips[3]}
term_slice "$ready_ip" "$term_ip" | kb apply -f - >/dev/null
TERM_IP=$(km -n "$NS" get service term -o jsonpath='{.spec.clusterIP}')
expect "datapath: term's ready and terminating endpoints synced" 20 'local_eps $NS term $LB' \
  eval 'local_eps "$NS" term "$LB" | grep -q "^$term_ip|false|true|true|" && local_eps "$NS" term "$LB" | grep -q "^$ready_ip|true|"'
sleep 2
f=$work/hits-term1
hits 30 "http://$TERM_IP/" >"$f"
if ! grep -qF "pod=$term_pod " "$f" && grep -qF "pod=$ready_pod " "$f"; then
  e2e_pass "datapath: with a ready endpoint, the terminating one gets none of 30 requests"
else
  fail "datapath: with a ready endpoint, the terminating one gets none of 30 requests" "$(tr '\n' ' ' <"$f")"
fi
term_slice "" "$term_ip" | kb apply -f - >/dev/null
expect "datapath: with only a serving terminating endpoint, it answers (kube-proxy's fallback)" 20 \
  'hits 10 http://$TERM_IP/' eval 'hits 10 "http://$TERM_IP/" | grep -q "10 pod=$term_pod "'

# === 5. cluster-a's API server down: its endpoints leave after the stale timeout ==============
"$E2E_ROOT/hack/clusters.sh" apiserver cluster-a stop >/dev/null 2>&1 && APISERVER_A_DOWN=1
t_down=$(now_ms)
expect "datapath: cluster-a unreachable: its pod still answers before the stale timeout" 5 'hits 20 http://$WEB_IP/' \
  eval 'hits 20 "http://$WEB_IP/" | grep -q "cluster=cluster-a"'
expect "datapath: after staleEndpointTimeoutSeconds ($STALE s) cluster-a gets no requests" $((STALE + 20)) \
  'echo "$(cl_summary "$LA")"; hits 20 http://$WEB_IP/' eval 'quiet_of 30 "cluster=cluster-a| ERR"'
echo "-- cluster-a traffic stopped $(ms_to_s $(($(now_ms) - t_down))) s after its API server went down"
"$E2E_ROOT/hack/clusters.sh" apiserver cluster-a start >/dev/null 2>&1 && APISERVER_A_DOWN=0
expect "datapath: cluster-a back: its pod answers again" 40 'echo "$(cl_summary "$LA")"' \
  eval 'hits 20 "http://$WEB_IP/" | grep -q "cluster=cluster-a"'

# === 6. disabled link: slices kept (the contract), so traffic stays; deleted: traffic goes =====
km patch clusterlink "$LB" --type merge -p '{"spec":{"enabled":false}}' >/dev/null
expect "datapath: $LB disabled" 20 'cl_summary $LB' cl_is "$LB" False Disabled
f=$work/hits-dis
hits 30 "http://$WEB_IP/" >"$f"
if [ "$(answers "$f" cluster-b)" -gt 0 ]; then
  e2e_pass "datapath: a disabled link keeps its last endpoints, and they keep answering ($(per_cluster "$f"))"
else
  fail "datapath: a disabled link keeps its last endpoints" "$(tr '\n' ' ' <"$f")"
fi
t_del=$(now_ms)
km delete clusterlink "$LB" --wait=false >/dev/null
expect "datapath: deleted link: cluster-b gets no requests" 30 'hits 20 http://$WEB_IP/' \
  eval 'quiet_of 30 "cluster=cluster-b| ERR"'
echo "-- cluster-b traffic stopped $(ms_to_s $(($(now_ms) - t_del))) s after its link was deleted"

# === 7. prefer local: trafficDistribution PreferClose, remote endpoints hinted away ============
# main's pod pinned to kube-proxy's zone (zone-0): kube-proxy keeps traffic on ready endpoints
# hinted for its zone and falls back to all of them when there are none.
km -n "$NS" patch deployment web --type merge \
  -p '{"spec":{"template":{"spec":{"nodeSelector":{"topology.kubernetes.io/zone":"zone-0"}}}}}' >/dev/null
km -n "$NS" patch service web --type merge -p '{"spec":{"trafficDistribution":"PreferClose"}}' >/dev/null
main_pinned() { [ "$(km -n "$NS" get pods -l app=web --field-selector status.phase=Running -o jsonpath='{range .items[*]}{.spec.nodeSelector.topology\.kubernetes\.io/zone}{"\n"}{end}' | grep -c zone-0)" -eq 1 ] && [ "$(pods_of main | grep -c .)" -eq 1 ]; }
remote_hinted() { km -n "$NS" get endpointslices -l "$(local_sel web "$LA")" -o jsonpath='{..hints.forZones[*].name}' | grep -qw svclink-remote; }
local_hinted() { km -n "$NS" get endpointslices -l "kubernetes.io/service-name=web,endpointslice.kubernetes.io/managed-by=endpointslice-controller.k8s.io" -o jsonpath='{..hints.forZones[*].name}' | grep -qw zone-0; }
expect "datapath: PreferClose: svclink hints remote endpoints for zone svclink-remote, the controller hints main's for zone-0" 60 \
  'km -n $NS get endpointslices -o yaml | grep -A3 hints' eval 'main_pinned && remote_hinted && local_hinted && [ "$(sandboxes)" -ge 2 ]'
sleep 2
f=$work/hits-local
hits 40 "http://$WEB_IP/" >"$f"
if [ "$(answers "$f" main)" -eq 40 ]; then
  e2e_pass "datapath: prefer local: while main's pod is ready, 40 of 40 requests stay in main"
else
  fail "datapath: prefer local: requests stay in main while a local pod is ready" "$(tr '\n' ' ' <"$f")"
fi
stream_start "$work/failover.stream"
sleep 1
t_fo=$(now_ms)
km -n "$NS" scale deployment web --replicas 0 >/dev/null
first_remote() { awk -v t="$t_fo" '$1 > t && $3 == "cluster=cluster-a" {print $1; exit}' "$work/failover.stream"; }
e2e_wait 30 eval '[ -n "$(first_remote)" ]'
fo=$(first_remote)
if [ -n "$fo" ]; then
  e2e_pass "datapath: failover: main scaled to 0, cluster-a answers $(ms_to_s $((fo - t_fo))) s later ($(awk -v t="$t_fo" -v u="$fo" '$1 > t && $1 < u && $2 == "ERR"' "$work/failover.stream" | wc -l) failed requests in between)"
  echo "# failover: $((fo - t_fo)) ms"
else
  fail "datapath: failover to the remote when no local pod is ready" "$(tail -n 5 "$work/failover.stream" | tr '\n' ' ')"
fi
t_fb=$(now_ms)
km -n "$NS" scale deployment web --replicas 1 >/dev/null
# Back: 20 answers in a row from main.
back_local() { awk -v t="$t_fb" '$1 > t' "$work/failover.stream" | tail -n 20 | awk '$3 != "cluster=main" {bad=1} END {exit bad || NR < 20}'; }
e2e_wait 60 back_local
stream_stop
fb=$(awk -v t="$t_fb" '$1 > t && $3 == "cluster=main" {print $1; exit}' "$work/failover.stream")
if back_local && [ -n "$fb" ]; then
  e2e_pass "datapath: failback: main's pod back, requests return to main $(ms_to_s $((fb - t_fb))) s after the scale-up"
  echo "# failback: $((fb - t_fb)) ms (includes the pod starting)"
else
  fail "datapath: failback to main" "$(tail -n 5 "$work/failover.stream" | tr '\n' ' ')"
fi
km -n "$NS" patch service web --type json -p '[{"op":"remove","path":"/spec/trafficDistribution"}]' >/dev/null

# === 8. headless: every remote pod by the Service's name, and each one by its own ==============
a_pods=($(ka -n "$NS" get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort))
{
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: %s}\nspec: {clusterIP: None, ports: [{name: http, port: 80, targetPort: 8080}]}\n' "$NS"
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: db-1, namespace: %s, labels: {kubernetes.io/service-name: db}}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints:\n- {addresses: [%s], hostname: db-0, conditions: {ready: true}}\n' "$NS" "${a_pods[0]}"
} | ka apply -f - >/dev/null
printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: db, namespace: %s}\nspec: {clusterIP: None, ports: [{name: http, port: 80, targetPort: 8080}]}\n' "$NS" | km apply -f - >/dev/null
expect "datapath: headless: db.$NS.svc.cluster.local answers the remote pod" 30 'dp dns db.$NS.svc.cluster.local' \
  eval '[ "$(dp dns db.$NS.svc.cluster.local)" = "${a_pods[0]}" ]'
expect "datapath: headless: db-0-$LA.db.$NS.svc.cluster.local names that pod alone" 30 "dp dns db-0-$LA.db.$NS.svc.cluster.local" \
  eval '[ "$(dp dns db-0-$LA.db.$NS.svc.cluster.local)" = "${a_pods[0]}" ]'
echo "# DNS: db.$NS.svc.cluster.local -> $(dp dns db.$NS.svc.cluster.local | tr '\n' ' '); db-0-$LA.db.$NS.svc.cluster.local -> $(dp dns db-0-$LA.db.$NS.svc.cluster.local | tr '\n' ' ')"

# === down leaves nothing ======================================================================
km delete clusterlinks -l "$RUN_LABEL=$sfx" --wait=true --timeout 20s >/dev/null 2>&1
svc_stop
dp down >"$work/dp-down.log" 2>&1
DP_STARTED=0
left=$(ip netns list | grep -c "^$DP_PREFIX-")
if [ "$left" -eq 0 ] && [ ! -e "/etc/netns/$DP_CLIENT" ] && ! km -n kube-system get service kube-dns >/dev/null 2>&1; then
  e2e_pass "datapath: down removed every namespace (with its veths, routes and nft tables), the resolver file and kube-dns"
else
  fail "datapath: down removes everything" "namespaces left: $left; $(tail -n 3 "$work/dp-down.log")"
fi
e2e_finish
