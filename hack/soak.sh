#!/usr/bin/env bash
# A soak (not in CI): svclink against three local clusters for SOAK_SECONDS under steady churn,
# a remote API server restarted every 10 minutes and a watch expiry (410) every 5; it fails
# when svclink's memory or descriptors grow, or its writes differ from the changes made.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/soak.sh            (make soak)

  10 links (5 to each remote), each over its own namespace of 100 Services x 10 endpoints.
  Churn: in rounds, each link's remote gets one PATCH changing one address of one slice
  (round robin, so a slice changes again only 100 rounds later), then a 1 s pause; the
  rate is what the API servers take (about 2.5 changes a second in all on a 2-core
  machine) and is printed. Every 600 s one
  remote's kube-apiserver is killed and restarted; every 300 s the other's watches expire
  (hack/clusters.sh expire). svclink's VmRSS, open descriptors and writes are sampled every
  10 s into SOAK_STATE/samples.tsv.

  Fails when VmRSS's mean over the last quarter is more than 5 % above the first quarter's
  (the first 60 s, start-up, left out), when descriptors at the end exceed those at the
  first sample after start-up, or when EndpointSlice writes differ from the changes that
  the remotes accepted.

Environment: SOAK_SECONDS (default 3600), SOAK_RESTART_EVERY (600), SOAK_EXPIRE_EVERY (300),
SOAK_STATE (default .state/soak), SVCLINK_PORT_BASE (default 27400), SOAK_BIN (default
bin/svclink).
EOF
}
case ${1:-} in -h|--help) usage; exit 0 ;; "") ;; *) usage >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
seconds=${SOAK_SECONDS:-3600}
[[ $seconds =~ ^[1-9][0-9]*$ ]] && [ "$seconds" -ge 120 ] || { echo "soak: SOAK_SECONDS must be at least 120" >&2; exit 2; }
bin=${SOAK_BIN:-$repo/bin/svclink}
export SVCLINK_STATE=${SOAK_STATE:-$repo/.state/soak}
export SVCLINK_PORT_BASE=${SVCLINK_PORT_BASE:-27400}
state=$SVCLINK_STATE/clusters
links=10 services=100
mkdir -p "$SVCLINK_STATE"
work=$(mktemp -d "$SVCLINK_STATE/run.XXXXXX")
pid="" churn_pid=""
log() { printf '[soak] %s\n' "$*" >&2; }
cleanup() {
  [ -n "$churn_pid" ] && kill "$churn_pid" 2>/dev/null; wait "$churn_pid" 2>/dev/null || true
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  log "stopping the soak clusters (samples and logs kept in $work)"
  "$here/clusters.sh" down --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck source=../tests/e2e/load_lib.sh
source "$repo/tests/e2e/load_lib.sh"

log "clusters: main, cluster-a, cluster-b (state $SVCLINK_STATE)"
"$here/clusters.sh" up main cluster-a cluster-b >"$work/up.log" 2>&1 || { tail -n 20 "$work/up.log" >&2; exit 1; }
kubectl="$(cat "$state/bin-dir")/kubectl"
k() { "$kubectl" --kubeconfig "$state/$1/kubeconfig" "${@:2}"; }
remote_of() { if [ $(($1 % 2)) = 0 ]; then echo cluster-a; else echo cluster-b; fi; }
ns_of() { printf 'soak-%02d' "$1"; }
k main apply -f "$repo/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null
k main wait --for condition=established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s >/dev/null

log "creating $links links x $services Services x 10 endpoints"
for ((l = 0; l < links; l++)); do
  ns=$(ns_of "$l") r=$(remote_of "$l")
  for c in main "$r"; do k "$c" create namespace "$ns" >/dev/null; done
  e2e_load_objects "$work/remote-$l.json" "$ns" 1 $((100 + l)) 0 "$services" soak
  e2e_load_objects "$work/main-$l.json" "$ns" 0 0 0 "$services" soak
  k "$r" create -f "$work/remote-$l.json" >/dev/null
  k main create -f "$work/main-$l.json" >/dev/null
  k main apply -f - >/dev/null <<EOF
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: soak-$l}
spec:
  includedNamespaces: [$ns]
  kubeconfig: $(base64 -w0 "$state/$r/kubeconfig")
EOF
done

"$bin" --kubeconfig "$state/main/kubeconfig" --http-address 127.0.0.1:0 >"$work/svclink.log" 2>&1 &
pid=$!
slice_writes() { grep -c 'msg=write .*kind=EndpointSlice' "$work/svclink.log" || true; }
want=$((links * services))
for ((i = 0; i < 600; i++)); do
  [ "$(slice_writes)" -ge "$want" ] && break
  kill -0 "$pid" 2>/dev/null || { log "svclink exited: $(tail -n 3 "$work/svclink.log")"; exit 1; }
  sleep 0.5
