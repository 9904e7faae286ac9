# Helpers for tests/e2e/test_sync.sh: svclink's lifecycle, ClusterLink status, the endpoints
# of local and remote EndpointSlices, write-line counting, and waits that stop early when
# svclink has died (so a crashed engine costs seconds, not every check's full timeout).
# Needs lib.sh sourced first, and E2E_BIN, E2E_STATE, E2E_KUBECTL, E2E_ROOT.
# shellcheck shell=bash disable=SC2034

km() { e2e_kubectl main "$@"; }
ka() { e2e_kubectl cluster-a "$@"; }
kb() { e2e_kubectl cluster-b "$@"; }

MANAGED_BY=svclink.cloudpilot.ai
MANAGED_SEL="endpointslice.kubernetes.io/managed-by=$MANAGED_BY"
LINK_LABEL=svclink.cloudpilot.ai/cluster

# --- svclink --------------------------------------------------------------------------------
SVC_PID="" SVC_LOG="" SVC_RC=""

# pid_running PID: alive and not a zombie (a child that exited stays visible to kill -0
# until it is reaped).
pid_running() {
  local st
  [ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
  st=$(sed 's/^.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}
pid_gone() { ! pid_running "$1"; }
svc_alive() { pid_running "$SVC_PID"; }

# svc_start LOG ARGS...: starts svclink against main with a 5 s resync and ARGS; main's
# kubeconfig is SVC_KUBECONFIG when set, else the harness's.
svc_start() {
  SVC_LOG=$1; shift
  "$E2E_BIN" --kubeconfig "${SVC_KUBECONFIG:-$E2E_STATE/main/kubeconfig}" --sync-interval "${SYNC_INTERVAL}s" "$@" >"$SVC_LOG" 2>&1 &
  SVC_PID=$!
  SVC_RC=""
}

# svc_stop: SIGTERM, at most 20 s for it to exit (then SIGKILL); SVC_RC gets the status.
svc_stop() {
  [ -n "$SVC_PID" ] || return 0
  kill -TERM "$SVC_PID" 2>/dev/null
  if ! e2e_wait 20 pid_gone "$SVC_PID"; then
    kill -KILL "$SVC_PID" 2>/dev/null
  fi
  wait "$SVC_PID" 2>/dev/null
  SVC_RC=$?
  SVC_PID=""
}

# svc_tail: the last lines of the current log, on one line, for FAIL messages.
svc_tail() { tail -n "${1:-5}" "$SVC_LOG" 2>/dev/null | tr '\n' ' ' | cut -c1-700; }

# obj_writes LOG: the write lines for EndpointSlices, Services and Namespaces (ClusterLink
# status and finalizer writes are not counted: the status carries lastSyncTime).
obj_writes() { grep -E 'msg="?write"? ' "$1" 2>/dev/null | grep -E 'kind=(EndpointSlice|Service|Namespace)( |$)'; }
obj_write_count() { obj_writes "$1" | grep -c .; }

# --- waits ----------------------------------------------------------------------------------
# svc_ok: svclink runs, or none was started (between runs).
svc_ok() { [ -z "$SVC_PID" ] || svc_alive; }
# sync_wait SECS CMD...: like e2e_wait, but fails as soon as svclink (when started) is not
# running: what a dead engine left behind must not pass for its work.
sync_wait() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] && svc_ok || return 1
    sleep 0.25
  done
  svc_ok
}

# holds SECS CMD...: CMD keeps succeeding for SECS seconds while svclink keeps running.
holds() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$deadline" ]; do
    "$@" >/dev/null 2>&1 && svc_alive || return 1
    sleep 0.3
  done
}

