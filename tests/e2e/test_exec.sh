#!/usr/bin/env bash
# Exec credential plugins in trusted kubeconfigs (--kubeconfig, --trusted-kubeconfig-dir,
# svclink api/check): a stand-in plugin mints real ServiceAccount tokens (hack/clusters.sh
# token) with a short expirationTimestamp; svclink syncs with them, runs the plugin again
# after expiry and after a 401, never logs the plugin's stderr or the tokens, kills a plugin
# that hangs while the other links keep working, and takes a client certificate from a
# plugin. Untrusted kubeconfigs still refuse exec.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=exec-$sfx
SA=svclink-exec-$sfx
STATE_ROOT=$(dirname "$E2E_STATE")
LIFETIME=6   # seconds from a token's minting to the expirationTimestamp the plugin reports
HANG_BOUND=30
echo "-- run suffix $sfx, work directory $work"

cleanup() {
  svc_stop
  local c
  for c in main cluster-a; do
    e2e_kubectl "$c" delete clusterrolebinding "$SA" --ignore-not-found >/dev/null 2>&1
    e2e_kubectl "$c" -n default delete serviceaccount "$SA" --ignore-not-found >/dev/null 2>&1
  done
  ka delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  km delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  # A hanging plugin left behind would be a failure of ours; never leave it running.
  local g
  for g in $(cat "$work/hang.pid" 2>/dev/null); do kill -KILL "-$g" 2>/dev/null; done
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kfield() { grep -m1 "^ *$2:" "$E2E_STATE/$1/kubeconfig" | sed 's/^[^:]*: *//'; }

# --- the ServiceAccounts the plugin mints tokens for -------------------------------------------
for c in main cluster-a; do
  e2e_kubectl "$c" -n default create serviceaccount "$SA" >/dev/null &&
    e2e_kubectl "$c" create clusterrolebinding "$SA" --clusterrole=cluster-admin --serviceaccount="default:$SA" >/dev/null ||
    fail "exec: setup: ServiceAccount $SA in $c" "cannot create it"
done

# --- the plugins ---------------------------------------------------------------------------------
# plugin.sh: counts its calls in $CALLS, writes a marker to stderr (it must never reach the
# log), keeps KUBERNETES_EXEC_INFO, mints a token for the ServiceAccount valid 10 min but says
# it expires in $LIFETIME s; when $BAD_ONCE exists it removes it and answers one token the
# server rejects (401), said to expire in an hour. Every token goes to $TOKENS.
cat >"$work/plugin.sh" <<'EOF'
#!/bin/sh
echo "SECRET-MARKER plugin stderr $$" >&2
echo call >>"$CALLS"
printf '%s\n' "$KUBERNETES_EXEC_INFO" >"$INFO_OUT"
if [ -f "$BAD_ONCE" ]; then
  rm -f "$BAD_ONCE"
  tok=not-a-valid-token-$$
  exp=$(date -u -d '+3600 seconds' +%Y-%m-%dT%H:%M:%SZ)
else
  tok=$(SVCLINK_STATE="$STATE_ROOT" "$REPO/hack/clusters.sh" token "$CLUSTER" "default/$SA" 10m) || exit 3
  exp=$(date -u -d "+$LIFETIME seconds" +%Y-%m-%dT%H:%M:%SZ)
fi
echo "$tok" >>"$TOKENS"
printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"%s"}}\n' \
  "$API_VERSION" "$tok" "$exp"
EOF
# hang.sh: never answers; a child of its own holds stdout open too. Each run adds its pid
# (its process group: svclink starts each plugin in a group of its own) to $HANG_PID.
cat >"$work/hang.sh" <<'EOF'
#!/bin/sh
echo $$ >>"$HANG_PID"
echo "SECRET-MARKER hang stderr" >&2
sleep 600 &
sleep 600
EOF
# cert.sh: answers the admin client certificate and key of a harness cluster.
cat >"$work/cert.sh" <<'EOF'
#!/bin/sh
field() { grep -m1 "^ *$1:" "$KUBECONFIG_SRC" | sed 's/^[^:]*: *//' | base64 -d | sed ':a;N;$!ba;s/\n/\\n/g'; }
printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"clientCertificateData":"%s\\n","clientKeyData":"%s\\n"}}\n' \
  "$(field client-certificate-data)" "$(field client-key-data)"
