#!/usr/bin/env bash
# shellcheck disable=SC2317,SC2016 # functions run through e2e_wait, eval and the EXIT trap; eval takes single-quoted code
# Bad links: a ClusterLink reaches cluster-a through Toxiproxy (hack/toxiproxy-bin.sh), and
# the suite shapes that link while cluster-a's Deployment keeps changing: 300 ms round trips
# with jitter; 3 s stalls at random; a blackhole (nftables drops every packet between
# svclink and the proxy, no reset) until svclink notices; connections cut in the middle of a
# chunked watch event; a LIST cut part way; then a second link whose role may list but not
# watch (one steady Forbidden), and 1 Mbit/s to a remote of 1,000 Services, listed at start,
# then every watch ended on an expiry. Each time the final endpoints must equal the remote's,
# the link's Ready condition may go False at most once, and a broken watch resumes without a
# new LIST.
# Needs root (nftables; else one SKIP line); E2E_* as tests/run.sh sets them; E2E_KEEP=1
# keeps the work directory.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"
# shellcheck source-path=SCRIPTDIR source=load_lib.sh
source "$E2E_ROOT/tests/e2e/load_lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null; then
  echo "SKIP badnet: needs root and nft (packet drops for the blackhole)"
  exit 0
fi

SYNC_INTERVAL=5
DEAD_PEER_S=30       # CONN_DEAD_PEER_S in include/net/conn.h: keepalive and user timeout
DETECT_SLACK_S=10    # keepalive probes are 5 s apart; the loop and the log add a little
run_begin badnet
NS=badnet-$sfx LINK=bn-$sfx
NFT_TABLE=svclink_badnet_$sfx
TP_PID="" NFT_ADDED=0