# expect NAME SECS WHY CMD...: PASS when CMD succeeds within SECS, else FAIL with the output
# of `eval WHY` (evaluated only on failure), plus svclink's fate when it is not running.
expect() {
  local name=$1 t=$2 why=$3; shift 3
  if sync_wait "$t" "$@"; then
    e2e_pass "$name"
  else
    fail "$name" "$(why_text "$why")"
  fi
}
why_text() {
  local w
  w=$(eval "$1" 2>&1 | tr '\n' ' ' | cut -c1-900)
  if [ -n "$SVC_PID" ] && ! svc_alive; then w+=" [svclink is not running: $(svc_tail 3)]"; fi
  printf '%s' "$w"
}
# fail NAME WHY: e2e_fail with WHY on one line (the runner reads one line per result).
fail() { e2e_fail "$1" "$(tr '\n' ' ' <<<"$2" | cut -c1-900)"; }

# check NAME WHY CMD...: PASS when CMD succeeds now (and svclink, when started, still runs:
# a check that nothing was written proves nothing about a dead engine).
check() {
  local name=$1 why=$2; shift 2
  if "$@" >/dev/null 2>&1 && svc_ok; then
    e2e_pass "$name"
  else
    fail "$name" "$(why_text "$why")"
  fi
}

now_ms() { date +%s%3N; }
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# --- ClusterLinks ---------------------------------------------------------------------------
cond_path='{.status.conditions[?(@.type=="Ready")]'
cl_get() { km get clusterlink "$1" -o jsonpath="$2" 2>/dev/null; }
cl_reason() { cl_get "$1" "$cond_path.reason}"; }
# cl_is NAME STATUS REASON: the Ready condition has that status and reason.
cl_is() { [ "$(cl_get "$1" "$cond_path.status}/$cond_path.reason}")" = "$2/$3" ]; }
# cl_summary NAME: the status in one line, for FAIL messages.
cl_summary() {
  cl_get "$1" "gen={.metadata.generation} ready=$cond_path.status} reason=$cond_path.reason} message=$cond_path.message} version={.status.remoteVersion} services={.status.syncedServices} endpoints={.status.syncedEndpoints} lastSync={.status.lastSyncTime} observed={.status.observedGeneration}"
  km get clusterlink "$1" >/dev/null 2>&1 || echo "($1 does not exist)"
}
cl_gone() { ! km get clusterlink "$1" >/dev/null 2>&1 && km get clusterlinks >/dev/null 2>&1; }

# b64 FILE / b64s STRING
b64() { base64 -w0 <"$1"; }
b64s() { printf '%s' "$1" | base64 -w0; }

# link_yaml NAME SPEC_LINE...: a ClusterLink of this run (labelled RUN_LABEL=sfx, both set by the script), each SPEC_LINE one line under spec.
link_yaml() {
  local name=$1 l; shift
  printf -- '---\napiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\n  labels: {%s: "%s"}\nspec:\n' "$name" "$RUN_LABEL" "$sfx"
  for l in "$@"; do printf '  %s\n' "$l"; done
}

# --- EndpointSlices -------------------------------------------------------------------------
# One line per endpoint: "addresses|ready|serving|terminating|hostname" (empty: not set).
EP_TPL='{range .items[*]}{range .endpoints[*]}{.addresses[*]}|{.conditions.ready}|{.conditions.serving}|{.conditions.terminating}|{.hostname}{"\n"}{end}{end}'

# local_sel SVC LINK: label selector of the slices svclink writes for SVC from LINK.
local_sel() { echo "kubernetes.io/service-name=$1,$LINK_LABEL=$2,$MANAGED_SEL"; }
# local_eps NS SVC LINK / remote_eps CLUSTER NS SVC: sorted endpoint lines.
local_eps() { km -n "$1" get endpointslices -l "$(local_sel "$2" "$3")" -o jsonpath="$EP_TPL" | sort; }
remote_eps() {
  e2e_kubectl "$1" -n "$2" get endpointslices -l "kubernetes.io/service-name=$3,endpointslice.kubernetes.io/managed-by!=$MANAGED_BY" \
    -o jsonpath="$EP_TPL" | sort
}
# local_slices NS SVC LINK: names of the slices.
local_slices() { km -n "$1" get endpointslices -l "$(local_sel "$2" "$3")" -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}'; }
local_slice_count() { local_slices "$@" | grep -c .; }
no_local_slices() { local n; n=$(local_slices "$@") && [ -z "$n" ]; }

