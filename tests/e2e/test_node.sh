#!/usr/bin/env bash
# The shipped image as pods on a real node: hack/node.sh brings a kubelet with containerd up
# on the main cluster, `make image-tar`'s archive is imported as it is, `kubectl apply -k
# manifests/` runs two replicas under the kubelet, and the checks read what the kernel says
# (cgroup limit, uid, read-only root), the Lease, `kubectl logs`, a ClusterLink syncing from
# cluster-a and a leader hand-over. Then the node goes down and the host must be as before.
# Root only (elsewhere one SKIP line). Needs E2E_ROOT, E2E_STATE, E2E_KUBECTL (tests/run.sh).
# shellcheck disable=SC2317,SC2015 # functions run through e2e_wait look unreachable; A && pass || fail
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=load_lib.sh
source "$E2E_ROOT/tests/e2e/load_lib.sh"
cd "$E2E_ROOT" || exit 1

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP test_node: a real node needs root (containerd, cgroups, a bridge, nftables)"
  exit 0
fi

node() { SVCLINK_STATE=$(dirname "$E2E_STATE") "$E2E_ROOT/hack/node.sh" "$@"; }
km() { e2e_kubectl main "$@"; }
ka() { e2e_kubectl cluster-a "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
one_line() { tr '\n' ' ' <<<"$1" | tr -s ' ' | cut -c1-600; }

T_START=$SECONDS
# mark WHAT: one line with the seconds since the start, where the time goes.
mark() { echo "# +$((SECONDS - T_START)) s: $1"; }
tag=$(awk -F' *:= *' '$1 == "VERSION_BASE" { print $2; exit }' Makefile)
archive=build/svclink-$tag-amd64.tar
# The name the archive carries and the manifests run (docs/operations.md#the-image-name).
image_name=localhost/svclink:$tag
work=$(mktemp -d)
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns=node-$sfx
link=node-$sfx
NODE=main-real
NODE_DIR=$E2E_STATE/main/node
SYSCTL_WATCH=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
CORDONED=()   # kwok nodes this test cordoned
CREATED=()    # "KIND|NS|NAME" of the manifests' objects that did not exist before
NODE_UP=0
BIG_NS=big-$sfx BIG_LOADED=0
mapfile -t BIG_LINKS < <(e2e_big_links "$sfx")
# The peak a pod may reach under the shipped limit at 100,000 endpoints (KiB): room to spare.
BIG_PEAK_KIB=${E2E_NODE_PEAK_KIB:-14336}
link_gone() { ! km get clusterlink "$link" >/dev/null 2>&1; }
# node_procs: PIDs whose command line names the node's directory (containerd, the kubelet,
# the shims). Read in bash: a grep for the path would find its own command line.
node_procs() {
  local f args
  for f in /proc/[0-9]*/cmdline; do
    # mapfile splits on NUL without a fork per process (hundreds of them).
    mapfile -d '' args 2>/dev/null <"$f" || continue
    [[ " ${args[*]-} " == *"$NODE_DIR/"* ]] && { f=${f#/proc/}; printf '%s ' "${f%/cmdline}"; }
  done
  return 0
}

# --- the host before ---------------------------------------------------------------------------
# host_state: what a node may change on this machine, one fact per line.
host_state() {
  echo "links: $(ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\n' ' ')"
  echo "nft tables: $(nft list tables 2>/dev/null | sort | tr '\n' ' ')"
  echo "iptables KUBE lines: $(iptables-save 2>/dev/null | grep -c KUBE) / ip6tables: $(ip6tables-save 2>/dev/null | grep -c KUBE)"
  echo "mounts: $(findmnt -rn -o TARGET | grep -E "^($E2E_STATE|/var/lib/kubelet|/run/containerd|/var/lib/cni)" | sort | tr '\n' ' ')"
  local s p
  for s in "${SYSCTL_WATCH[@]}"; do echo "sysctl $s=$(sysctl -n "$s")"; done
  for p in /var/lib/kubelet /var/log/containers /var/log/pods /var/lib/cni /run/containerd /usr/libexec/kubernetes; do
    echo "path $p: $([ -e "$p" ] && echo present || echo absent)"
  done
  echo "cgroups: $(ls -d /sys/fs/cgroup/*/svclink-node-* 2>/dev/null | tr '\n' ' ')"
}
host_state >"$work/host.before"

cleanup() {
  local o kind n name
  [ "$BIG_LOADED" = 1 ] && e2e_big_cleanup "$BIG_NS" "${BIG_LINKS[@]}"
  # svclink removes the link's finalizer while it runs; past that, the test does.
  if ! link_gone; then
    km delete clusterlink "$link" --wait=false >/dev/null 2>&1
    e2e_wait 20 link_gone || km patch clusterlink "$link" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  fi
  for ((n = ${#CREATED[@]} - 1; n >= 0; n--)); do
    IFS='|' read -r kind o name <<<"${CREATED[n]}"
    km ${o:+-n "$o"} delete "$kind" "$name" --ignore-not-found --wait=false >/dev/null 2>&1
  done
  # A CRD this test created is waited for: applied again by a later suite while it still
  # terminates, it would refuse every ClusterLink.
  if [[ " ${CREATED[*]} " == *" CustomResourceDefinition."* ]]; then
    e2e_wait 60 eval '! km get crd clusterlinks.svclink.cloudpilot.ai >/dev/null 2>&1' ||
      echo "# the ClusterLink CRD is still terminating 60 s after this test deleted it"
  fi
  km delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
  ka delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1
  [ "$NODE_UP" = 1 ] && node down main >>"$work/node-down.log" 2>&1
  for n in "${CORDONED[@]}"; do km uncordon "$n" >/dev/null 2>&1; done
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the node ----------------------------------------------------------------------------------
mark "node"
# The harness's kwok nodes would take the replicas: cordoned while this runs, so the one
# real node is the only place to schedule.
while read -r n unsched; do
  [ -n "$n" ] && [ "$unsched" != true ] && km cordon "$n" >/dev/null && CORDONED+=("$n")
done < <(km get nodes -l svclink.test/fake-node=true -o jsonpath='{range .items[*]}{.metadata.name} {.spec.unschedulable}{"\n"}{end}')

t0=$(now)
NODE_UP=1
if node up main "$NODE" >"$work/node-up.log" 2>&1; then
  up_s=$(since "$t0")
  # NODE_IP, NODE_CGROUP_ROOT, NODE_READY_SECONDS, ...
  # shellcheck disable=SC1090
  source <(node env main)
  ready_s=${NODE_READY_SECONDS:-?}
  if [ "$(km get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]; then
    e2e_pass "node-ready (${ready_s} s from kubelet start to Ready; node up in ${up_s} s with containerd and the sandbox image)"
  else
    e2e_fail node-ready "node up returned but $NODE is not Ready"
  fi
else
  e2e_fail node-ready "hack/node.sh up failed: $(one_line "$(tail -n 15 "$work/node-up.log")")"
  e2e_finish
fi
# The kubelet's kernel tunables are put back once it is Ready.
sysctls_now=$(for s in "${SYSCTL_WATCH[@]}"; do echo "sysctl $s=$(sysctl -n "$s")"; done)
if [ "$sysctls_now" = "$(grep '^sysctl ' "$work/host.before")" ]; then
  e2e_pass node-sysctls-restored-when-ready
else
  e2e_fail node-sysctls-restored-when-ready "$(one_line "$(diff <(grep '^sysctl ' "$work/host.before") <(echo "$sysctls_now"))")"
fi

# --- the image, imported as make image-tar wrote it -----------------------------------------------
mark "image"
if [ ! -f "$archive" ] || [ bin/svclink -nt "$archive" ]; then
  make -s image-tar >"$work/image-tar.log" 2>&1 || { e2e_fail node-image-import "make image-tar: $(tail -n 3 "$work/image-tar.log")"; e2e_finish; }
fi
t0=$(now)
if out=$(node ctr main images import "$archive" 2>&1); then
  import_s=$(since "$t0")
  # Exactly one name for it, the one the manifests use: nothing renamed it on the way.
  names=$(node ctr main images ls -q 2>/dev/null | grep "svclink:$tag$" | tr '\n' ' ')
  if [ "$names" = "$image_name " ]; then
    e2e_pass "node-image-import (${import_s} s, $(stat -c %s "$archive") bytes, as $names)"
  else
    e2e_fail node-image-import "imported, but named '$names', not $image_name: $(one_line "$(node ctr main images ls -q)")"
  fi
else
  e2e_fail node-image-import "$(one_line "$out")"
fi
# imagePullPolicy Never: the kubelet finds the imported image by that name or refuses the
# pod (ErrImageNeverPull); `svclink --version` runs and the pod succeeds.
km create namespace "$ns" >/dev/null
km apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: never-pull, namespace: $ns}
spec:
  nodeName: $NODE
  restartPolicy: Never
  containers: [{name: svclink, image: "$image_name", imagePullPolicy: Never, args: [--version]}]
EOF
never_phase() { km -n "$ns" get pod never-pull -o jsonpath='{.status.phase}'; }
never_done() { [[ $(never_phase) == Succeeded || $(never_phase) == Failed ]]; }
e2e_wait 60 never_done
never=$(km -n "$ns" get pod never-pull -o jsonpath='{.status.phase} {.status.containerStatuses[0].image}')
never_log=$(km -n "$ns" logs never-pull 2>&1 | head -n 1)
if [ "$never" = "Succeeded $image_name" ] && [[ $never_log == *"$tag"* ]]; then
  e2e_pass "node-image-pull-never ($image_name started with imagePullPolicy Never: $never_log)"
else
  e2e_fail node-image-pull-never "phase and image: '$never'; $(one_line "$(km -n "$ns" get events --field-selector involvedObject.name=never-pull 2>&1 | tail -n 4)")"
fi
km -n "$ns" delete pod never-pull --wait=false >/dev/null 2>&1

# --- the shipped manifests ---------------------------------------------------------------------
mark "manifests"
# One listing of what exists already (cleanup deletes only the rest: a cluster that had
# svclink installed keeps it).
# (get answers with a List, a client-side dry run prints each object on its own).
object='{.apiVersion}|{.kind}|{.metadata.namespace}|{.metadata.name}{"\n"}'
existing=$(km get -k manifests/ --ignore-not-found -o jsonpath="{range .items[*]}$object{end}" 2>/dev/null)
while IFS='|' read -r av kind o name; do
  [ -n "$kind" ] || continue
  grep -qxF -- "$av|$kind|$o|$name" <<<"$existing" && continue
  case $av in */*) kind=$kind.${av#*/}.${av%/*} ;; esac
  CREATED+=("$kind|$o|$name")
done < <(km create --dry-run=client -k manifests/ -o jsonpath="$object" 2>/dev/null)
t0=$(now)
if ! out=$(km apply -k manifests/ 2>&1); then
  e2e_fail node-manifests-apply "$(one_line "$out")"
  e2e_finish
fi
pods_ready() {
  [ "$(km -n cloudpilot get deploy svclink -o jsonpath='{.status.readyReplicas}')" = 2 ]
}
if e2e_wait 120 pods_ready; then
  e2e_pass "node-pods-ready (2/2 Ready $(since "$t0") s after kubectl apply -k manifests/)"
else
  e2e_fail node-pods-ready "$(one_line "$(km -n cloudpilot get pods -o wide 2>&1; km -n cloudpilot get events --sort-by=.lastTimestamp 2>&1 | tail -n 8)")"
  e2e_finish
fi
mapfile -t PODS < <(km -n cloudpilot get pods -l app.kubernetes.io/name=svclink \
  --field-selector status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
on_node=$(km -n cloudpilot get pods -l app.kubernetes.io/name=svclink -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | tr '\n' ' ')
[ "$on_node" = "$NODE " ] && e2e_pass "node-pods-on-the-real-node (${PODS[*]})" || e2e_fail node-pods-on-the-real-node "nodes: $on_node"
# The manifests as they are (imagePullPolicy IfNotPresent) ran the imported image.
run_images=$(km -n cloudpilot get pods -l app.kubernetes.io/name=svclink -o jsonpath='{range .items[*]}{.spec.containers[0].imagePullPolicy} {.status.containerStatuses[0].image}{"\n"}{end}' | sort -u | tr '\n' ' ')
[ "$run_images" = "IfNotPresent $image_name " ] && e2e_pass "node-pods-run-the-imported-image ($run_images)" ||
  e2e_fail node-pods-run-the-imported-image "pull policy and image: $run_images"

# pod_pid POD: the host PID of the pod's svclink container (its containerd task).
pod_pid() {
  local id
  id=$(km -n cloudpilot get pod "$1" -o jsonpath='{.status.containerStatuses[0].containerID}')
  id=${id#containerd://}
  [ -n "$id" ] && node ctr main tasks ls 2>/dev/null | awk -v id="$id" '$1 == id { print $2 }'
}
pod_ip() { km -n cloudpilot get pod "$1" -o jsonpath='{.status.podIP}'; }

# --- what the kernel says about the container ---------------------------------------------------
mark "kernel checks"
# bytes QUANTITY: a Kubernetes memory quantity (plain, Ki/Mi/Gi, k/M/G) in bytes.
bytes() {
  local q=$1
  case $q in
    *Ki) echo $((${q%Ki} * 1024)) ;; *Mi) echo $((${q%Mi} * 1048576)) ;; *Gi) echo $((${q%Gi} * 1073741824)) ;;
    *k) echo $((${q%k} * 1000)) ;; *M) echo $((${q%M} * 1000000)) ;; *G) echo $((${q%G} * 1000000000)) ;;
    *) echo "$q" ;;
  esac
}
want_limit=$(bytes "$(km -n cloudpilot get deploy svclink -o jsonpath='{.spec.template.spec.containers[0].resources.limits.memory}')")
for pod in "${PODS[@]}"; do
  pid=$(pod_pid "$pod")
  if [ -z "$pid" ] || [ ! -r "/proc/$pid/status" ]; then
    e2e_fail "node-container-$pod" "no running task for its container (pid '$pid')"
    continue
  fi
  cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$pid/cgroup")
  limit=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>/dev/null)
  if [ "$limit" = "$want_limit" ] && [[ $cg == "$NODE_CGROUP_ROOT/"* ]]; then
    e2e_pass "node-memory-limit-$pod (memory.limit_in_bytes $limit in $cg)"
  else
    e2e_fail "node-memory-limit-$pod" "cgroup $cg: limit '$limit', manifest says $want_limit"
  fi
  uid=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$pid/status")
  [ "$uid" = "65532 65532 65532 65532" ] && e2e_pass "node-uid-65532-$pod" || e2e_fail "node-uid-65532-$pod" "Uid: $uid"
  rootopts=$(awk '$5 == "/" { print $6 }' "/proc/$pid/mountinfo" | tail -n 1)
  [[ $rootopts == ro || $rootopts == ro,* ]] && e2e_pass "node-read-only-root-$pod ($rootopts)" ||
    e2e_fail "node-read-only-root-$pod" "root mounted $rootopts"
done

# --- leader election, logs ---------------------------------------------------------------------
mark "leader, logs"
# holder: the pod whose replica holds the Lease (svclink's identity is POD_NAME_RANDOM).
lease_holder() { local h; h=$(km -n cloudpilot get lease svclink -o jsonpath='{.spec.holderIdentity}' 2>/dev/null); echo "${h%_*}"; }
# leading POD: the pod's own /leader answer (from the host, over the pod network).
leading() { curl -s --noproxy '*' -m 3 "http://$(pod_ip "$1"):8080/leader" | grep -q '"leading":true'; }
one_leader() {
  local p n=0
  for p in "${PODS[@]}"; do leading "$p" && n=$((n + 1)); done
  [ "$n" = 1 ] && [[ " ${PODS[*]} " == *" $(lease_holder) "* ]]
}
if e2e_wait 30 one_leader; then
  LEADER=$(lease_holder)
  e2e_pass "node-one-leader ($LEADER holds the Lease and is the only one leading)"
else
  e2e_fail node-one-leader "lease holder '$(lease_holder)'; $(for p in "${PODS[@]}"; do printf '%s: %s ' "$p" "$(curl -s -m 3 "http://$(pod_ip "$p"):8080/leader")"; done)"
  LEADER=${PODS[0]}
fi
logs=$(km -n cloudpilot logs "$LEADER" --tail 20 2>&1)
if grep -q '^{' <<<"$logs"; then
  e2e_pass "node-kubectl-logs ($(grep -c '^{' <<<"$logs") JSON lines of the last 20)"
else
  e2e_fail node-kubectl-logs "$(one_line "$logs")"
fi

# --- a ClusterLink to cluster-a: the pods sync its Service into main -----------------------------
mark "link"
# From a pod, cluster-a's API server is at the node's address (hack/node.sh forwards every
# harness cluster's API port there); its certificate is checked by name (the -dns context).
# pod_kubeconfig CLUSTER: its admin kubeconfig as a pod uses it, into $work/CLUSTER.kubeconfig.
pod_kubeconfig() {
  local port
  port=$(sed -n 's/^API_PORT=//p' "$E2E_STATE/$1/cluster.env")
  sed -e "s#server: https://127.0.0.1:$port#server: https://$NODE_IP:$port#" \
    -e "s/^current-context: .*/current-context: $1-dns/" "$E2E_STATE/$1/kubeconfig" >"$work/$1.kubeconfig"
}
pod_kubeconfig cluster-a
ka create namespace "$ns" >/dev/null
t0=$(now)
e2e_web_link "$ns" "$link" "$work/cluster-a.kubeconfig"
if e2e_wait 60 e2e_web_is_synced "$ns"; then
  e2e_pass "node-link-syncs-cluster-a ($(since "$t0") s from creating the Services and the link to main's slices)"
else
  e2e_fail node-link-syncs-cluster-a "main has '$(e2e_web_synced "$ns")'; link status: $(one_line "$(km get clusterlink "$link" -o jsonpath='{.status}')"); leader log: $(one_line "$(km -n cloudpilot logs "$LEADER" --tail 5 2>&1)")"
fi

# --- the leader pod deleted: the other replica takes over within the lease ---------------------
mark "hand-over"
FOLLOWER=""
for p in "${PODS[@]}"; do [ "$p" != "$LEADER" ] && FOLLOWER=$p; done
holder_is() { [ "$(lease_holder)" = "$1" ]; }
t0=$(now)
km -n cloudpilot delete pod "$LEADER" --wait=false >/dev/null
if [ -n "$FOLLOWER" ] && e2e_wait 30 holder_is "$FOLLOWER"; then
  took=$(since "$t0")
  lease_s=15
  if awk -v t="$took" -v l="$lease_s" 'BEGIN { exit !(t <= l) }'; then
    e2e_pass "node-leader-hand-over ($FOLLOWER leads ${took} s after the leader pod was deleted; lease ${lease_s} s)"
  else
    e2e_fail node-leader-hand-over "took ${took} s, longer than the ${lease_s} s lease"
  fi
else
  e2e_fail node-leader-hand-over "holder is '$(lease_holder)', not the follower '$FOLLOWER'"
fi
# The new leader keeps the synced slices (and writes nothing new for them).
e2e_wait 20 leading "$FOLLOWER" && e2e_web_is_synced "$ns" && e2e_pass node-new-leader-keeps-slices ||
  e2e_fail node-new-leader-keeps-slices "main has '$(e2e_web_synced "$ns")'"

# --- 100,000 endpoints under the shipped memory limit --------------------------------------------
# 10 links (five to each remote) x 1,000 Services x 10 endpoints, as test_mem16 runs svclink
# in a cgroup of its own; here the kubelet enforces the Deployment's limit on both replicas.
# Then both remotes' API servers restart, so every link lists again.
mark "100,000 endpoints"
# Both replicas, the one that replaced the deleted leader included.
e2e_wait 60 pods_ready || e2e_fail node-big-two-replicas "$(one_line "$(km -n cloudpilot get pods -o wide 2>&1)")"
mapfile -t PODS < <(km -n cloudpilot get pods -l app.kubernetes.io/name=svclink \
  --field-selector status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}')
pod_kubeconfig cluster-b
BIG_LOADED=1
t0=$(now)
if e2e_big_load "$BIG_NS" 1000 "$work"; then
  echo "# the load: $(since "$t0") s for 1,000 Services in each cluster and 1,000 slices in each remote"
else
  e2e_fail node-big-load "a kubectl create failed"
fi
t0=$(now)
e2e_big_apply_links "$BIG_NS" "$work/cluster-a.kubeconfig" "$work/cluster-b.kubeconfig" "${BIG_LINKS[@]}"
# big_phase WHAT SECS: every link synced and main's endpoints exact.
big_phase() {
  local eps
  if e2e_wait "$2" e2e_big_synced 1000 "${BIG_LINKS[@]}"; then
    e2e_pass "node-big-$1-links-synced (10 links x 1,000 Services x 10 endpoints, $(since "$t0") s)"
  else
    e2e_fail "node-big-$1-links-synced" "$(e2e_big_counts "${BIG_LINKS[@]}" | sort | uniq -c | tr '\n' ';')"
  fi
  eps=$(e2e_big_endpoints "$BIG_NS")
  [ "$eps" = 100000 ] && e2e_pass "node-big-$1-endpoints-exact ($eps endpoints in main)" ||
    e2e_fail "node-big-$1-endpoints-exact" "$eps endpoints in main, wanted 100000"
}
big_phase initial 300
# pod_lists POD: the remote LISTs the pod's replica has made for this phase's links.
pod_lists() {
  curl -s --noproxy '*' -m 3 "http://$(pod_ip "$1"):8080/metrics" |
    awk -v sfx="-$sfx\"" 'index($0, "svclink_lists_total{") == 1 && index($0, sfx) { n += $NF } END { print n + 0 }'
}
all_lists() { local p n=0; for p in "${PODS[@]}"; do n=$((n + $(pod_lists "$p"))); done; echo "$n"; }
[ "${#PODS[@]}" = 2 ] && e2e_pass "node-big-two-replicas (${PODS[*]})" || e2e_fail node-big-two-replicas "running: ${PODS[*]}"
lists0=$(all_lists)
t0=$(now)
e2e_big_relist "$work/relist.log" || e2e_fail node-big-apiservers-restarted "$(one_line "$(tail -n 3 "$work/relist.log")")"
# Each replica's links list Services and EndpointSlices again at least.
relisted() { [ "$(all_lists)" -ge $((lists0 + 2 * ${#BIG_LINKS[@]})) ]; }
e2e_wait 120 relisted && e2e_pass "node-big-relisted (remote LISTs of both replicas $lists0 -> $(all_lists))" ||
  e2e_fail node-big-relisted "remote LISTs $lists0 -> $(all_lists)"
big_phase relist 180
# Both replicas: never restarted or killed, and their cgroup's peak with room to spare.
for pod in "${PODS[@]}"; do
  state=$(km -n cloudpilot get pod "$pod" -o jsonpath='{.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].lastState.terminated.reason}')
  [ "$state" = "0 " ] && e2e_pass "node-big-no-restart-$pod (restartCount 0)" ||
    e2e_fail "node-big-no-restart-$pod" "restartCount and last termination: $state"
  pid=$(pod_pid "$pod")
  cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' "/proc/$pid/cgroup" 2>/dev/null)
  peak=$(cat "/sys/fs/cgroup/memory$cg/memory.max_usage_in_bytes" 2>/dev/null)
  limit=$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>/dev/null)
  echo "# $pod: cgroup peak ${peak:-?} bytes ($((${peak:-0} / 1024)) KiB) under a limit of ${limit:-?}"
  if [ -n "$peak" ] && [ $((peak / 1024)) -le "$BIG_PEAK_KIB" ]; then
    e2e_pass "node-big-peak-$pod ($((peak / 1024)) KiB at most, under the shipped limit of $((limit / 1048576)) MiB; $BIG_PEAK_KIB KiB allowed)"
  else
    e2e_fail "node-big-peak-$pod" "cgroup peak '${peak:-?}' bytes in '$cg', more than $BIG_PEAK_KIB KiB"
  fi
done
e2e_big_cleanup "$BIG_NS" "${BIG_LINKS[@]}"
BIG_LOADED=0

# --- down: the host as it was --------------------------------------------------------------------
mark "down"
km delete clusterlink "$link" --wait=false >/dev/null 2>&1
e2e_wait 30 link_gone || e2e_fail node-link-deleted "the ClusterLink kept its finalizer for 30 s"
# The replicas are stopped by scaling to 0: the ReplicaSet controller deletes the pods at
# once and the kubelet confirms each deletion once its containers are gone. Deleting the
# Deployment instead hands its ReplicaSet and pods to the garbage collector, shared with
# every suite before this one: after test_mem16 it once spent 154 s on that suite's orphaned
# EndpointSlices before it reached them. The Deployment is deleted once they are stopped.
t0=$(now)
km -n cloudpilot scale deploy svclink --replicas 0 >/dev/null
# pods_stopped: no svclink pod in the API and no container task left on the node.
pods_stopped() {
  local pods
  pods=$(km -n cloudpilot get pods -l app.kubernetes.io/name=svclink -o name) && [ -z "$pods" ] &&
    [ -z "$(node ctr main tasks ls -q 2>/dev/null)" ]
}
if e2e_wait 60 pods_stopped; then
  e2e_pass "node-pods-stopped (no pod and no container left $(since "$t0") s after scaling to 0)"
else
  e2e_fail node-pods-stopped "$(one_line "$(km -n cloudpilot get pods 2>&1; node ctr main tasks ls 2>&1)")"
fi
km -n cloudpilot delete deploy svclink --wait=false >/dev/null 2>&1
mark "node down"
# Every process of the node, recorded before: containerd, the kubelet, the shims.
node_pids=$(node_procs)
t0=$(now)
if node down main >"$work/node-down.log" 2>&1; then
  NODE_UP=0
  e2e_pass "node-down ($(since "$t0") s)"
else
  e2e_fail node-down "$(one_line "$(tail -n 10 "$work/node-down.log")")"
fi
mark "host checks"
host_state >"$work/host.after"
if diff "$work/host.before" "$work/host.after" >"$work/host.diff"; then
  e2e_pass "node-host-as-before (links, nft tables, iptables KUBE chains, mounts, sysctls, fixed paths, cgroups)"
else
  e2e_fail node-host-as-before "$(one_line "$(cat "$work/host.diff")")"
fi
left=$(node_procs)
if [ -z "${left// /}" ]; then
  e2e_pass "node-processes-gone (${node_pids:-none} ended)"
else
  e2e_fail node-processes-gone "still running: $left"
fi
if ! km get node "$NODE" >/dev/null 2>&1 && [ ! -d "$NODE_DIR" ]; then
  e2e_pass node-object-and-state-removed
else
  e2e_fail node-object-and-state-removed "Node $NODE or $NODE_DIR is still there"
fi
echo "# test_node: $((SECONDS - T_START)) s in all"
e2e_finish
