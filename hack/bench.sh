#!/usr/bin/env bash
# `make bench`: a benchmark (not a test) of svclink on real local control planes; prints one
# table: convergence, propagation percentiles from watches, memory, idle CPU and requests, writes.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/bench.sh [--links N] [--services N] [--endpoints N] [--samples N] [--burst N]
                     [--idle SECONDS] [--keep]

  --links N       ClusterLinks, alternating between the remotes cluster-a and cluster-b (default 2)
  --services N    remote Services per link, each with one EndpointSlice (default 1000)
  --endpoints N   endpoints per EndpointSlice (default 10, at most 100)
  --samples N     single remote changes timed from the remote's watch to main's (default 100)
  --burst N       remote slices changed at once for the burst row (default 200)
  --idle SECONDS  the idle window for CPU and API requests (default 60)
  --keep          leave the clusters running (state in $BENCH_STATE)

Environment: SVCLINK_PORT_BASE (the clusters' ports), BENCH_BIN (default bin/svclink),
BENCH_STATE (default .state/bench).
The 100,000-endpoint size: --links 10 --services 1000 --endpoints 10.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
links=2 services=1000 endpoints=10 samples=100 burst=200 idle=60 keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --links) links=$2; shift 2 ;;
    --services) services=$2; shift 2 ;;
    --endpoints) endpoints=$2; shift 2 ;;
    --samples) samples=$2; shift 2 ;;
    --burst) burst=$2; shift 2 ;;
    --idle) idle=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done
for v in "$links" "$services" "$endpoints" "$samples" "$burst" "$idle"; do
  [[ $v =~ ^[1-9][0-9]*$ ]] || { echo "bench: every size must be a positive integer (got '$v')" >&2; exit 2; }
done
[ "$endpoints" -le 100 ] || { echo "bench: --endpoints at most 100" >&2; exit 2; }
# Link L's changed addresses are 10.(200+L).x.y, the burst's 10.250.x.y.
[ "$links" -le 40 ] || { echo "bench: --links at most 40" >&2; exit 2; }
[ "$burst" -le "$services" ] || burst=$services
[ "$samples" -le "$services" ] || samples=$services

bin=${BENCH_BIN:-$repo/bin/svclink}
export SVCLINK_STATE=${BENCH_STATE:-$repo/.state/bench}
state=$SVCLINK_STATE/clusters
# Under the state directory rather than /tmp: a long run's files must outlive tmp cleaners.
mkdir -p "$SVCLINK_STATE"
work=$(mktemp -d "$SVCLINK_STATE/work.XXXXXX")
pid="" watchers=()
log() { printf '[bench] %s\n' "$*" >&2; }
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  for w in "${watchers[@]}"; do kill "$w" 2>/dev/null || true; done
  if [ "$keep" = 0 ]; then
    log "stopping the bench clusters"
    "$here/clusters.sh" down --purge >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "clusters: main, cluster-a, cluster-b (state $SVCLINK_STATE)"
"$here/clusters.sh" up main cluster-a cluster-b >"$work/up.log" 2>&1 || { tail -n 20 "$work/up.log" >&2; exit 1; }
kubectl="$(cat "$state/bin-dir")/kubectl"
k() { "$kubectl" --kubeconfig "$state/$1/kubeconfig" "${@:2}"; }
remote_of() { if [ $(($1 % 2)) = 0 ]; then echo cluster-a; else echo cluster-b; fi; }
ns_of() { printf 'bench-%02d' "$1"; }

k main apply -f "$repo/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null
k main wait --for condition=established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s >/dev/null