# eps_match CLUSTER NS SVC LINK: the local endpoints of LINK equal the remote's, and there
# are some.
eps_match() {
  local r l
  r=$(remote_eps "$1" "$2" "$3") && l=$(local_eps "$2" "$3" "$4") || return 1
  [ -n "$r" ] && [ "$r" = "$l" ]
}
eps_diff() { echo "remote [$(remote_eps "$1" "$2" "$3" | tr '\n' ' ')] local [$(local_eps "$2" "$3" "$4" | tr '\n' ' ')]"; }

# all_ready N LINES: exactly N endpoints, each ready and not terminating.
all_ready() {
  [ "$(grep -c . <<<"$2")" -eq "$1" ] || return 1
  ! grep -v '^[^|]*|true|[^|]*|\(false\)\{0,1\}|' <<<"$2" | grep -q .
}

# synced_set LINK NS...: "ns/svc" of every svclink slice of LINK in those namespaces.
synced_set() {
  local link=$1 ns; shift
  for ns in "$@"; do
    km -n "$ns" get endpointslices -l "$LINK_LABEL=$link,$MANAGED_SEL" \
      -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.labels.kubernetes\.io/service-name}{"\n"}{end}' || return 1
  done | sort -u
}

# slice_name_prefix SVC LINK: the readable part of a slice name per the contract: each cut
# to 20 characters, dots turned into '-', no trailing '-'.
name_part() {
  local s=${1:0:20}
  s=${s//./-}
  while [ "${s%-}" != "$s" ]; do s=${s%-}; done
  printf '%s' "$s"
}
not() { ! "$@"; }
slice_name_ok() { [[ $1 =~ ^$(name_part "$2")-$(name_part "$3")-[0-9a-f]{10}$ ]]; }
dns_label_ok() { [ "${#1}" -le 63 ] && [[ $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]; }

# --- remote and local objects (YAML documents on stdout) -------------------------------------
ns_yaml() { printf -- '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n' "$1"; }

# svc_yaml NS NAME [SELECTOR_APP]: a ClusterIP Service, port 80 (http, appProtocol http) to
# 8080; selectorless without SELECTOR_APP.
svc_yaml() {
  printf -- '---\napiVersion: v1\nkind: Service\nmetadata: {name: %s, namespace: %s}\nspec:\n' "$2" "$1"
  [ -n "${3:-}" ] && printf '  selector: {app: %s}\n' "$3"
  printf '  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP, appProtocol: http}]\n'
}

# deploy_yaml NS NAME REPLICAS: kwok-backed Deployment with label app=NAME.
deploy_yaml() {
  cat <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: $2, namespace: $1}
spec:
  replicas: $3
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec: {containers: [{name: web, image: registry.invalid/svclink/web:1, ports: [{containerPort: 8080}]}]}
EOF
}

# link_apply NAME CLUSTER NS: a ClusterLink NAME in main to CLUSTER (its admin kubeconfig,
# embedded) that includes only namespace NS.
link_apply() {
  km apply -f - >/dev/null <<YAML
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: $1}
spec: {kubeconfig: $(b64 "$E2E_STATE/$2/kubeconfig"), includedNamespaces: [$3]}
YAML
}

# slice_yaml NS SVC NAME ADDR...: a hand-written remote EndpointSlice, every endpoint ready,
# port http/8080/TCP (appProtocol http), as the controller writes for svc_yaml's port.
slice_yaml() {
  local ns=$1 svc=$2 name=$3 a; shift 3
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {kubernetes.io/service-name: %s}\naddressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}]\nendpoints:\n' "$name" "$ns" "$svc"
  for a in "$@"; do printf '%s\n' "- addresses: [$a]" "  conditions: {ready: true, serving: true, terminating: false}"; done
}

