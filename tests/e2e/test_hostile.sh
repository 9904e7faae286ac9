#!/usr/bin/env bash
# Hostile remotes: a healthy link (1,000 Services in cluster-a) beside one link per mode of
# tests/tools/hostile_apiserver; svclink stays up and small, and names each link's problem.
source "$E2E_ROOT/tests/e2e/lib.sh"
source "$E2E_ROOT/tests/e2e/sync_lib.sh"
SYNC_INTERVAL=10
work=$(mktemp -d)
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns=hostile-$sfx
modes=(endless many manyeps deep garbage slow huge endlessline)
# mode -> what its link's status message must say (a regular expression)
declare -A want=(
  [endless]="no complete response within"
  [many]="over the budget of 2000 Services"
  [manyeps]="over the budget of 5000 endpoints"
  [deep]="nesting deeper than 64"
  [garbage]="at byte"
  [slow]="no complete response within"
  [huge]="items\[0\] exceeds 1048576 bytes"
  [endlessline]="a stream line exceeds"
)
healthy=healthy-$sfx
srv_pid=""
cleanup() {
  svc_stop
  [ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null && wait "$srv_pid" 2>/dev/null
  km delete clusterlink -l "hostile-test=$sfx" --wait=false >/dev/null 2>&1
  e2e_delete_namespace "$ns" main cluster-a
  mkdir -p "$E2E_ROOT/build/test-logs" && cp "$work"/svclink-*.log "$E2E_ROOT/build/test-logs/" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

server="$E2E_ROOT/build/hostile-apiserver"
[ -x "$server" ] || { e2e_fail hostile-server-built "$server is missing (make build/hostile-apiserver)"; e2e_finish; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=hostile \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" >/dev/null 2>&1
openssl x509 -in "$work/cert.pem" -outform DER -out "$work/cert.der"
openssl pkey -in "$work/key.pem" -outform DER -out "$work/key.der" 2>/dev/null
"$server" 0 "$work/cert.der" "$work/key.der" >"$work/port" 2>"$work/server.err" &
srv_pid=$!
e2e_wait 10 test -s "$work/port" || { e2e_fail hostile-server-up "$(cat "$work/server.err")"; e2e_finish; }
port=$(head -1 "$work/port")
ca=$(base64 -w0 "$work/cert.pem")

e2e_kubectl main apply -f "$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null
e2e_kubectl main wait --for condition=established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s >/dev/null
for c in main cluster-a; do e2e_kubectl "$c" create namespace "$ns" >/dev/null; done
{
  echo '{"apiVersion":"v1","kind":"List","items":['
  for ((i = 0; i < 1000; i++)); do
    [ "$i" -gt 0 ] && echo ','
    printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s%04d","namespace":"%s"},"spec":{"ports":[{"port":80}]}}' "$i" "$ns"
  done
  echo ']}'
} >"$work/services.json"
ka create -f "$work/services.json" >/dev/null || e2e_fail hostile-remote-services "could not create 1,000 Services in cluster-a"

# link NAME KUBECONFIG-FILE [SPEC-LINES...]
link() {
  local name=$1 file=$2
  shift 2
  { printf 'apiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\n  labels: {hostile-test: "%s"}\nspec:\n  kubeconfig: %s\n' \
      "$name" "$sfx" "$(base64 -w0 "$file")"
    for l in "$@"; do echo "  $l"; done; } | km apply -f - >/dev/null
}
mode_link() {
  local m=$1
  e2e_kubeconfig "$work/kc-$m" "https://127.0.0.1:$port/$m" "certificate-authority-data: $ca" -- "token: hostile"
  case $m in
    many) link "$m-$sfx" "$work/kc-$m" "maxServices: 2000" ;;
    manyeps) link "$m-$sfx" "$work/kc-$m" "maxEndpoints: 5000" ;;
    *) link "$m-$sfx" "$work/kc-$m" ;;
  esac
}
reason() { km get clusterlink "$1" -o jsonpath='{.status.conditions[0].reason}' 2>/dev/null; }
message() { km get clusterlink "$1" -o jsonpath='{.status.conditions[0].message}' 2>/dev/null; }
# named MODE: the link is not Ready and its message names the mode's problem (one read, so
# reason and message belong together).
named() {
  local st
  st=$(km get clusterlink "$1-$sfx" -o jsonpath='{.status.conditions[0].status} {.status.conditions[0].message}' 2>/dev/null)
  [ "${st%% *}" = False ] && printf '%s\n' "${st#* }" | grep -Eq "${want[$1]}"
}
healthy_connected() { [ "$(reason "$healthy")" = Connected ]; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$SVC_PID/status"; }

# --- all at once, beside the healthy link ----------------------------------------------------
link "$healthy" "$E2E_STATE/cluster-a/kubeconfig" "includedNamespaces: [$ns]"
for m in "${modes[@]}"; do mode_link "$m"; done
svc_start "$work/svclink-hostile.log"
start=$SECONDS
sync_wait 60 healthy_connected && e2e_pass "hostile-healthy-link-connected ($((SECONDS - start)) s)" ||
  e2e_fail hostile-healthy-link-connected "reason $(reason "$healthy"): $(message "$healthy") / $(svc_tail)"
for m in "${modes[@]}"; do
  if sync_wait 75 named "$m"; then
    e2e_pass "hostile-$m-named ($(reason "$m-$sfx"): $(message "$m-$sfx" | cut -c1-160))"
  else
    e2e_fail "hostile-$m-named" "reason $(reason "$m-$sfx"), message: $(message "$m-$sfx" | cut -c1-300)"
  fi
done
# The healthy link still follows changes: a new Service with an endpoint shows up in main.
km -n "$ns" create service clusterip fresh --tcp=80:8080 >/dev/null
ka -n "$ns" create service clusterip fresh --tcp=80:8080 >/dev/null
cat <<YAML | ka apply -f - >/dev/null
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: fresh-1, namespace: $ns, labels: {kubernetes.io/service-name: fresh, endpointslice.kubernetes.io/managed-by: hostile-test}}
addressType: IPv4
ports: [{name: tcp, port: 8080, protocol: TCP}]
endpoints: [{addresses: ["10.77.0.1"]}]
YAML
fresh() { km -n "$ns" get endpointslices -l "kubernetes.io/service-name=fresh,$MANAGED_SEL" -o jsonpath='{.items[*].endpoints[*].addresses[0]}' | grep -q 10.77.0.1; }
sync_wait 30 fresh && e2e_pass hostile-healthy-link-follows-changes ||
  e2e_fail hostile-healthy-link-follows-changes "no local slice with 10.77.0.1: $(svc_tail)"