done
[ "$(slice_writes)" -ge "$want" ] || { log "svclink did not write $want slices in 300 s"; exit 1; }
sleep 5
writes0=$(slice_writes)
log "converged: $writes0 slice writes; soaking for $seconds s"

# churn: PATCH one slice per link a second, straight to the remote API servers (curl costs
# far less than kubectl); "ok" per change the server accepted.
churn() {
  local n=0 l r d code
  while [ ! -e "$work/churn.stop" ]; do
    for ((l = 0; l < links; l++)); do
      r=$(remote_of "$l") d=$state/$r/pki
      code=$(curl -s -o /dev/null -w '%{http_code}' --noproxy '*' -m 15 --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" \
        -X PATCH -H 'Content-Type: application/json-patch+json' \
        --data "[{\"op\":\"replace\",\"path\":\"/endpoints/0/addresses/0\",\"value\":\"10.$((200 + l)).$((n / 250 % 250)).$((n % 250 + 1))\"}]" \
        "$(sed -n 's/^ *server: *//p' "$state/$r/kubeconfig" | head -n 1)/apis/discovery.k8s.io/v1/namespaces/$(ns_of "$l")/endpointslices/$(printf 's%04d-x' $((n % services)))") || true
      [ "$code" = 200 ] && echo ok
    done
    n=$((n + 1))
    sleep 1
  done
}
churn >"$work/changes" &
churn_pid=$!

printf 'seconds\tvmrss_kib\tfds\tslice_writes\tchanges\n' >"$work/samples.tsv"
restart_every=${SOAK_RESTART_EVERY:-600} expire_every=${SOAK_EXPIRE_EVERY:-300}
t0=$SECONDS next_restart=$restart_every next_expire=$expire_every restarts=0 expiries=0
while [ $((SECONDS - t0)) -lt "$seconds" ]; do
  sleep 10
  kill -0 "$pid" 2>/dev/null || { log "svclink exited: $(tail -n 3 "$work/svclink.log")"; exit 1; }
  e=$((SECONDS - t0))
  printf '%d\t%d\t%d\t%d\t%d\n' "$e" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")" \
    "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)" "$(slice_writes)" "$(grep -c . "$work/changes" || true)" >>"$work/samples.tsv"
  if [ "$e" -ge "$next_restart" ]; then
    "$here/clusters.sh" apiserver cluster-a stop >/dev/null 2>&1 || true
    sleep 2
    "$here/clusters.sh" apiserver cluster-a start >/dev/null 2>&1 || log "cluster-a's API server did not start again"
    restarts=$((restarts + 1)) next_restart=$((next_restart + restart_every))
  fi
  if [ "$e" -ge "$next_expire" ]; then
    "$here/clusters.sh" expire cluster-b >/dev/null 2>&1 || log "expiring cluster-b's watches failed"
    expiries=$((expiries + 1)) next_expire=$((next_expire + expire_every))
  fi
done
# A round ends before the churn stops: a PATCH killed in flight could be applied uncounted.
: >"$work/churn.stop"
wait "$churn_pid" 2>/dev/null || true
churn_pid=""
sleep 30   # the last changes reach main
changes=$(grep -c . "$work/changes" || true)
writes=$(($(slice_writes) - writes0))

# Quarters by sample, the first 60 s left out.
read -r rss_first rss_last fds_first fds_last < <(awk -F'\t' 'NR > 1 && $1 > 60 { n++; r[n] = $2; f[n] = $3 }
  END { q = int(n / 4); if (q < 1) q = 1
        for (i = 1; i <= q; i++) a += r[i]; for (i = n - q + 1; i <= n; i++) b += r[i]
        printf "%d %d %d %d\n", a / q, b / q, f[1], f[n] }' "$work/samples.tsv")
hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
printf '| soak: %d s, %d links x %d Services x 10 endpoints, %d API server restarts, %d expiries | value |\n' \
  "$seconds" "$links" "$services" "$restarts" "$expiries"
printf '| --- | --- |\n'
printf '| VmRSS, mean of the first / last quarter | %d / %d KiB (VmHWM %d KiB) |\n' "$rss_first" "$rss_last" "$hwm"
printf '| open descriptors, first / last sample | %d / %d |\n' "$fds_first" "$fds_last"
printf '| changes the remotes accepted / EndpointSlice writes | %d / %d (%d.%02d changes a second) |\n' "$changes" "$writes" \
  $((changes / seconds)) $((changes * 100 / seconds % 100))
ok=0
[ $((rss_last * 100)) -le $((rss_first * 105)) ] || { log "FAIL: VmRSS grew more than 5 %"; ok=1; }
[ "$fds_last" -le "$fds_first" ] || { log "FAIL: descriptors grew"; ok=1; }
[ "$writes" = "$changes" ] || { log "FAIL: $writes writes for $changes changes"; ok=1; }
[ "$ok" = 0 ] && log "PASS"
exit "$ok"
