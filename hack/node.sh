#!/usr/bin/env bash
# A real node for hack/clusters.sh's control planes: a kubelet with Debian's containerd, runc
# and CNI plugins on this machine, registered to one cluster, with a pod network that exists
# only here. `down` undoes every change it made to the host. Needs root.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/node.sh COMMAND [ARGS]          (also: hack/clusters.sh node COMMAND ...)

  up CLUSTER [NODE]     start containerd and a kubelet registered to CLUSTER as NODE
                        (default CLUSTER-real); prints the seconds to Node Ready
  down [CLUSTER]        delete its pods, stop everything, undo each host change (the node
                        that is up when no CLUSTER is given)
  status                the node, its processes and pods' containers
  import CLUSTER FILE.tar...
                        load image archives into the node's containerd (CRI namespace)
  ctr CLUSTER ARGS...   ctr against the node's containerd, namespace k8s.io
  env CLUSTER           shell export lines (NODE_NAME, NODE_IP, NODE_CGROUP_ROOT, ...)

Pods get addresses on a bridge that exists only on this machine (nothing is routed off
it) and reach their cluster's API server as the `kubernetes` Service; every cluster of the
harness is also reachable from pods at NODE_IP:ITS_API_PORT (kubeconfig context NAME-dns,
which checks the certificate by name). docs/real-node.md has the details.

One node per machine: the kubelet and containerd use fixed paths (/var/lib/kubelet/
device-plugins, /var/log/containers, /var/lib/cni, /run/containerd) that cannot be moved.
Everything else lives in <cluster state>/node. Exit status 3: not root.

