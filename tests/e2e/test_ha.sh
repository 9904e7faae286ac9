#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run through e2e_wait and the EXIT trap
# High availability and observability: two svclink replicas elect one writer on a Lease;
# the follower never writes; SIGKILL of the leader hands over within the lease duration,
# SIGTERM hands over at once; /healthz, /readyz, /leader and /metrics answer on each.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=ha-$sfx        # the web Service, in cluster-a and main
LNS=ha-lease-$sfx # the Lease's namespace in main
LINK=ha-$sfx
LEASE_S=6         # short lease so the test is quick; the defaults are 15 s / 10 s / 2 s

cleanup() {
  local r
  for r in "${!PID[@]}"; do stop_replica "$r" KILL; done
  km delete clusterlink "$LINK" --wait=false >/dev/null 2>&1
  # Nobody runs to remove the finalizer now: drop it so the link can go.
  km patch clusterlink "$LINK" --type=merge -p '{"metadata":{"finalizers":[]}}' >/dev/null 2>&1
  km delete namespace "$NS" "$LNS" --wait=false >/dev/null 2>&1
  ka delete namespace "$NS" --wait=false >/dev/null 2>&1
  if [ "${E2E_KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# start_replica NAME [ARGS...]: one svclink with leader election, identity NAME, a free
# local port, and ARGS.
start_replica() {
  replica_start "$1" "${@:2}" --kubeconfig "$E2E_STATE/main/kubeconfig" --sync-interval 5s --leader-elect \
    --leader-elect-namespace "$LNS" --leader-elect-identity "$1" \
    --leader-elect-lease-duration "${LEASE_S}s" --leader-elect-renew-deadline 4s --leader-elect-retry-period 1s
}
lease_holder() { km -n "$LNS" get lease svclink -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(lease_holder)" = "$1" ]; }
# first_ts NAME PATTERN / last_ts NAME PATTERN: the ts= of the first/last matching line.
first_ts() { grep -E "$2" "$work/$1.log" | head -n1 | grep -o 'ts=[^ ]*' | cut -d= -f2; }
last_ts() { grep -E "$2" "$work/$1.log" | tail -n1 | grep -o 'ts=[^ ]*' | cut -d= -f2; }

# --- setup ------------------------------------------------------------------------------------
{ ns_yaml "$NS"; deploy_yaml "$NS" web 2; svc_yaml "$NS" web web; } | ka apply -f - >/dev/null
{ ns_yaml "$NS"; ns_yaml "$LNS"; svc_yaml "$NS" web; } | km apply -f - >/dev/null
link_apply "$LINK" cluster-a "$NS"
remote_two() { all_ready 2 "$(remote_eps cluster-a "$NS" web)"; }
if e2e_wait 60 remote_two; then e2e_pass ha-remote-pods-ready; else
  e2e_fail ha-remote-pods-ready "$(remote_eps cluster-a "$NS" web | tr '\n' ' ')"; fi

# --- two replicas: one leads, one follows -------------------------------------------------------
start_replica r1
start_replica r2
if [ -n "${PORT[r1]}" ] && [ -n "${PORT[r2]}" ]; then
  e2e_pass ha-http-listeners
else
  e2e_fail ha-http-listeners "no 'address=' line: $(tail -n 3 "$work/r1.log" "$work/r2.log" | tr '\n' ' ')"
fi
one_leader() {
  local n=0
  leading r1 && n=$((n + 1))
  leading r2 && n=$((n + 1))
  [ "$n" = 1 ]
}
if e2e_wait 30 one_leader; then e2e_pass ha-exactly-one-leader; else
  e2e_fail ha-exactly-one-leader "r1 $(get r1 /leader) r2 $(get r2 /leader)"; fi
if leading r1; then L=r1 F=r2; else L=r2 F=r1; fi
if holder_is "$L" && get "$F" /leader | grep -q "\"holder\":\"$L\""; then e2e_pass ha-lease-names-leader; else
  e2e_fail ha-lease-names-leader "lease holder '$(lease_holder)', follower says $(get "$F" /leader)"; fi
if e2e_wait 30 eps_match cluster-a "$NS" web "$LINK"; then e2e_pass ha-leader-syncs; else
  e2e_fail ha-leader-syncs "$(eps_diff cluster-a "$NS" web "$LINK")"; fi
if e2e_wait 15 cl_is "$LINK" True Connected; then e2e_pass ha-leader-writes-status; else
  e2e_fail ha-leader-writes-status "$(cl_summary "$LINK")"; fi

# Probes and metrics on both.
for r in r1 r2; do
  if [ "$(code $r /healthz)" = 200 ] && e2e_wait 10 bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 3 http://127.0.0.1:${PORT[$r]}/readyz)\" = 200 ]"; then
    e2e_pass "ha-probes-$r"
  else
    e2e_fail "ha-probes-$r" "healthz $(code $r /healthz) readyz $(code $r /readyz): $(get $r /readyz)"
  fi
done
if [ "$(code r1 /nope)" = 404 ]; then e2e_pass ha-http-unknown-path-404; else
  e2e_fail ha-http-unknown-path-404 "got $(code r1 /nope)"; fi
m_leader=$(get "$L" /metrics) m_follower=$(get "$F" /metrics)
missing=""
for series in 'svclink_leader 1' "svclink_link_connected{link=\"$LINK\"} 1" "svclink_link_endpoints{link=\"$LINK\"} 2" \
  'svclink_api_requests_total{cluster="main",verb="GET",code="200"}' 'svclink_propagation_seconds_bucket{le="1"}' \
  'svclink_propagation_seconds_count' 'process_resident_memory_bytes' 'svclink_build_info{version="' \
  "svclink_link_last_sync_timestamp_seconds{link=\"$LINK\"}" '# TYPE svclink_propagation_seconds histogram'; do
  grep -qF "$series" <<<"$m_leader" || missing+=" [$series]"
done
if [ -z "$missing" ]; then e2e_pass ha-metrics-leader; else e2e_fail ha-metrics-leader "missing:$missing"; fi
if grep -qx 'svclink_leader 0' <<<"$m_follower" && grep -qF "svclink_link_connected{link=\"$LINK\"} 1" <<<"$m_follower"; then
  e2e_pass ha-metrics-follower-warm
else
  e2e_fail ha-metrics-follower-warm "$(grep -E '^svclink_(leader|link_connected)' <<<"$m_follower" | tr '\n' ' ')"
fi
rss=$(grep '^process_resident_memory_bytes ' <<<"$m_leader" | awk '{print $2}')
echo "# leader resident memory: $((${rss%%.*} / 1024)) KiB"

# The follower has written nothing at all, not even status.
sleep 2
if [ "$(writes_of "$F")" = 0 ]; then e2e_pass b16-ha-follower-never-writes; else
  e2e_fail b16-ha-follower-never-writes "$(grep -E 'msg="?write' "$work/$F.log" | head -n 3 | tr '\n' ' ')"; fi

# --- SIGKILL the leader: the follower takes over within the lease duration -------------------
killed_at=$(now_ms)
kill -KILL "${PID[$L]}"
wait "${PID[$L]}" 2>/dev/null
unset "PID[$L]"
ka -n "$NS" scale deployment web --replicas=3 >/dev/null
if e2e_wait $((LEASE_S + 5)) leading "$F"; then
  took=$(($(now_ms) - killed_at))
  if [ "$took" -le $((LEASE_S * 1000 + 2000)) ]; then e2e_pass ha-takeover-within-lease; else
    e2e_fail ha-takeover-within-lease "took ${took} ms with a ${LEASE_S} s lease"; fi
  echo "# takeover after SIGKILL: $(ms_to_s "$took") s (lease ${LEASE_S} s)"
else
  e2e_fail ha-takeover-within-lease "$F never led: $(get "$F" /leader) $(tail -n 3 "$work/$F.log" | tr '\n' ' ')"
fi
three() { all_ready 3 "$(local_eps "$NS" web "$LINK")" && eps_match cluster-a "$NS" web "$LINK"; }
if e2e_wait 30 three; then e2e_pass ha-new-leader-converges; else
  e2e_fail ha-new-leader-converges "$(eps_diff cluster-a "$NS" web "$LINK")"; fi
# No overlap: the killed leader's last write came before the new leader's first.
old_last=$(last_ts "$L" 'msg="?write"? ') new_first=$(first_ts "$F" 'msg="?write"? ')
became=$(first_ts "$F" 'became leader')
if [ -n "$became" ] && { [ -z "$old_last" ] || [[ "$old_last" < "$became" ]]; } &&
  { [ -z "$new_first" ] || [[ "$became" < "$new_first" || "$became" == "$new_first" ]]; }; then
  e2e_pass b16-ha-no-overlapping-writers
else
  e2e_fail b16-ha-no-overlapping-writers "old leader's last write $old_last, new leader became leader $became, first write $new_first"
fi

# --- SIGTERM hands over at once -----------------------------------------------------------------
start_replica r3 --log-format=json
e2e_wait 20 bash -c "curl -s -m 3 http://127.0.0.1:${PORT[r3]}/leader | grep -q '\"holder\":\"$F\"'"
if ! leading r3 && alive r3; then e2e_pass ha-restarted-replica-follows; else
  e2e_fail ha-restarted-replica-follows "$(get r3 /leader)"; fi
termed_at=$(now_ms)
stop_replica "$F" TERM
if e2e_wait 10 leading r3; then
  took=$(($(now_ms) - termed_at))
  echo "# hand-over after SIGTERM: $(ms_to_s "$took") s"
  if [ "$took" -le 2500 ]; then e2e_pass ha-sigterm-hands-over-fast; else
    e2e_fail ha-sigterm-hands-over-fast "took ${took} ms"; fi
else
  e2e_fail ha-sigterm-hands-over-fast "r3 never led: $(get r3 /leader)"
fi
if [ "${RC[$F]}" = 0 ] && grep -q 'lease released' "$work/$F.log"; then e2e_pass ha-sigterm-releases-and-exits-0; else
  e2e_fail ha-sigterm-releases-and-exits-0 "status ${RC[$F]}: $(tail -n 3 "$work/$F.log" | tr '\n' ' ')"; fi
ka -n "$NS" scale deployment web --replicas=1 >/dev/null
one() { all_ready 1 "$(local_eps "$NS" web "$LINK")" && eps_match cluster-a "$NS" web "$LINK"; }
if e2e_wait 30 one; then e2e_pass ha-third-leader-converges; else
  e2e_fail ha-third-leader-converges "$(eps_diff cluster-a "$NS" web "$LINK")"; fi

# r3 logs JSON: every line one object with ts, level and msg.
json_lines_ok() {
  python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {"ts", "level", "msg"} <= o.keys(), line
    n += 1
assert n >= 3
' "$work/r3.log"
}
if json_lines_ok 2>/dev/null && grep -q '"msg":"became leader"' "$work/r3.log"; then e2e_pass l1-ha-json-logs; else
  e2e_fail l1-ha-json-logs "$(json_lines_ok 2>&1 | tail -n 1) $(head -n 2 "$work/r3.log" | tr '\n' ' ')"; fi

# Delete the link while r3 leads so its finalizer and slices go the normal way.
km delete clusterlink "$LINK" --wait=false >/dev/null 2>&1
if e2e_wait 30 cl_gone "$LINK"; then e2e_pass ha-link-cleanup; else e2e_fail ha-link-cleanup "$(cl_summary "$LINK")"; fi
stop_replica r3 TERM
if [ "${RC[r3]}" = 0 ]; then e2e_pass ha-clean-exit; else e2e_fail ha-clean-exit "status ${RC[r3]}"; fi
e2e_finish