# --- churn: a remote that keeps changing ------------------------------------------------------------
CHURN_PID=""
# churn_start STEP SECS: runs `STEP I` for I = 1, 2, ... every SECS seconds in the
# background until churn_stop (the loop ends when its flag file in $work goes).
churn_start() {
  local step=$1 secs=$2
  : >"$work/churn.go"
  (
    i=0
    while [ -e "$work/churn.go" ]; do
      i=$((i + 1))
      "$step" "$i"
      sleep "$secs"
    done
  ) &
  CHURN_PID=$!
}
churn_stop() {
  rm -f "$work/churn.go"
  [ -n "$CHURN_PID" ] && wait "$CHURN_PID" 2>/dev/null
  CHURN_PID=""
}

# --- links of one run (RUN_LABEL=sfx on each) ---------------------------------------------------
# run_begin NAME: the run's work directory with a private copy of svclink (a rebuild while
# the suite runs must not change it), its random suffix sfx, RUN_LABEL=svclink-e2e-NAME,
# and CRD, the ClusterLink CRD's file.
run_begin() {
  CRD=$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml
  work=$(mktemp -d)
  cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
  sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
  RUN_LABEL=svclink-e2e-$1
}

# run_links_end: svclink, still running, deletes this run's links (and their slices); then
# it stops, and a link it left has its finalizer released.
run_links_end() {
  km delete clusterlinks -l "$RUN_LABEL=$sfx" --wait=true --timeout 20s >/dev/null 2>&1
  svc_stop
  local l
  for l in $(km get clusterlinks -l "$RUN_LABEL=$sfx" -o name 2>/dev/null); do
    km patch "$l" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  done
}

# run_links_delete: deletes this run's links; without svclink nobody removes their
# finalizer, so a failed run's links are released first.
run_links_delete() {
  local l
  for l in $(km get clusterlinks -l "$RUN_LABEL=$sfx" -o name 2>/dev/null); do
    km patch "$l" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  done
  km delete clusterlinks -l "$RUN_LABEL=$sfx" --wait=false >/dev/null 2>&1
}

# --- replicas: several svclink processes at once, each with its log and listener --------------
# Needs BIN (the binary) and work (the directory for NAME.log). PID, PORT and RC by name.
declare -A PID=() PORT=() RC=()
# replica_start NAME ARGS...: "$BIN" ARGS --http-address 127.0.0.1:0; PORT[NAME] is the port
# it reports binding (empty when it never did within 5 s).
replica_start() {
  local name=$1 p=""; shift
  "$BIN" "$@" --http-address 127.0.0.1:0 >"$work/$name.log" 2>&1 &
  PID[$name]=$!
  for _ in $(seq 1 50); do
    p=$(grep -oE 'address"?[=:]"?127\.0\.0\.1:[0-9]+' "$work/$name.log" | head -n1 | grep -oE '[0-9]+$')
    [ -n "$p" ] && break
    sleep 0.1
  done
  PORT[$name]=$p
}
# stop_replica NAME [SIGNAL]: signal (TERM by default), wait at most 20 s; RC[NAME] = status.
stop_replica() {
  local pid=${PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill "-${2:-TERM}" "$pid" 2>/dev/null
  e2e_wait 20 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  RC[$1]=$?
  unset "PID[$1]"
}
# get NAME PATH / code NAME PATH: the body / HTTP status of one of its answers.
get() { curl -s -m 3 "http://127.0.0.1:${PORT[$1]}$2"; }
code() { curl -s -o /dev/null -w '%{http_code}' -m 3 "http://127.0.0.1:${PORT[$1]}$2"; }
leading() { get "$1" /leader | grep -q '"leading":true'; }
writes_of() { grep -cE 'msg="?write"? ' "$work/$1.log"; }
alive() { pid_running "${PID[$1]:-}"; }

# cloudpilot_settle: a cloudpilot namespace a previous suite deleted may still be
# Terminating (nothing can be created in it until it is gone): wait for that, at most 90 s.
ns_terminating() { [ "$(km get namespace "${1:-cloudpilot}" -o jsonpath='{.status.phase}' 2>/dev/null)" = Terminating ]; }
cloudpilot_settle() { e2e_wait 90 not ns_terminating cloudpilot || echo "setup: namespace cloudpilot still Terminating after 90 s"; }