# Let every bad link fail and retry a few more times, then look at the peak.
sleep 10
if svc_alive; then e2e_pass hostile-svclink-stays-up; else e2e_fail hostile-svclink-stays-up "svclink died: $(svc_tail)"; fi
peak=$(hwm)
echo "hostile: all ${#modes[@]} modes at once beside a healthy link of 1,000 Services: VmHWM ${peak} KiB"
if [ -n "$peak" ] && [ "$peak" -lt 8192 ]; then e2e_pass "hostile-all-at-once-under-8-MiB (${peak} KiB)"; else
  e2e_fail hostile-all-at-once-under-8-MiB "VmHWM ${peak} KiB"; fi
# Deleted while svclink runs, so that it releases their finalizers.
km delete clusterlink -l "hostile-test=$sfx" --timeout=30s >/dev/null 2>&1 ||
  e2e_fail hostile-links-deleted "the links' finalizers were not released within 30 s"
svc_stop

# --- each mode alone: its own peak ----------------------------------------------------------
for m in "${modes[@]}"; do
  mode_link "$m"
  svc_start "$work/svclink-hostile-$m.log"
  sync_wait 50 named "$m" || e2e_fail "hostile-$m-alone" "not named: $(message "$m-$sfx" | cut -c1-200)"
  sleep 2
  peak=$(hwm)
  echo "hostile: $m alone: VmHWM ${peak} KiB"
  km delete clusterlink "$m-$sfx" --timeout=30s >/dev/null 2>&1
  svc_stop
  [ -n "$peak" ] && [ "$peak" -lt 8192 ] && e2e_pass "hostile-$m-alone-under-8-MiB (${peak} KiB)" ||
    e2e_fail "hostile-$m-alone-under-8-MiB" "VmHWM ${peak} KiB"
done
e2e_finish