EOF
printf '#!/bin/sh\necho "SECRET-MARKER fail stderr" >&2\nexit 5\n' >"$work/fail.sh"
chmod +x "$work"/*.sh
mkdir -p "$work/links"

# exec_kubeconfig FILE CLUSTER COMMAND API_VERSION ENV_LINES...: a kubeconfig for a harness
# cluster (its server and CA) whose user is an exec plugin with these env entries.
exec_kubeconfig() {
  local file=$1 cluster=$2 cmd=$3 api=$4 e
  shift 4
  {
    printf '%s\n' "apiVersion: v1" "kind: Config" "current-context: t" \
      "contexts: [{name: t, context: {cluster: c, user: u}}]" "clusters:" "- name: c" "  cluster:" \
      "    server: $(kfield "$cluster" server)" \
      "    certificate-authority-data: $(kfield "$cluster" certificate-authority-data)" \
      "users:" "- name: u" "  user:" "    exec:" "      apiVersion: $api" "      command: $cmd" \
      "      interactiveMode: Never" "      provideClusterInfo: true" "      env:"
    for e in "$@"; do echo "      - {name: ${e%%=*}, value: '${e#*=}'}"; done
  } >"$file"
}
common_env() { # CLUSTER NAME API: the env entries plugin.sh reads
  echo "CLUSTER=$1" "CALLS=$work/$2.calls" "INFO_OUT=$work/$2.info" "BAD_ONCE=$work/$2.bad-once" \
    "TOKENS=$work/tokens" "STATE_ROOT=$STATE_ROOT" "REPO=$E2E_ROOT" "SA=$SA" "LIFETIME=$LIFETIME" "API_VERSION=$3"
}
V1=client.authentication.k8s.io/v1 V1BETA1=client.authentication.k8s.io/v1beta1
# main: command relative to the kubeconfig's directory, as kubectl resolves it.
# shellcheck disable=SC2046 # common_env's words are the entries
exec_kubeconfig "$work/main.yaml" main ./plugin.sh "$V1" $(common_env main main "$V1")
# shellcheck disable=SC2046
exec_kubeconfig "$work/links/cluster-a.yaml" cluster-a "$work/plugin.sh" "$V1BETA1" $(common_env cluster-a link-a "$V1BETA1")
exec_kubeconfig "$work/links/cluster-b.yaml" cluster-b "$work/hang.sh" "$V1" "HANG_PID=$work/hang.pid"
exec_kubeconfig "$work/cert.yaml" cluster-a "$work/cert.sh" "$V1BETA1" "KUBECONFIG_SRC=$E2E_STATE/cluster-a/kubeconfig"
exec_kubeconfig "$work/fail.yaml" cluster-a "$work/fail.sh" "$V1"
calls() { [ -f "$work/$1.calls" ] && grep -c . "$work/$1.calls" || echo 0; }

# --- svclink api and check: one request each ---------------------------------------------------
out=$(timeout 60 "$BIN" api --kubeconfig "$work/main.yaml" get /version 2>&1); rc=$?
check "exec: svclink api gets /version with a token from the plugin" "echo rc=$rc $out" \
  eval '[ "$rc" = 0 ] && grep -q gitVersion <<<"$out" && [ "$(calls main)" -ge 1 ]'
check "exec: the plugin was given KUBERNETES_EXEC_INFO with the cluster (provideClusterInfo)" "cat $work/main.info" \
  eval 'grep -qF "{\"apiVersion\":\"$V1\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false,\"cluster\":{\"server\":\"$(kfield main server)\",\"certificate-authority-data\":\"$(kfield main certificate-authority-data)\"}}}" "$work/main.info"'
out=$(timeout 60 "$BIN" api --kubeconfig "$work/cert.yaml" get /api/v1/namespaces/default 2>&1); rc=$?
check "exec: a client certificate and key from a v1beta1 plugin authenticate" "echo rc=$rc $out" \
  eval '[ "$rc" = 0 ] && grep -q "\"name\":\"default\"" <<<"$out"'
out=$(timeout 60 "$BIN" api --kubeconfig "$work/fail.yaml" get /version 2>&1); rc=$?
check "l4 exec: a failing plugin: exit status and a fixed message, never its stderr" "echo rc=$rc $out" \
  eval '[ "$rc" = 1 ] && grep -qF "exec plugin \"$work/fail.sh\" exited with status 5 (its stderr is not shown)" <<<"$out" && ! grep -q SECRET-MARKER <<<"$out"'
out=$(timeout 60 "$BIN" api --untrusted --kubeconfig "$work/main.yaml" get /version 2>&1); rc=$?
check "exec: under the ClusterLink rules (--untrusted) exec is still refused" "echo rc=$rc $out" \
  eval '[ "$rc" = 2 ] && grep -qF "field \"exec\" is not allowed in a ClusterLink kubeconfig" <<<"$out"'
out=$(timeout 60 "$BIN" check --trusted --kubeconfig "$work/main.yaml" 2>&1); rc=$?
check "exec: svclink check --trusted works through the plugin and says a ClusterLink would refuse it" "echo rc=$rc $out" \
  eval 'grep -qE "^auth +ok +authenticated as system:serviceaccount:default:$SA" <<<"$out" && grep -q "a ClusterLink would refuse it" <<<"$out"'

# --- the controller: main and the links through plugins ------------------------------------------
{
  ns_yaml "$NS"
  svc_yaml "$NS" web
  slice_yaml "$NS" web web-1 10.77.0.1 10.77.0.2
} | ka apply -f - >/dev/null || fail "exec: setup: remote objects" "kubectl apply failed"
: >"$work/main.calls"
SVC_LOG=$work/svclink.log
"$BIN" --kubeconfig "$work/main.yaml" --kubeconfig-dir "$work/links" --trusted-kubeconfig-dir --no-clusterlinks \
  --included-namespaces "$NS" --sync-interval 5s >"$SVC_LOG" 2>&1 &
SVC_PID=$!
SVC_RC=""
start=$SECONDS
echo "-- svclink (pid $SVC_PID)"
expect "exec: svclink syncs with credentials from plugins (main and a --trusted-kubeconfig-dir link)" 60 \
  "eps_diff cluster-a $NS web cluster-a; svc_tail 5" eps_match cluster-a "$NS" web cluster-a
hang_alive() { [ -f "$work/hang.pid" ] && kill -0 "$(tail -n1 "$work/hang.pid")" 2>/dev/null; }
# group_gone PGID: no process is left in that process group.
group_gone() { ! pgrep -g "$1" >/dev/null; }
check "exec: a hanging plugin of another link does not hold the sync up" "echo synced after $((SECONDS - start)) s" \
  eval '[ $((SECONDS - start)) -lt $HANG_BOUND ] && hang_alive'

# After the credential's expiry, the next write to main needs the plugin again.
sleep $((LIFETIME + 2))
n=$(calls main)
slice_yaml "$NS" web web-1 10.77.0.1 10.77.0.2 10.77.0.3 | ka apply -f - >/dev/null
expect "exec: after the expiry the plugin runs again and the change is synced" 30 \
  "echo calls $n then \$(calls main); eps_diff cluster-a $NS web cluster-a" \
  eval '[ "$(calls main)" -gt "$n" ] && eps_match cluster-a "$NS" web cluster-a'

# A credential the server rejects: the next run answers a bad token (said to be valid for an
# hour); the write gets 401, svclink drops it, runs the plugin again and the write goes through.
sleep $((LIFETIME + 2))
: >"$work/main.bad-once"
n=$(calls main)
slice_yaml "$NS" web web-1 10.77.0.1 10.77.0.4 | ka apply -f - >/dev/null
expect "exec: a 401 makes svclink run the plugin again and recover" 30 \
  "echo calls $n then \$(calls main) bad-once=\$(ls $work/main.bad-once 2>&1); grep -c 401 $SVC_LOG; eps_diff cluster-a $NS web cluster-a" \
  eval '[ ! -f "$work/main.bad-once" ] && [ "$(calls main)" -ge $((n + 2)) ] && eps_match cluster-a "$NS" web cluster-a'
check "exec: the 401 was noticed as such" "grep 401 $SVC_LOG" grep -q 'exec credential rejected (401): running the plugin again" cluster=main' "$SVC_LOG"

# The hanging plugin: killed at the bound, with its child, the link reporting why.
expect "l4 exec: a hanging plugin is killed at the ${HANG_BOUND} s bound with a clear status" $((HANG_BOUND + 20)) \
  "grep cluster-b $SVC_LOG | tail -n 3" \
  grep -qF "exec plugin \\\"$work/hang.sh\\\" did not finish within $HANG_BOUND s and was killed (its stderr is not shown)" "$SVC_LOG"
check "exec: the hung link reports ExecPluginFailed" "grep 'link state' $SVC_LOG | tail -n 3" \
  grep -q 'msg="link state" link=cluster-b ready=false reason=ExecPluginFailed' "$SVC_LOG"
first_hang=$(head -n1 "$work/hang.pid" 2>/dev/null)
# The group is killed as the bound passes and the log line is written; its processes are
# gone once reaped (svclink reaps the plugin, init the orphaned child), a moment later.
check "exec: the killed plugin's process group (its child too) is gone" "ps -o pid,pgid,stat,args -g $first_hang" \
  eval '[ -n "$first_hang" ] && e2e_wait 5 group_gone "$first_hang"'
check "exec: svclink keeps running" "svc_tail 5" svc_alive

svc_stop
all_hang_gone() {
  local g
  for g in $(cat "$work/hang.pid"); do group_gone "$g" || return 1; done
}
check "exec: stopping svclink kills a plugin still running, with its child" "cat $work/hang.pid; pgrep -af $work/hang.sh" \
  eval 'e2e_wait 5 all_hang_gone && ! pgrep -f "$work/hang.sh" >/dev/null'
check "l4 exec: the plugins' stderr never reaches the log" "grep -c SECRET-MARKER $SVC_LOG" \
  eval '! grep -q SECRET-MARKER "$SVC_LOG"'
grep . "$work/tokens" >"$work/tokens.nonempty" 2>/dev/null
check "l3 exec: no token the plugins minted appears in the log" "wc -l $work/tokens" \
  eval '[ -s "$work/tokens.nonempty" ] && ! grep -qF -f "$work/tokens.nonempty" "$SVC_LOG"'
check "exec: svclink exited cleanly" "echo rc=$SVC_RC; svc_tail 5" eval '[ "$SVC_RC" = 0 ]'
e2e_finish