Environment: SVCLINK_STATE as for hack/clusters.sh; SVCLINK_NODE_SUBNET: the pod network
(default 172.30.S.0/24, S the cluster's slot); SVCLINK_NODE_TRACE=1: timings of each step.
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=state-root.sh
. "$here/state-root.sh"
UP_TIMEOUT=${SVCLINK_UP_TIMEOUT:-120}
PAUSE_TAG=localhost/svclink-pause:1
# What the kubelet changes host-wide at start (pkg/kubelet/cm: setupKernelTunables); `up`
# records their values and puts them back once the node is Ready, `down` once more.
SYSCTLS=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths the kubelet and containerd use whatever their configuration says. `up` records the
# first missing directory on the way to each; `down` removes exactly those.
FIXED_PATHS=(/var/lib/kubelet/device-plugins /var/log/containers /var/lib/cni/results
  /run/containerd/s /run/containerd/fifo)
# The chains the kubelet adds with iptables (pkg/kubelet/kubelet_network_linux.go), per table.
KUBELET_CHAINS=("mangle KUBE-IPTABLES-HINT" "mangle KUBE-KUBELET-CANARY" "nat KUBE-KUBELET-CANARY"
  "filter KUBE-KUBELET-CANARY" "filter KUBE-FIREWALL")

log() { printf '[node] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "a real node needs root (containers, cgroups, a bridge, nftables): not started."
    exit 3
  fi
}

# load CLUSTER: the cluster's recorded values with a C_ prefix, and this node's paths.
load() {
  [[ $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "bad cluster name '$1'"
  [ -f "$CLUSTERS/$1/cluster.env" ] || die "no cluster named '$1' in $CLUSTERS (start it with hack/clusters.sh up $1)"
  eval "$(sed 's/^/C_/' "$CLUSTERS/$1/cluster.env")"
  N=$CLUSTERS/$1/node
  SOCK=$N/containerd.sock
  # Names of the host-wide objects: a hash of the node directory, so that they are
  # recognisably this harness's and never a stranger's.
  H=$(printf '%s' "$N" | sha1sum | cut -c1-6)
  BR=svn$H
  NFT=svclink_node_$H
  CGROOT=/svclink-node-$H
}

# The host-wide record of a node being up (node.env), read by down/status/env.
load_node() {
  load "$1"
  [ -f "$N/node.env" ] || return 1
  # shellcheck disable=SC1091 # written by up
  . "$N/node.env"
}

ctr_() { ctr --address "$SOCK" --namespace k8s.io "$@"; }
kubectl_() { "$KUBECTL" --kubeconfig "$C_KUBECONFIG" --request-timeout 10s "$@"; }

# ---------------------------------------------------------------------------------------
# Processes: only those this node started, always by PID.

# ours PID: alive, not a zombie, and its command line names this node's directory
# (containerd, the kubelet and the containerd shims all carry it).
ours() {
  local st
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] || return 1
  tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$N/"
}

# stop_pid PID [SECONDS]: SIGTERM, SIGKILL after SECONDS (default 10) if it is still ours.
stop_pid() {
  local p=$1 limit=${2:-10} i
  ours "$p" || return 0
  kill -TERM "$p" 2>/dev/null || return 0
  for ((i = 0; i < limit * 10; i++)); do ours "$p" || return 0; sleep 0.1; done
  log "pid $p still running after ${limit}s: SIGKILL"
  kill -KILL "$p" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do ours "$p" || return 0; sleep 0.1; done
  log "pid $p did not exit"
}

# shellcheck disable=SC2016 # expanded by the bash that runs it
LAUNCH='for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done
echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"'
# launch NAME CMD...: CMD in its own session, output in logs/NAME.log, PID in run/NAME.pid.
launch() {
  local name=$1 pidf=$N/run/$1.pid i
  shift
  rm -f "$pidf"
  [ -f "$N/logs/$name.log" ] && mv -f "$N/logs/$name.log" "$N/logs/$name.log.prev"
  setsid -f bash -c "$LAUNCH" "$pidf" "$@" </dev/null >"$N/logs/$name.log" 2>&1
  for ((i = 0; i < 100; i++)); do [ -s "$pidf" ] && return 0; sleep 0.05; done
  die "$name did not start (no PID after 5s; log $N/logs/$name.log)"
}

pid_of() { [ -f "$N/run/$1.pid" ] && cat "$N/run/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && ours "$p"; }

# wait_until SECONDS WHAT COMP CMD...: poll CMD; fail early when COMP has exited.
wait_until() {
  local limit=$1 what=$2 comp=$3 deadline
  shift 3
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$comp" ] && ! alive "$comp"; then
      log "$comp exited while waiting for $what; last lines of $N/logs/$comp.log:"
      tail -n 20 "$N/logs/$comp.log" | sed 's/^/    /' >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$what: not within ${limit}s"
      [ -n "$comp" ] && tail -n 20 "$N/logs/$comp.log" | sed 's/^/    /' >&2
      return 1
    fi
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------
# What the host looked like before (recorded once, in host.before, by `up`)

# shellcheck disable=SC2086 # split on the dots
ip2int() { local IFS=.; set -- $1; echo $(((($1 * 256 + $2) * 256 + $3) * 256 + $4)); }
overlap() {
  local a=${1%/*} n=${1#*/} b=${2%/*} m=${2#*/} k mask
  k=$((n < m ? n : m))
  [ "$k" -eq 0 ] && return 0
  mask=$(((0xffffffff << (32 - k)) & 0xffffffff))
  [ $(($(ip2int "$a") & mask)) -eq $(($(ip2int "$b") & mask)) ]
}

# first_missing PATH: the topmost directory on the way to PATH that does not exist yet
# (empty when PATH exists).
first_missing() {
  local p=$1 top=""
  while [ "$p" != / ] && [ ! -e "$p" ]; do top=$p; p=$(dirname "$p"); done
  printf '%s' "$top"
}

record_host() {
  local s p t
  {
    for s in "${SYSCTLS[@]}"; do printf 'sysctl %s %s\n' "$s" "$(sysctl -n "$s")"; done
    for p in "${FIXED_PATHS[@]}"; do
      t=$(first_missing "$p")
      [ -n "$t" ] && printf 'created %s\n' "$t"
    done | awk '!seen[$0]++'
    nft list tables 2>/dev/null
    iptables-save 2>/dev/null | awk '/^\*/ {t = substr($0, 2)} /^:/ {print "chain ip", t, substr($1, 2)}'
    ip6tables-save 2>/dev/null | awk '/^\*/ {t = substr($0, 2)} /^:/ {print "chain ip6", t, substr($1, 2)}'
  } >"$N/host.before.tmp"
  mv "$N/host.before.tmp" "$N/host.before"
}

# restore_sysctls: each recorded value that differs now is written back.
restore_sysctls() {
  local s v now
  [ -f "$N/host.before" ] || return 0
  while read -r s v; do
    now=$(sysctl -n "$s" 2>/dev/null) || continue
    [ "$now" = "$v" ] && continue
    sysctl -qw "$s=$v" && log "sysctl $s back to $v (the kubelet set $now)"
  done < <(sed -n 's/^sysctl //p' "$N/host.before")
}

# ---------------------------------------------------------------------------------------
# up

# node_cert: the kubelet's client certificate from the cluster's CA (system:node:NODE in
# system:nodes, what the kubelet's own bootstrap would ask for) and its kubeconfig.
node_kubeconfig() {
  local pki=$CLUSTERS/$C_NAME/pki t=$N/pki
  mkdir -p "$t"
  chmod 700 "$t"
  openssl ecparam -name prime256v1 -genkey -noout -out "$t/kubelet.key" 2>/dev/null
  openssl req -new -key "$t/kubelet.key" -subj "/O=system:nodes/CN=system:node:$NODE" -out "$t/kubelet.csr" 2>/dev/null
  printf '[e]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$t/ext"
  openssl x509 -req -in "$t/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 15)" \
    -days 30 -sha256 -extfile "$t/ext" -extensions e -out "$t/kubelet.crt" 2>/dev/null
  rm -f "$t/kubelet.csr" "$t/ext"
  (umask 077 && cat >"$N/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$C_API_URL", certificate-authority: "$pki/ca.crt"}}]
users: [{name: u, user: {client-certificate: "$t/kubelet.crt", client-key: "$t/kubelet.key"}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
EOF
  )
}

# The kubelet's identity gets the bootstrap ClusterRole system:node (the cluster authorizes
# with RBAC only, so nothing else would grant it).
node_rbac() {
  kubectl_ apply -f - >"$N/logs/rbac.log" 2>&1 <<EOF || { cat "$N/logs/rbac.log" >&2; return 1; }
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: svclink-node-$NODE, labels: {svclink.test/node: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:node"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:node:$NODE"}]
EOF
}

write_containerd_config() {
  cat >"$N/containerd.toml" <<EOF
# containerd for hack/node.sh: every directory and socket it allows under $N.
version = 2
root = "$N/containerd/root"
state = "$N/containerd/state"
[grpc]
  address = "$SOCK"
[ttrpc]
  address = "$SOCK.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$N/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_TAG"
    # Root here lacks CAP_SYS_RESOURCE: runc could not lower oom_score_adj below ours, and
    # every sandbox would fail with "can't get final child's PID from pipe: EOF".
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    enable_selinux = false
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$N/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$N/cni/net.d"
      max_conf_num = 1
EOF
}

# The pod network: the bridge is made here with its address; the plugin only attaches
# veths and hands out addresses (isGateway false: it leaves the bridge's address and
# net.ipv4.ip_forward alone; ipMasq false: no NAT rules).
write_cni_config() {
  mkdir -p "$N/cni/net.d" "$N/cni/ipam"
  local pfx=${SUBNET%.*}
  cat >"$N/cni/net.d/10-svclink-node.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "svclink-node",
  "plugins": [{
    "type": "bridge",
    "bridge": "$BR",
    "isGateway": false,
    "ipMasq": false,
    "hairpinMode": false,
    "ipam": {
      "type": "host-local",
      "dataDir": "$N/cni/ipam",
      "ranges": [[{"subnet": "$SUBNET", "rangeStart": "$pfx.10", "rangeEnd": "$pfx.250", "gateway": "$NODE_IP"}]],
      "routes": [{"dst": "0.0.0.0/0", "gw": "$NODE_IP"}]
    }
  }]
}
EOF
}

write_kubelet_config() {
  printf 'nameserver %s\noptions ndots:5\n' "$NODE_IP" >"$N/resolv.conf"
  cat >"$N/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$SOCK
# Served on the pod network's host address (the node's InternalIP); the API server
# presents its kubelet client certificate, signed by the cluster's CA.
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $CLUSTERS/$C_NAME/pki/ca.crt}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupRoot: $CGROOT
cgroupsPerQOS: true
failSwapOn: false
protectKernelDefaults: false
podLogsDir: $N/pod-logs
volumePluginDir: $N/volume-plugins
resolvConf: $N/resolv.conf
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
maxPods: 30
registerNode: true
# A busy shared disk must not evict the test's pods, nor image GC delete imported images
# (nothing can be pulled again).
evictionHard: {memory.available: "1%", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
shutdownGracePeriod: 0s
serializeImagePulls: true
EOF
}

# make_cgroup_root: the kubelet's cgroupRoot in every mounted hierarchy (it checks that it
# exists); cpuset needs its cpus and mems before anything can join a child of it.
make_cgroup_root() {
  local h
  for h in /sys/fs/cgroup/*/; do
    h=${h%/}
    mountpoint -q "$h" || continue
    mkdir -p "$h$CGROOT"
  done
  if [ -d "/sys/fs/cgroup/cpuset$CGROOT" ]; then
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset$CGROOT/cpuset.cpus"
    cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset$CGROOT/cpuset.mems"
  fi
}

# The pause image: tests/tools/pause.c, packed like the svclink image (hack/image-tar.py).
pause_archive() {
  make -C "$repo" -s build/tools/pause.tar >&2 || die "could not build the sandbox image (make build/tools/pause.tar)"
  echo "$repo/build/tools/pause.tar"
}

node_ready() {
  kubectl_ get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True
}
api_ok() { kubectl_ get --raw /readyz >/dev/null; }

cmd_up() {
  if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: up CLUSTER [NODE]"; fi
  need_root
  load "$1"
  [[ ${2:-$1-real} =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || die "bad node name '${2:-}'"
  if load_node "$1" && alive kubelet && alive containerd; then
    log "already up: $NODE_NAME in $1"
    return 0
  fi
  local c
  for c in containerd ctr runc ip nft iptables-save ip6tables-save openssl sysctl mountpoint findmnt; do
    command -v "$c" >/dev/null || die "$c is needed (hack/install-deps.sh installs it, as root)"
  done
  for c in bridge host-local loopback; do
    [ -x "/usr/lib/cni/$c" ] || die "/usr/lib/cni/$c is missing (Debian's containernetworking-plugins; hack/install-deps.sh)"
  done
  # Leftovers of an interrupted run of this node: clear them first.
  [ -d "$N" ] && down_one "$1"
  NODE=${2:-$1-real}
  # One node per machine: the fixed paths would be shared.
  [ -S /var/lib/kubelet/device-plugins/kubelet.sock ] &&
    die "another kubelet seems to run on this machine (/var/lib/kubelet/device-plugins/kubelet.sock exists); one node at a time"
  [ -d /run/containerd/s ] && [ -n "$(ls -A /run/containerd/s 2>/dev/null)" ] &&
    die "another containerd has shims running (/run/containerd/s is not empty); one node at a time"

  local t0=$SECONDS bin
  T0=$(date +%s.%N)
  step binaries
  bin=$("$here/k8s-bin.sh" --node 2>"$N.k8s-bin.log" | tail -n 1) || { cat "$N.k8s-bin.log" >&2; rm -f "$N.k8s-bin.log"; die "hack/k8s-bin.sh --node failed"; }
  rm -f "$N.k8s-bin.log"
  [ -x "$bin/kubelet" ] || die "k8s-bin.sh --node gave no kubelet in '$bin'"
  KUBECTL=$bin/kubectl
  api_ok || die "the API server of $1 does not answer at $C_API_URL"
  local pause
  pause=$(pause_archive)

  SUBNET=${SVCLINK_NODE_SUBNET:-172.30.$C_SLOT.0/24}
  [[ $SUBNET =~ ^([0-9]+\.){3}0/24$ ]] || die "SVCLINK_NODE_SUBNET must be an IPv4 /24 ending in .0, not '$SUBNET'"
  NODE_IP=${SUBNET%.*}.1
  local host
  # The cluster's slot has ten ports and uses the first six; the node takes the next two.
  KUBELET_PORT=$((C_API_PORT + 6)) HEALTHZ_PORT=$((C_API_PORT + 7))
  for c in "$KUBELET_PORT" "$HEALTHZ_PORT"; do
    [ -z "$(ss -Hltn "sport = :$c" 2>/dev/null)" ] || die "port $c is in use"
  done
  ip link show "$BR" >/dev/null 2>&1 && die "a link named $BR exists already"
  # The pod network must not meet any address or route of this host, nor the cluster's.
  while read -r host; do
    [ -n "$host" ] || continue
    case $host in default|127.*) continue ;; esac
    case $host in */*) ;; *) host=$host/32 ;; esac
    overlap "$SUBNET" "$host" && die "the pod network $SUBNET meets $host on this host; set SVCLINK_NODE_SUBNET"
  done < <(ip -4 -o addr show | awk '{print $4}'; ip -4 route show table all | awk '$1 != "broadcast" && $1 != "local" {print $1}')
  for c in "$C_SERVICE_CIDR" "$C_POD_CIDR"; do
    overlap "$SUBNET" "$c" && die "the pod network $SUBNET meets the cluster's $c; set SVCLINK_NODE_SUBNET"
  done

  step host record
  mkdir -p "$N/run" "$N/logs"
  record_host
  cat >"$N/node.env" <<EOF