cleanup() {
  churn_stop
  [ "$NFT_ADDED" = 1 ] && nft delete table inet "$NFT_TABLE" 2>/dev/null
  run_links_end
  [ -n "$TP_PID" ] && kill "$TP_PID" 2>/dev/null && wait "$TP_PID" 2>/dev/null
  e2e_delete_namespace "$NS" main cluster-a
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- Toxiproxy: one proxy in front of cluster-a's API server ----------------------------------
TP_BIN=$("$E2E_ROOT/hack/toxiproxy-bin.sh") || { e2e_fail "badnet: toxiproxy built" "hack/toxiproxy-bin.sh failed"; e2e_finish; }
TP_PORT=$(e2e_free_port)
"$TP_BIN" -host 127.0.0.1 -port "$TP_PORT" >"$work/toxiproxy.log" 2>&1 &
TP_PID=$!
TP=http://127.0.0.1:$TP_PORT
tp() { local m=$1 p=$2; shift 2; curl -sS --noproxy '*' -m 5 -X "$m" "$TP$p" "$@"; }
e2e_wait 15 tp GET /version || { e2e_fail "badnet: toxiproxy up" "$(tail -n 3 "$work/toxiproxy.log")"; e2e_finish; }
A_SERVER=$(sed -n 's/^ *server: *//p' "$E2E_STATE/cluster-a/kubeconfig" | head -n 1)
A_HOSTPORT=${A_SERVER#https://}
PROXY_LISTEN=$(tp POST /proxies -d "{\"name\":\"a\",\"listen\":\"127.0.0.1:0\",\"upstream\":\"$A_HOSTPORT\",\"enabled\":true}" |
  sed -n 's/.*"listen":"\([^"]*\)".*/\1/p')
PROXY_PORT=${PROXY_LISTEN##*:}
[[ $PROXY_PORT =~ ^[0-9]+$ ]] || { e2e_fail "badnet: proxy to cluster-a" "no listen address from toxiproxy"; e2e_finish; }
# toxic NAME TYPE STREAM ATTRS_JSON / untoxic NAME
toxic() {
  tp POST /proxies/a/toxics -d "{\"name\":\"$1\",\"type\":\"$2\",\"stream\":\"$3\",\"toxicity\":1,\"attributes\":$4}" >/dev/null
}
untoxic() { tp DELETE "/proxies/a/toxics/$1" >/dev/null; }

# --- cluster-a's workload and the link through the proxy --------------------------------------
e2e_crd_install || { e2e_fail "badnet: the ClusterLink CRD" "still terminating, or not Established within 60 s"; e2e_finish; }
{ ns_yaml "$NS"; svc_yaml "$NS" web web; } | km apply -f - >/dev/null
{ ns_yaml "$NS"; svc_yaml "$NS" web web; deploy_yaml "$NS" web 3; } | ka apply -f - >/dev/null
sed "s|server: .*|server: https://$PROXY_LISTEN|" "$E2E_STATE/cluster-a/kubeconfig" >"$work/kc-proxy"
link_yaml "$LINK" "kubeconfig: $(b64 "$work/kc-proxy")" "includedNamespaces: [$NS]" "staleEndpointTimeoutSeconds: 600" |
  km apply -f - >/dev/null
MPORT=$(e2e_free_port)
svc_start "$work/svclink.log" --http-address "127.0.0.1:$MPORT"
expect "badnet: the link through the proxy is Ready and its endpoints match cluster-a's" 60 \
  'echo "$(cl_summary "$LINK") | $(eps_diff cluster-a "$NS" web "$LINK")"' \
  eval 'cl_is "$LINK" True Connected && eps_match cluster-a "$NS" web "$LINK"'

# lists: svclink_lists_total of the link, all resources.
lists() {
  curl -s -m 3 "http://127.0.0.1:$MPORT/metrics" |
    awk -v c="cluster=\"$LINK\"" 'index($0, "svclink_lists_total{") == 1 && index($0, c) { n += $NF } END { print n + 0 }'
}
# lists_by_resource: "resource=N" for each of the link's reflectors.
lists_by_resource() {
  curl -s -m 3 "http://127.0.0.1:$MPORT/metrics" |
    awk -v c="cluster=\"$LINK\"" 'index($0, "svclink_lists_total{") == 1 && index($0, c) {
      r = $0; sub(/.*resource="/, "", r); sub(/".*/, "", r); printf "%s%s=%s", sep, r, $NF; sep = " " }'
}
# not_ready_lines: how often the link's Ready went from True to False so far (a new message
# while False is no change; Syncing, before the first sync, is not counted).
not_ready_lines() {
  grep "msg=\"link state\" link=$LINK " "$SVC_LOG" | grep -v ' reason=Syncing' |
    awk '{ r = / ready=false / ? "f" : "t"; if (r == "f" && prev != "f") n++; prev = r } END { print n + 0 }'
}

# scale_step I: cluster-a's Deployment between 1 and 5 replicas (churn_start scale_step 2).
scale_step() { ka -n "$NS" scale deployment web --replicas $((1 + (${1} - 1) % 5)) >/dev/null 2>&1; }
# exact NAME: after the churn, the link's endpoints equal cluster-a's (all ready).
exact() {
  expect "$1" 60 'echo "$(cl_summary "$LINK") | $(eps_diff cluster-a "$NS" web "$LINK")"' \
    eval 'eps_match cluster-a "$NS" web "$LINK" && all_ready "$(remote_eps cluster-a "$NS" web | grep -c .)" "$(local_eps "$NS" web "$LINK")"'
}

# Per fault, for the record: svclink's EndpointSlice writes against the changes cluster-a's
# slices went through (the sum of their generation steps; a new slice counts its own).
remote_gens() { ka -n "$NS" get endpointslices -l kubernetes.io/service-name=web -o jsonpath='{range .items[*]}{.metadata.uid} {.metadata.generation}{"\n"}{end}'; }
fault_begin() { remote_gens >"$work/gens0"; FAULT_W0=$(obj_write_count "$SVC_LOG"); }
fault_end() {
  local changes
  changes=$(remote_gens | awk 'NR == FNR { g[$1] = $2; next } { c += $2 - ($1 in g ? g[$1] : 0) } END { print c + 0 }' "$work/gens0" -)
  echo "# $1: $(($(obj_write_count "$SVC_LOG") - FAULT_W0)) EndpointSlice writes for $changes changes of cluster-a's slices"
}

# === 1. 300 ms round trips with jitter ==========================================================
nr0=$(not_ready_lines) lists0=$(lists)
fault_begin
toxic lat_down latency downstream '{"latency":150,"jitter":50}'
toxic lat_up latency upstream '{"latency":150,"jitter":50}'
churn_start scale_step 2
sleep 20
churn_stop
exact "badnet: 300 ms round trips with jitter: the endpoints end equal to cluster-a's"
fault_end "300 ms round trips"
untoxic lat_down; untoxic lat_up
if [ "$(not_ready_lines)" = "$nr0" ] && [ "$(lists)" = "$lists0" ]; then
  e2e_pass "badnet: 300 ms round trips: Ready never went False, no LIST again ($lists0 lists)"
else
  fail "badnet: 300 ms round trips: Ready never went False, no LIST again" \
    "Ready False $(($(not_ready_lines) - nr0)) times, lists $lists0 -> $(lists)"
fi

# === 1b. stalls at random: a third of the chunks from the server wait 3 s (what heavy loss
# does to TCP) ===================================================================================
nr0=$(not_ready_lines) lists0=$(lists)
fault_begin
tp POST /proxies/a/toxics -d '{"name":"stall","type":"latency","stream":"downstream","toxicity":0.33,"attributes":{"latency":3000}}' >/dev/null
churn_start scale_step 2
sleep 20
churn_stop
exact "badnet: random 3 s stalls: the endpoints end equal to cluster-a's"
fault_end "random 3 s stalls"
untoxic stall
if [ "$(not_ready_lines)" = "$nr0" ] && [ "$(lists)" = "$lists0" ]; then
  e2e_pass "badnet: random 3 s stalls: Ready never went False, no LIST again"
else
  fail "badnet: random 3 s stalls: Ready never went False, no LIST again" \
    "Ready False $(($(not_ready_lines) - nr0)) times, lists $lists0 -> $(lists)"
fi

# === 2. a blackhole: every packet between svclink and the proxy dropped, no reset ==============
# The proxy's side to the API server stays up, so only svclink's connections are cut.
nr0=$(not_ready_lines) lists0=$(lists)
nft -f - <<EOF
table inet $NFT_TABLE {
  chain out { type filter hook output priority 0; tcp dport $PROXY_PORT drop; tcp sport $PROXY_PORT drop; }
}
EOF
NFT_ADDED=1
fault_begin
t_hole=$(now_ms)
churn_start scale_step 2
# Noticed: the link's Ready went False (the watch's connection ended).
if e2e_wait $((DEAD_PEER_S + 82 + DETECT_SLACK_S)) eval '[ "$(not_ready_lines)" -gt "$nr0" ]'; then
  detect_ms=$(($(now_ms) - t_hole))
else
  detect_ms=-1
fi
sleep 3
nft delete table inet "$NFT_TABLE" && NFT_ADDED=0
t_open=$(now_ms)
churn_stop
e2e_wait 60 eval 'cl_is "$LINK" True Connected && eps_match cluster-a "$NS" web "$LINK"'
recover_ms=$(($(now_ms) - t_open))
echo "# blackhole: noticed after $(ms_to_s "$detect_ms") s; Ready and exact $(ms_to_s "$recover_ms") s after the path opened"
# The bound: keepalive and user timeout (the connection was quiet or waiting for acks); a
# watch that happened to be idle-but-acknowledged would take the watch silence bound instead,
# which packet drops cannot produce.
if [ "$detect_ms" -ge 0 ] && [ "$detect_ms" -le $(((DEAD_PEER_S + DETECT_SLACK_S) * 1000)) ]; then
  e2e_pass "badnet: a blackhole is noticed within $((DEAD_PEER_S + DETECT_SLACK_S)) s ($(ms_to_s "$detect_ms") s)"
else
  fail "badnet: a blackhole is noticed within $((DEAD_PEER_S + DETECT_SLACK_S)) s" "detect_ms=$detect_ms; $(svc_tail 4)"
fi
exact "badnet: after the blackhole the endpoints end equal to cluster-a's"
fault_end "blackhole"
nr_hole=$(($(not_ready_lines) - nr0))
if [ "$nr_hole" = 1 ]; then
  e2e_pass "badnet: the blackhole made Ready go False once, then True"
else
  fail "badnet: the blackhole made Ready go False once" "$nr_hole times: $(grep "msg=\"link state\" link=$LINK" "$SVC_LOG" | tail -n 4)"
fi
# Resumed from the resourceVersion, unless the server no longer had it (410: then it lists).
expired=$(grep -c 'msg="watch expired' "$SVC_LOG")
if [ "$(lists)" = "$lists0" ]; then
  e2e_pass "b17 badnet: after the blackhole the watches resumed from their resourceVersion (no LIST again)"
elif [ "$expired" -gt 0 ]; then
  e2e_pass "b17 badnet: after the blackhole the server had compacted the resourceVersion (410), so svclink listed ($lists0 -> $(lists) lists)"
else
  fail "b17 badnet: after the blackhole the watches resumed without a LIST" "lists $lists0 -> $(lists), no 410"
fi

# === 3. connections cut in the middle of a chunked watch event ==================================
# limit_data closes each connection after this many bytes from the server: mid-event, as the
# events are larger. Taken away once svclink has seen a cut.
nr0=$(not_ready_lines) lists0=$(lists) expired0=$(grep -c 'msg="watch expired' "$SVC_LOG")
fault_begin
toxic cut limit_data downstream '{"bytes":700}'
churn_start scale_step 2
e2e_wait 30 eval '[ "$(not_ready_lines)" -gt "$nr0" ]'
untoxic cut
sleep 4
churn_stop
exact "badnet: after watches cut mid-event the endpoints end equal to cluster-a's"
fault_end "watches cut mid-event"
nr_cut=$(($(not_ready_lines) - nr0))
if [ "$nr_cut" = 1 ] && { [ "$(lists)" = "$lists0" ] || [ "$(grep -c 'msg="watch expired' "$SVC_LOG")" -gt "$expired0" ]; }; then
  e2e_pass "b17 badnet: a watch cut mid-event: Ready False once, resumed from its resourceVersion (lists $lists0 -> $(lists))"
else
  fail "b17 badnet: a watch cut mid-event: Ready False once, resumed without a LIST" "Ready False $nr_cut times, lists $lists0 -> $(lists)"
fi

# === 4. a LIST cut part way ======================================================================
# svclink restarts with every connection cut after 2,000 bytes (the LIST of cluster-a's pods'
# slices is larger): it must not delete what it cannot see, and it lists whole once the cut
# goes.
svc_stop
toxic cutlist limit_data downstream '{"bytes":2000}'
ka -n "$NS" scale deployment web --replicas 5 >/dev/null
for i in 1 2 3 4 5 6; do { svc_yaml "$NS" "more$i" web; } ; done | ka apply -f - >/dev/null
svc_start "$work/svclink-2.log" --http-address "127.0.0.1:$MPORT"
e2e_wait 30 grep -q "msg=\"link state\" link=$LINK ready=false" "$SVC_LOG"
sleep 3
before=$(local_eps "$NS" web "$LINK" | grep -c .)
check "badnet: while every LIST is cut part way, nothing synced is deleted" "local endpoints $before" eval '[ "$before" -gt 0 ]'
untoxic cutlist
exact "badnet: once the LIST goes through the endpoints equal cluster-a's"

# === 5. LIST allowed, watch refused: one steady status ==========================================
# A ServiceAccount of cluster-a that may get and list, not watch. The link must stay
# Ready=False reason=Forbidden with one message, and list again at the backoff's pace: its 3
# reflectors' backoffs double from 0.5 s, so at most 5 lists each in 20 s (a list after each
# refused watch, as before, was 40 each).
LW=bnw-$sfx SA=watchless
ka -n "$NS" create serviceaccount "$SA" >/dev/null
ka apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: svclink-e2e-watchless-$sfx}
rules:
- {apiGroups: [""], resources: [services, namespaces], verbs: [get, list]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: svclink-e2e-watchless-$sfx}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: svclink-e2e-watchless-$sfx}
subjects: [{kind: ServiceAccount, name: $SA, namespace: $NS}]
EOF
wl_token=$(SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" token cluster-a "$NS/$SA" 1h)
e2e_kubeconfig "$work/kc-watchless" "$A_SERVER" "certificate-authority-data: $(b64 "$E2E_STATE/cluster-a/pki/ca.crt")" -- "token: $wl_token"
link_yaml "$LW" "kubeconfig: $(b64 "$work/kc-watchless")" "includedNamespaces: [$NS]" | km apply -f - >/dev/null
wl_lines() { grep "msg=\"link state\" link=$LW " "$SVC_LOG" | grep -v ' reason=Syncing'; }
wl_lists() {
  curl -s -m 3 "http://127.0.0.1:$MPORT/metrics" |
    awk -v c="cluster=\"$LW\"" 'index($0, "svclink_lists_total{") == 1 && index($0, c) { n += $NF } END { print n + 0 }'
}
expect "badnet: a link whose watches are forbidden says Forbidden" 30 'echo "$(cl_summary "$LW")"' \
  eval 'cl_is "$LW" False Forbidden'
l0=$(wl_lists)
sleep 20
l1=$(wl_lists)
msgs=$(wl_lines | sed 's/^.* reason=/reason=/' | sort -u)
if cl_is "$LW" False Forbidden && ! wl_lines | grep -q ' ready=true' && [ "$(grep -c . <<<"$msgs")" = 1 ] &&
  grep -q 'WATCH /' <<<"$msgs" && [ $((l1 - l0)) -le 15 ]; then
  e2e_pass "badnet: LIST allowed, watch forbidden: one steady status for 20 s ($(cl_summary "$LW")), $((l1 - l0)) lists"
else
  fail "badnet: LIST allowed, watch forbidden: one steady status" "lists $l0 -> $l1; $(wl_lines | tail -n 4)"
fi
km delete clusterlink "$LW" --wait=true --timeout 20s >/dev/null 2>&1
ka delete clusterrolebinding,clusterrole "svclink-e2e-watchless-$sfx" >/dev/null 2>&1

# === 6. 1 Mbit/s to a remote of 1,000 Services: a fresh svclink lists it all ====================
svc_stop
e2e_load_objects "$work/bulk.json" "$NS" 0 0 0 1000 none
ka create -f "$work/bulk.json" >/dev/null || fail "badnet: 1,000 Services created in cluster-a" "kubectl create failed"
toxic bw_down bandwidth downstream '{"rate":125}'
toxic bw_up bandwidth upstream '{"rate":125}'
t_bw=$(now_ms)
svc_start "$work/svclink-3.log" --http-address "127.0.0.1:$MPORT"
# Connected in this process's log (the ClusterLink still says True from the run before).
connected_here() { grep -q "msg=\"link state\" link=$LINK ready=true" "$SVC_LOG"; }
expect "badnet: at 1 Mbit/s a remote of 1,000 Services is listed and the link Ready" 120 \
  'echo "$(cl_summary "$LINK")"; svc_tail 3' eval 'connected_here && eps_match cluster-a "$NS" web "$LINK"'
t_bw_ready=$(now_ms)
echo "# 1 Mbit/s: the link Ready with 1,000 Services $(ms_to_s $((t_bw_ready - t_bw))) s after svclink started ($(ka -n "$NS" get services --no-headers | wc -l) Services in $NS, $(ka -n "$NS" get services -o json | wc -c) bytes of JSON as kubectl gets them)"
# Every watch ends on an expiry (etcd compacted under the API server) while the link is still
# at 1 Mbit/s, and cluster-a changes right after: the change must reach main. A reflector
# whose resourceVersion was compacted gets 410 and lists again through the slow link; one a
# bookmark had moved past the compaction resumes its watch. Both are right; the figure line
# says which happened.
lists_bw=$(lists)
t_exp=$(now_ms)
if SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/clusters.sh" expire cluster-a >"$work/expire.log" 2>&1; then
  ka -n "$NS" scale deployment web --replicas 2 >/dev/null
  expect "badnet: at 1 Mbit/s, after every watch ended on an expiry, a change made then reaches main" 180 \
    'echo "lists $lists_bw -> $(lists); $(eps_diff cluster-a "$NS" web "$LINK")"' \
    eval 'eps_match cluster-a "$NS" web "$LINK" && all_ready 2 "$(local_eps "$NS" web "$LINK")"'
  echo "# 1 Mbit/s expiry: the change made as every watch ended reached main $(ms_to_s $(($(now_ms) - t_exp))) s after the expiry began (lists $lists_bw -> $(lists); by resource now: $(lists_by_resource))"
else
  fail "badnet: at 1 Mbit/s, after every watch ended on an expiry, a change made then reaches main" "expire failed: $(tail -n 3 "$work/expire.log")"
fi
untoxic bw_down; untoxic bw_up

churn_stop
svc_stop
check "badnet: svclink exited cleanly" "echo rc=$SVC_RC; svc_tail 5" eval '[ "$SVC_RC" = 0 ]'
e2e_finish