# objects FILE NS SLICES(0|1) LINK [VARIANT]: the link's Services, with SLICES=1 one
# EndpointSlice of $endpoints each; VARIANT shifts the last address octet (a change).
objects() {
  python3 - "$@" "$services" "$endpoints" <<'PY'
import json, sys
out, ns, slices, link, variant, n, e = sys.argv[1], sys.argv[2], sys.argv[3] == "1", int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
items = []
for i in range(n):
    name = "s%05d" % i
    items.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns},
                  "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    if slices:
        # 10.(link).(i/256*...): unique per link and Service; variant moves the last endpoint.
        base = i * e
        eps = [{"addresses": ["10.%d.%d.%d" % (100 + link, (base + j) // 250 % 250, (base + j) % 250 + 1)],
                "conditions": {"ready": True}} for j in range(e)]
        if variant:
            eps[-1]["addresses"] = ["10.%d.%d.%d" % (200 + link, variant // 250 % 250, variant % 250 + 1)]
        items.append({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                      "metadata": {"name": name + "-x", "namespace": ns,
                                   "labels": {"kubernetes.io/service-name": name,
                                              "endpointslice.kubernetes.io/managed-by": "bench"}},
                      "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
                      "endpoints": eps})
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(out, "w"))
PY
}

log "creating $links x $services Services x $endpoints endpoints (remote) and the Services in main"
for ((l = 0; l < links; l++)); do
  ns=$(ns_of "$l") r=$(remote_of "$l")
  for c in main "$r"; do k "$c" create namespace "$ns" --dry-run=client -o yaml | k "$c" apply -f - >/dev/null; done
  objects "$work/main-$l.json" "$ns" 0 "$l" 0
  objects "$work/remote-$l.json" "$ns" 1 "$l" 0
  # Each link's objects go in parallel with the next link's (the API servers, not kubectl, bound it).
  k main apply --server-side -f "$work/main-$l.json" >/dev/null &
  k "$r" apply --server-side -f "$work/remote-$l.json" >/dev/null &
  k main apply -f - >/dev/null <<EOF
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: bench-$l}
spec:
  includedNamespaces: [$ns]
  kubeconfig: $(base64 -w0 "$state/$r/kubeconfig")
EOF
done
wait

# A kubectl watch per cluster: every event stamped with this machine's clock on arrival.
# Lines: EPOCH NAMESPACE NAME ADDRESS...
watch() {
  local cluster=$1 out=$2 sel=$3
  # kubectl itself is the background job (its pid is what cleanup stops).
  "$kubectl" --kubeconfig "$state/$cluster/kubeconfig" get endpointslices -A -l "$sel" --watch-only \
    -o jsonpath='{.metadata.namespace} {.metadata.name} {.endpoints[*].addresses[0]}{"\n"}' \
    > >(while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done >"$out") &
  watchers+=($!)
}
watch main "$work/main.watch" endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
watch cluster-a "$work/a.watch" endpointslice.kubernetes.io/managed-by=bench
watch cluster-b "$work/b.watch" endpointslice.kubernetes.io/managed-by=bench
sleep 2

start_svclink() {
  "$bin" --kubeconfig "$state/main/kubeconfig" --http-address 127.0.0.1:0 >"$1" 2>&1 &
  pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    http=$(sed -n 's/.*serving \/healthz.* address=\([0-9.:]*\).*/\1/p' "$1" | head -n 1)
    [ -n "$http" ] && return 0
    sleep 0.1
  done
  log "svclink did not start: $(tail -n 3 "$1")"; exit 1
}
metric_sum() { curl -s -m 5 "http://$http/metrics" | awk -v m="$1" -v f="${2:-}" 'index($0, m) == 1 && (f == "" || index($0, f)) { s += $NF } END { printf "%d\n", s }'; }
wanted=$((links * services))
slices_written() { awk '{ print $2 "/" $3 }' "$work/main.watch" | sort -u | wc -l; }

log "starting svclink; waiting for $wanted slices in main"
t0=$EPOCHREALTIME
start_svclink "$work/svclink.log"
deadline=$((SECONDS + 600))
until [ "$(slices_written)" -ge "$wanted" ]; do
  [ "$SECONDS" -lt "$deadline" ] || { log "only $(slices_written) of $wanted slices after 600 s"; exit 1; }
  sleep 0.5
done
t_conv=$(awk -v t0="$t0" 'END { printf "%.1f", $1 - t0 }' "$work/main.watch")
sleep 3
writes_conv=$(metric_sum svclink_writes_total) slice_writes_conv=$(metric_sum svclink_writes_total 'kind="EndpointSlice"')

# Propagation: one remote slice changed at a time; remote watch event -> main watch event.
log "propagation: $samples single changes"
for ((j = 1; j <= samples; j++)); do
  l=$(((j - 1) % links)) i=$((((j - 1) / links) * 7 % services))
  addr="10.$((200 + l)).$((j / 250 % 250)).$((j % 250 + 1))"
  k "$(remote_of "$l")" -n "$(ns_of "$l")" patch endpointslice "$(printf 's%05d-x' "$i")" --type json \
    -p "[{\"op\":\"replace\",\"path\":\"/endpoints/$((endpoints - 1))/addresses/0\",\"value\":\"$addr\"}]" >/dev/null
  echo "$addr" >>"$work/sample-addrs"
  sleep 0.1
done
sleep 3
prop=$(python3 - "$work/sample-addrs" "$work/main.watch" "$work/a.watch" "$work/b.watch" <<'PY'
import sys
addrs = [a.strip() for a in open(sys.argv[1]) if a.strip()]
def first_seen(path):
    seen = {}
    for line in open(path):
        parts = line.split()
        for a in parts[3:]:
            seen.setdefault(a, float(parts[0]))
    return seen
main = first_seen(sys.argv[2])
remote = first_seen(sys.argv[3]); remote.update({k: v for k, v in first_seen(sys.argv[4]).items() if k not in remote})
d = sorted((main[a] - remote[a]) * 1000 for a in addrs if a in main and a in remote)
if not d: print("- - - 0"); sys.exit()
pick = lambda q: d[min(len(d) - 1, int(q * len(d)))]
print("%.0f %.0f %.0f %d" % (pick(0.5), pick(0.9), pick(0.99), len(d)))
PY
)
read -r p50 p90 p99 pn <<<"$prop"

# Idle: memory, CPU and API requests over the window, both sides.
log "idle window: ${idle} s"
apis() { k "$1" get --raw /metrics | awk '/^apiserver_request_total\{/ && /resource="(endpointslices|services|clusterlinks|leases|secrets)"/ { s += $NF } END { printf "%d\n", s }'; }
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
tck=$(getconf CLK_TCK)
c0=$(cpu) m0=$(metric_sum svclink_api_requests_total 'cluster="main"') a0=$(metric_sum svclink_api_requests_total)
s0=$(apis main) r0=$(( $(apis cluster-a) + $(apis cluster-b) ))
sleep "$idle"
c1=$(cpu) m1=$(metric_sum svclink_api_requests_total 'cluster="main"') a1=$(metric_sum svclink_api_requests_total)
s1=$(apis main) r1=$(( $(apis cluster-a) + $(apis cluster-b) ))
rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
hwm=$(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
cpu_idle=$(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN { printf "%.2f", (b - a) / t }')
req_main=$((m1 - m0)) req_remote=$((a1 - a0 - (m1 - m0)))
srv_main=$((s1 - s0)) srv_remote=$((r1 - r0))

# A burst: $burst remote slices of link 0 changed in one apply.
log "burst: $burst slices changed at once"
w0=$(metric_sum svclink_writes_total)
python3 - "$work/remote-0.json" "$work/burst.json" "$burst" "$endpoints" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1])); n = int(sys.argv[3]); e = int(sys.argv[4])
items = [it for it in doc["items"] if it["kind"] == "EndpointSlice"][:n]
for j, it in enumerate(items):
    it["endpoints"][e - 1]["addresses"] = ["10.250.%d.%d" % (j // 250 % 250, j % 250 + 1)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[2], "w"))
PY
k "$(remote_of 0)" apply --server-side --force-conflicts -f "$work/burst.json" >/dev/null
burst_done() { [ "$(grep -c ' 10\.250\.' "$work/main.watch")" -ge "$burst" ]; }
deadline=$((SECONDS + 120))
until burst_done; do [ "$SECONDS" -lt "$deadline" ] || break; sleep 0.5; done
sleep 3
writes_burst=$(($(metric_sum svclink_writes_total) - w0))

# Restart: a fresh process over the converged state.
log "restart"
kill -TERM "$pid"; wait "$pid" || true; pid=""
start_svclink "$work/svclink2.log"
connected() { [ "$(metric_sum svclink_link_connected)" -ge "$links" ]; }
deadline=$((SECONDS + 300))
until connected; do [ "$SECONDS" -lt "$deadline" ] || { log "links not connected after the restart"; break; }; sleep 0.5; done
sleep 10
writes_restart=$(metric_sum svclink_writes_total)
# Which writes a restart made, as kind/verb=count (none is the goal).
restart_kinds=$(curl -s -m 5 "http://$http/metrics" |
  sed -n 's/^svclink_writes_total{\(.*\)} \([0-9]*\)$/\1 \2/p' | tr -d '"' | awk '$2 != 0 { printf "%s%s %s", sep, $1, $2; sep = ", " }')
load=$(cut -d' ' -f1-3 /proc/loadavg)

eps=$((wanted * endpoints))
printf '\n'
printf '| svclink %s, %d links x %d Services x %d endpoints = %d endpoints | value |\n' "$("$bin" --version | awk '{ print $2 }')" "$links" "$services" "$endpoints" "$eps"
printf '| --- | --- |\n'
printf '| initial convergence (svclink start -> last slice seen by a watch on main) | %s s, %d writes (%d EndpointSlice) |\n' "$t_conv" "$writes_conv" "$slice_writes_conv"
printf '| propagation, remote watch event -> main watch event (%d changes) | p50 %s ms, p90 %s ms, p99 %s ms |\n' "$pn" "$p50" "$p90" "$p99"
printf '| idle resident memory / high-water mark | %s MiB / %s MiB |\n' "$rss" "$hwm"
printf '| CPU over %d idle seconds | %s s |\n' "$idle" "$cpu_idle"
printf '| API requests over %d idle seconds, counted by svclink | main %d, remotes %d |\n' "$idle" "$req_main" "$req_remote"
printf '| API requests over %d idle seconds, apiserver_request_total (services, endpointslices, clusterlinks, leases, secrets; all clients) | main %d, remotes %d |\n' "$idle" "$srv_main" "$srv_remote"
printf '| writes for a burst of %d remote slice changes | %d |\n' "$burst" "$writes_burst"
printf '| writes after a restart (10 s after every link is connected) | %d %s|\n' "$writes_restart" "${restart_kinds:+($restart_kinds) }"
printf '| machine load average at the end (1, 5, 15 min; %d cores) | %s |\n' "$(nproc)" "$load"