NODE_NAME=$NODE
NODE_CLUSTER=$C_NAME
NODE_IP=$NODE_IP
NODE_SUBNET=$SUBNET
NODE_BRIDGE=$BR
NODE_NFT_TABLE=$NFT
NODE_CGROUP_ROOT=$CGROOT
NODE_KUBELET_PORT=$KUBELET_PORT
NODE_HEALTHZ_PORT=$HEALTHZ_PORT
NODE_CONTAINERD_SOCK=$SOCK
NODE_KUBECTL=$KUBECTL
NODE_DIR=$N
EOF
  # From here on any failure (or Ctrl-C) undoes what was done so far.
  up_ok=0
  trap 'trap - EXIT; if [ "$up_ok" != 1 ]; then log "start-up failed; undoing it (logs kept in $CLUSTERS/$C_NAME/node-logs)"; set +e; down_one "$C_NAME"; exit 1; fi' EXIT
  trap 'exit 130' INT TERM

  # Network: the bridge and its address, loopback-bound API server reachable as the
  # `kubernetes` Service, and nothing routed off the bridge.
  ip link add "$BR" type bridge
  ip addr add "$NODE_IP/24" dev "$BR"
  ip link set "$BR" up
  # Accept 127.0.0.1 as a destination for packets that came in on the bridge (the DNAT
  # below) and as the source of the answers that go back out on it.
  sysctl -qw "net.ipv4.conf.$BR.route_localnet=1"
  # Pods reach their cluster's API server as the `kubernetes` Service, and every cluster of
  # this harness (a ClusterLink's remote, say) at NODE_IP:ITS_API_PORT; the serving certs
  # name 127.0.0.1 and the Service address only, so those kubeconfigs set tls-server-name
  # (the NAME-dns context of each cluster's kubeconfig).
  local rules="" f port
  for f in "$CLUSTERS"/*/cluster.env; do
    port=$(sed -n 's/^API_PORT=//p' "$f")
    [[ $port =~ ^[0-9]+$ ]] && rules+="    iifname \"$BR\" ip daddr $NODE_IP tcp dport $port dnat to 127.0.0.1:$port"$'\n'
  done
  nft -f - <<EOF
table ip $NFT {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "$BR" ip daddr $C_SERVICE_IP tcp dport 443 dnat to 127.0.0.1:$C_API_PORT
$rules  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "$BR" ct state established,related accept
    iifname "$BR" ct status dnat accept
    iifname "$BR" drop
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "$BR" oifname != "$BR" drop
  }
}
EOF

  step files
  make_cgroup_root
  write_containerd_config
  write_cni_config
  node_kubeconfig
  write_kubelet_config
  node_rbac

  step containerd
  launch containerd containerd --config "$N/containerd.toml"
  wait_until 30 "containerd on $SOCK" containerd ctr_ version
  local ti=$SECONDS
  ctr_ images import "$pause" >"$N/logs/import-pause.log" 2>&1 ||
    { cat "$N/logs/import-pause.log" >&2; false; }
  log "containerd up, sandbox image imported ($((SECONDS - ti))s)"

  step kubelet
  local tk
  tk=$(date +%s.%N)
  launch kubelet "$bin/kubelet" --config "$N/kubelet.yaml" --kubeconfig "$N/kubeconfig" \
    --root-dir "$N/kubelet" --cert-dir "$N/kubelet/pki" --hostname-override "$NODE" --node-ip "$NODE_IP" --v 1
  wait_until "$UP_TIMEOUT" "Node $NODE Ready" kubelet node_ready
  local ready
  ready=$(awk -v a="$tk" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
  # The kubelet has set its kernel tunables by now (before it reports Ready): put back ours.
  restore_sysctls
  up_ok=1
  trap - EXIT INT TERM
  echo "NODE_READY_SECONDS=$ready" >>"$N/node.env"
  log "node $NODE Ready in ${ready}s after the kubelet started ($((SECONDS - t0))s in all); InternalIP $NODE_IP, pods in $SUBNET"
}

# ---------------------------------------------------------------------------------------
# down

# mounts_under: mount points under the node directory.
mounts_under() { findmnt -rn -o TARGET | grep -F -- "$N/" || true; }

# The processes in the node's cgroups: containers that outlived their shims.
cgroup_pids() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [ -d "${h%/}$CGROOT" ] && find "${h%/}$CGROOT" -name cgroup.procs -exec cat {} + 2>/dev/null
  done | sort -un
}

# remove_chains FAMILY: the kubelet's chains (only those that were not there before) and
# the rules jumping to them, in one iptables-restore --noflush per family.
remove_chains() {
  local fam=$1 ipt=iptables save entry t c r dels fx script=""
  [ -f "$N/host.before" ] || return 0
  [ "$fam" = ip6 ] && ipt=ip6tables
  command -v "$ipt-restore" >/dev/null || return 0
  save=$("$ipt-save" 2>/dev/null) || return 0
  for t in mangle nat filter; do
    dels="" fx=""
    for entry in "${KUBELET_CHAINS[@]}"; do
      [ "${entry% *}" = "$t" ] || continue
      c=${entry#* }
      awk -v t="$t" -v c=":$c" '/^\*/ {tt = substr($0, 2)} tt == t && $1 == c {f = 1} END {exit !f}' <<<"$save" || continue
      grep -qx -- "chain $fam $t $c" "$N/host.before" && continue
      while read -r r; do
        [ -n "$r" ] && dels+="-D ${r#-A }"$'\n'
      done < <(awk -v t="$t" -v c="$c" '/^\*/ {tt = substr($0, 2)}
        tt == t && $1 == "-A" && $2 != c && $0 ~ ("-j " c "( |$)")' <<<"$save")
      fx+="-F $c"$'\n'"-X $c"$'\n'
    done
    [ -n "$fx" ] && script+="*$t"$'\n'"$dels$fx"'COMMIT'$'\n'
  done
  [ -n "$script" ] || return 0
  "$ipt-restore" -w --noflush <<<"$script" || log "could not remove the kubelet's $fam chains: $(tr '\n' ';' <<<"$script")"
}

# drop_empty_tables: iptables-nft makes the tables it writes to; those of them that were
# not there before and hold no rule now (only empty base chains) go again, in one nft run.
drop_empty_tables() {
  local fam name gone=""
  [ -f "$N/host.before" ] || return 0
  while read -r fam name; do
    case $fam/$name in ip/filter|ip/nat|ip/mangle|ip6/filter|ip6/nat|ip6/mangle) ;; *) continue ;; esac
    grep -qx -- "table $fam $name" "$N/host.before" && continue
    gone+="delete table $fam $name"$'\n'
  done < <(nft list ruleset 2>/dev/null | awk '
    $1 == "table" { fam = $2; name = $3; rules[fam " " name] += 0; next }
    $1 == "chain" || $1 == "type" || $1 == "policy" || $1 == "}" || NF == 0 { next }
    { rules[fam " " name]++ }
    END { for (t in rules) if (rules[t] == 0) print t }')
  [ -n "$gone" ] || return 0
  nft -f - <<<"$gone" && log "removed the empty tables iptables had made: $(grep -o '[a-z0-9]* [a-z]*$' <<<"$gone" | tr '\n' ',' | sed 's/,$//; s/,/, /g')"
}

cmd_down() {
  need_root
  local names=() n
  if [ $# -ge 1 ]; then
    names=("$1")
  else
    for n in "$CLUSTERS"/*/node; do [ -d "$n" ] && names+=("$(basename "$(dirname "$n")")"); done
  fi
  [ ${#names[@]} -gt 0 ] || { log "no node is up in $CLUSTERS"; return 0; }
  for n in "${names[@]}"; do down_one "$n"; done
}

# step WHAT: with SVCLINK_NODE_TRACE=1, the time since down began and what comes next.
step() { [ -z "${SVCLINK_NODE_TRACE:-}" ] || log "+$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')s $*"; }

down_one() {
  local t0=$SECONDS p i id
  T0=$(date +%s.%N)
  load "$1"
  [ -d "$N" ] || { log "no node in $1"; return 0; }
  if [ -f "$N/node.env" ]; then
    # shellcheck disable=SC1091
    . "$N/node.env"
  fi
  NODE=${NODE_NAME:-}
  KUBECTL=${NODE_KUBECTL:-$(cat "$CLUSTERS/bin-dir" 2>/dev/null || true)/kubectl}
  local api=0
  [ -n "$NODE" ] && [ -x "$KUBECTL" ] && api_ok 2>/dev/null && api=1

  step pods
  # 1. The pods, deleted through the API while the kubelet runs, so it stops their
  #    containers and releases their network as it normally would.
  if [ "$api" = 1 ] && alive kubelet; then
    kubectl_ cordon "$NODE" >/dev/null 2>&1 || true
    # The kubelet confirms each deletion once the pod's containers are stopped.
    "$KUBECTL" --kubeconfig "$C_KUBECONFIG" delete pods -A --field-selector "spec.nodeName=$NODE" \
      --timeout 60s >/dev/null 2>&1 || log "pods of $NODE not all gone within 60s; stopping it anyway"
    for ((i = 0; i < 100; i++)); do
      [ -z "$(ctr_ tasks ls -q 2>/dev/null)" ] && break
      sleep 0.1
    done
  fi
  step kubelet
  # 2. The kubelet.
  p=$(pid_of kubelet || true)
  [ -n "$p" ] && stop_pid "$p" 15
  step containers
  # 3. Containers left (sandboxes included): their tasks killed and deleted, which ends
  #    their shims; then the containers.
  if alive containerd; then
    for id in $(ctr_ tasks ls -q 2>/dev/null); do
      ctr_ tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr_ tasks ls -q 2>/dev/null); do
      for ((i = 0; i < 50; i++)); do ctr_ tasks delete "$id" >/dev/null 2>&1 && break; sleep 0.1; done
    done
    for id in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers delete "$id" >/dev/null 2>&1 || true; done
  fi
  step containerd
  # 4. containerd, then any shim of ours and any process still in the node's cgroups.
  p=$(pid_of containerd || true)
  [ -n "$p" ] && stop_pid "$p" 15
  for p in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $N/" 2>/dev/null || true); do
    ours "$p" && { log "stopping a leftover shim, pid $p"; stop_pid "$p" 5; }
  done
  for ((i = 0; i < 3; i++)); do
    p=$(cgroup_pids)
    [ -n "$p" ] || break
    log "killing processes left in $CGROOT: ${p//$'\n'/ }"
    # shellcheck disable=SC2086 # a list of PIDs
    kill -KILL $p 2>/dev/null || true
    sleep 0.5
  done
  step mounts
  # 5. Mounts under the node directory (the kubelet's shared bind mount of its root dir,
  #    volumes, container root file systems, network namespaces), deepest first.
  local m
  for ((i = 0; i < 3; i++)); do
    while read -r m; do
      [ -n "$m" ] || continue
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done < <(mounts_under | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
    [ -z "$(mounts_under)" ] && break
    sleep 0.3
  done
  [ -z "$(mounts_under)" ] || log "mounts left under $N: $(mounts_under | tr '\n' ' ')"
  # /run/containerd/s and fifo hold nothing of ours once the shims are gone.
  step cgroups
  # 6. cgroups, deepest first.
  local h
  for h in /sys/fs/cgroup/*/; do
    [ -d "${h%/}$CGROOT" ] || continue
    find "${h%/}$CGROOT" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "${h%/}$CGROOT" ] && log "cgroup ${h%/}$CGROOT could not be removed"
  done
  step network
  # 7. The pod network: bridge (its route_localnet goes with it) and nft table. Veths of
  #    pods whose network namespaces were unmounted have gone with those namespaces.
  ip link show "$BR" >/dev/null 2>&1 && ip link del "$BR"
  nft list table ip "$NFT" >/dev/null 2>&1 && nft delete table ip "$NFT"
  step iptables
  # 8. The kubelet's iptables chains, and tables iptables-nft made for them.
  remove_chains ip
  remove_chains ip6
  drop_empty_tables
  step sysctls
  # 9. Kernel tunables (again: a kubelet that never got Ready never had them restored).
  restore_sysctls
  step paths
  # 10. The fixed paths this node created.
  if [ -f "$N/host.before" ]; then
    while read -r p; do
      case $p in /var/lib/*|/var/log/*|/run/*) rm -rf --one-file-system -- "$p" ;; esac
    done < <(sed -n 's/^created //p' "$N/host.before")
  fi
  step api objects
  # 11. The Node and the kubelet's RBAC binding.
  if [ "$api" = 1 ]; then
    kubectl_ delete node "$NODE" --ignore-not-found >/dev/null 2>&1 || log "could not delete Node $NODE"
    kubectl_ delete clusterrolebinding "svclink-node-$NODE" --ignore-not-found >/dev/null 2>&1 || true
  elif [ -n "$NODE" ]; then
    log "the API server of $1 does not answer: Node $NODE and its binding stay there"
  fi
  # The node directory goes, but for its logs.
  if [ -z "$(mounts_under)" ]; then
    rm -rf "$CLUSTERS/$1/node-logs"
    [ -d "$N/logs" ] && mv "$N/logs" "$CLUSTERS/$1/node-logs"
    rm -rf --one-file-system "$N"
  fi
  log "down in $((SECONDS - t0))s${NODE:+: $NODE}"
}

# ---------------------------------------------------------------------------------------
# status, env, import, ctr

cmd_status() {
  local d n
  for d in "$CLUSTERS"/*/node; do
    [ -f "$d/node.env" ] || continue
    n=$(basename "$(dirname "$d")")
    load_node "$n"
    printf 'node %s in %s: InternalIP %s, pods %s, bridge %s\n' "$NODE_NAME" "$n" "$NODE_IP" "$NODE_SUBNET" "$NODE_BRIDGE"
    for p in containerd kubelet; do
      printf '  %-10s %s\n' "$p" "$(alive "$p" && echo "running, pid $(pid_of "$p")" || echo STOPPED)"
    done
    alive containerd && ctr_ tasks ls 2>/dev/null | sed 's/^/  /'
  done
  return 0
}

require_node() {
  load_node "$1" || die "no node is up in $1 (hack/node.sh up $1)"
  alive containerd || die "the node's containerd is not running"
}

cmd_import() {
  [ $# -ge 2 ] || die "usage: import CLUSTER FILE.tar..."
  need_root
  require_node "$1"
  shift
  local f
  for f in "$@"; do
    [ -f "$f" ] || die "no file $f"
    ctr_ images import "$f"
  done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) [ $# -le 1 ] || die "usage: down [CLUSTER]"; cmd_down "$@" ;;
  status) cmd_status ;;
  env) [ $# -eq 1 ] || die "usage: env CLUSTER"; load_node "$1" || die "no node is up in $1"; sed 's/^/export /' "$N/node.env" ;;
  import) cmd_import "$@" ;;
  ctr) [ $# -ge 1 ] || die "usage: ctr CLUSTER ARGS..."; need_root; require_node "$1"; shift; ctr_ "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
