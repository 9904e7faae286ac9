#!/usr/bin/env bash
# The opt-in local data plane for hack/clusters.sh's clusters: network namespaces as pod
# sandboxes, real kube-proxy (nftables) on a main "node", CoreDNS, and a client to test from.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/dataplane.sh COMMAND [ARGS]      (also: hack/clusters.sh dataplane COMMAND ...)

  up MAIN [REMOTE...]   build the data plane for running clusters; MAIN gets the node
                        (kube-proxy), CoreDNS and the client namespace; needs root
  down                  stop it: every namespace, veth, route and nft table it made goes
  status                namespaces, processes and sandboxes
  env                   shell export lines (DP_CLIENT, DP_NODE, DP_DNS_IP, ...)
  exec CMD...           run CMD in the client namespace (its resolver is CoreDNS)
  get N URL             N requests from the client, one line each: the body, or ERR curl-exit=CODE
  dns NAME              the IPv4 addresses NAME resolves to from the client, sorted

Environment: SVCLINK_STATE as for hack/clusters.sh (the namespaces are named svl<hash of
the state directory>-*, so two harnesses never share one); SVCLINK_DP_INTERVAL: seconds
between two sandbox reconciles (default 0.5).
Exit status 3: not root (no data plane; the clusters work as before).
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=state-root.sh
. "$here/state-root.sh"
DP=$STATE_ROOT/dataplane
# Namespace prefix: a hash of the state directory, so two harnesses never share one.
P=svl$(printf '%s' "$DP" | sha1sum | cut -c1-6)
ROUTER=$P-r NODE=$P-node CLIENT=$P-client DNSNS=$P-dns
INTERVAL=${SVCLINK_DP_INTERVAL:-0.5}
PODHTTP=$repo/build/tools/podhttp
# Gateways: the router's address on every veth it holds, and the node's toward the client.
# They must differ: the node drops an ARP request whose sender address is one of its own
# (a martian source), so with one address for both the router's probes for the node went
# unanswered, its neighbour entry failed, and replies to the client were lost for ~40 s of
# every ~50 (DNS lookups from the client timed out).
GW_ROUTER=169.254.1.1
GW_NODE=169.254.2.1
# Infrastructure addresses sit in MAIN's pod CIDR at .250.x, above the kwok nodes' /24s.
INFRA_OCTET=250

log() { printf '[dataplane] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    log "the data plane needs root (network namespaces, veths, nftables): not started."
    log "The clusters and everything else work without it; only traffic tests are skipped."
    exit 3
  fi
}

# cluster_env NAME: prints the cluster's recorded values (cluster.env) with a C_ prefix.
cluster_env() {
  [ -f "$CLUSTERS/$1/cluster.env" ] || die "no cluster named '$1' in $CLUSTERS (start it with hack/clusters.sh up)"
  sed 's/^/C_/' "$CLUSTERS/$1/cluster.env"
}
load() { eval "$(cluster_env "$1")"; }

# ---------------------------------------------------------------------------------------
# Addresses

ip2int() { local IFS=.; set -- $1; echo $(((($1 * 256 + $2) * 256 + $3) * 256 + $4)); }
# overlap A/N B/M: the two IPv4 ranges share an address.
overlap() {
  local a=${1%/*} n=${1#*/} b=${2%/*} m=${2#*/} k
  k=$((n < m ? n : m))
  [ "$k" -eq 0 ] && return 0
  local mask=$(((0xffffffff << (32 - k)) & 0xffffffff))
  [ $(($(ip2int "$a") & mask)) -eq $(($(ip2int "$b") & mask)) ]
}

# check_cidrs NAME...: the clusters' pod and service ranges must not overlap each other or
# any address or route of this host: the namespaces are isolated, but a test that reached
# a host address by mistake would leave the machine.
check_cidrs() {
  local n ranges=() r s host
  for n in "$@"; do
    load "$n"
    ranges+=("$C_POD_CIDR:$n pods" "$C_SERVICE_CIDR:$n services")
  done
  for ((r = 0; r < ${#ranges[@]}; r++)); do
    for ((s = r + 1; s < ${#ranges[@]}; s++)); do
      overlap "${ranges[r]%%:*}" "${ranges[s]%%:*}" && die "${ranges[r]#*:} (${ranges[r]%%:*}) overlap ${ranges[s]#*:} (${ranges[s]%%:*})"
    done
  done
  while read -r host; do
    [ -n "$host" ] || continue
    case $host in default|127.*) continue ;; esac
    case $host in */*) ;; *) host=$host/32 ;; esac
    for r in "${ranges[@]}"; do
      overlap "${r%%:*}" "$host" && die "${r#*:} (${r%%:*}) collide with $host on this host; pick other slots (hack/clusters.sh down --purge, SVCLINK_PORT_BASE)"
    done
  done < <(ip -4 -o addr show | awk '{print $4}'; ip -4 route show table all | awk '$1 != "broadcast" && $1 != "local" {print $1}')
  return 0
}

# ---------------------------------------------------------------------------------------
# Namespaces and veths

ns_exists() { [ -e "/run/netns/$1" ]; }
nsx() { ip netns exec "$@"; }

# new_ns NAME: a namespace with loopback up, recorded for `down`.
new_ns() {
  ns_exists "$1" || ip netns add "$1"
  ip -n "$1" link set lo up
}

# wire NS IP PEER_NS PEER_IF GW: veth PEER_IF in PEER_NS <-> eth0 in NS; NS holds IP/32 with
# PEER_NS (at GW) as its default gateway, PEER_NS routes IP/32 back down the veth.
wire() {
  local ns=$1 addr=$2 pns=$3 pif=$4 GW=$5
  ip -n "$pns" link add "$pif" type veth peer name eth0 netns "$ns"
  ip -n "$pns" addr add "$GW/32" dev "$pif"
  ip -n "$pns" link set "$pif" up
  ip -n "$ns" link set eth0 up
  ip -n "$ns" addr add "$addr/32" dev eth0
  ip -n "$ns" route add "$GW" dev eth0 scope link
  ip -n "$ns" route add default via "$GW" dev eth0
  ip -n "$pns" route replace "$addr/32" dev "$pif"
}

# forwarder NS: a namespace that routes (the router, the node). Loose reverse-path checks:
# replies come back over another veth than the one the request left by.
forwarder() {
  nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

# ---------------------------------------------------------------------------------------
# Processes

# launch NAME CMD...: CMD in its own session, output in logs/NAME.log, its PID recorded.
# The wrapper closes inherited descriptors (a daemon holding a caller's pipe makes
# `up | tee` hang) and execs, so the PID written is CMD's (ip netns exec execs too).
LAUNCH='for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done
echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"'
launch() {
  local name=$1 pidf=$DP/run/$1.pid i
  shift
  mkdir -p "$DP/run" "$DP/logs"
  rm -f "$pidf"
  setsid -f bash -c "$LAUNCH" "$pidf" "$@" </dev/null >"$DP/logs/$name.log" 2>&1
  for ((i = 0; i < 100; i++)); do [ -s "$pidf" ] && return 0; sleep 0.05; done
  die "$name did not start (no PID after 5s; log $DP/logs/$name.log)"
}

# ours PID: a process this data plane started: it runs in one of our namespaces, or its
# command line names our state directory.
ours() {
  [[ $1 =~ ^[0-9]+$ ]] && [ -d "/proc/$1" ] || return 1
  case "$(ip netns identify "$1" 2>/dev/null)" in "$P"-*) return 0 ;; esac
  tr '\0' '\n' 2>/dev/null <"/proc/$1/cmdline" | grep -qF -- "$DP"
}

# stop_pid PID: TERM, then KILL after 5 s; its children too (socat forks one per
# connection), which are ours by descent.
stop_pid() {
  local p=$1 i kids
  ours "$p" || return 0
  kids=$(cat /proc/"$p"/task/*/children 2>/dev/null || true)
  kill -TERM "$p" 2>/dev/null || return 0
  for ((i = 0; i < 50; i++)); do ours "$p" || break; sleep 0.1; done
  ours "$p" && kill -KILL "$p" 2>/dev/null
  for i in $kids; do stop_pid "$i"; done
  return 0
}

# ---------------------------------------------------------------------------------------
# Sandboxes: one per running Pod with an IP in its cluster's pod CIDR.

sb_id() { printf '%s' "$1" | sha1sum | cut -c1-10; }

# sb_add CLUSTER NS POD IP PORT
sb_add() {
  local key="$1 $2 $3 $4 $5" id ns
  id=$(sb_id "$key")
  ns=$P-s$id
  [ -f "$DP/sandboxes/$id" ] && return 0
  new_ns "$ns"
  wire "$ns" "$4" "$ROUTER" "h$id" "$GW_ROUTER"
  launch "sb-$id" ip netns exec "$ns" "$PODHTTP" "$5" "$3" "$1" "$4"
  echo "$key" >"$DP/sandboxes/$id"
  log "sandbox up: $1 $2/$3 $4:$5"
}

sb_del() {
  local id=$1 p
  if [ -f "$DP/run/sb-$id.pid" ]; then stop_pid "$(cat "$DP/run/sb-$id.pid")"; rm -f "$DP/run/sb-$id.pid"; fi
  for p in $(ip netns pids "$P-s$id" 2>/dev/null); do stop_pid "$p"; done
  ip netns del "$P-s$id" 2>/dev/null || true   # takes the veth (and so the router's route) along
  log "sandbox gone: $(cat "$DP/sandboxes/$id" 2>/dev/null)"
  rm -f "$DP/sandboxes/$id"
}

# pods NAME: "CLUSTER NS POD IP PORT" per running pod, from the API server; fails when the
# API server does not answer (then the sandboxes stay: an outage of a control plane is not
# one of its data plane).
pods() {
  local name=$1 json
  load "$name"
  local d=$CLUSTERS/$name/pki
  json=$(curl -fsS --noproxy '*' --max-time 3 --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key" \
    "$C_API_URL/api/v1/pods?fieldSelector=status.phase%3DRunning") || return 1
  jq -r --arg c "$name" --arg pfx "${C_POD_CIDR%.0.0/16}." '.items[]
    | select(.status.podIP != null and (.status.podIP | startswith($pfx)) and (.spec.hostNetwork | not))
    | "\($c) \(.metadata.namespace) \(.metadata.name) \(.status.podIP) \(.spec.containers[0].ports[0].containerPort // 8080)"' <<<"$json"
}

# reconcile_once NAME...: sandboxes of the clusters that answered match their pods.
reconcile_once() {
  local n want f key line
  for n in "$@"; do
    want=$(pods "$n") || continue
    for f in "$DP"/sandboxes/*; do
      [ -f "$f" ] || continue
      key=$(cat "$f")
      [ "${key%% *}" = "$n" ] || continue
      grep -qxF -- "$key" <<<"$want" || sb_del "$(basename "$f")"
    done
    while read -r line; do
      [ -n "$line" ] || continue
      [ -f "$DP/sandboxes/$(sb_id "$line")" ] || sb_add $line
    done <<<"$want"
  done
  touch "$DP/reconciled"
}

cmd_reconcile() {
  [ "${1:-}" = "$DP" ] || die "usage: reconcile STATE_DIR CLUSTER... (started by up)"
  shift
  trap 'exit 0' TERM INT
  while :; do
    reconcile_once "$@"
    sleep "$INTERVAL"
  done
}

# ---------------------------------------------------------------------------------------
# Credentials in MAIN for kube-proxy and CoreDNS: client certs from MAIN's CA.

# client_kubeconfig FILE CN [ORG]: key, cert and a kubeconfig reaching MAIN at its loopback
# address (through the relay inside the namespace).
client_kubeconfig() {
  local out=$1 cn=$2 org=${3:-} pki=$CLUSTERS/$C_NAME/pki t
  t=$(mktemp -d "$DP/tmp.XXXXXX")
  openssl ecparam -name prime256v1 -genkey -noout -out "$t/key" 2>/dev/null
  openssl req -new -key "$t/key" -subj "${org:+/O=$org}/CN=$cn" -out "$t/csr" 2>/dev/null
  printf '[e]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n' >"$t/ext"
  openssl x509 -req -in "$t/csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -set_serial "0x$(openssl rand -hex 15)" \
    -days 30 -sha256 -extfile "$t/ext" -extensions e -out "$t/crt" 2>/dev/null
  (umask 077 && cat >"$out" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: main, cluster: {server: "$C_API_URL", certificate-authority-data: "$(base64 -w0 <"$pki/ca.crt")"}}]
users: [{name: u, user: {client-certificate-data: "$(base64 -w0 <"$t/crt")", client-key-data: "$(base64 -w0 <"$t/key")"}}]
contexts: [{name: main, context: {cluster: main, user: u}}]
current-context: main
EOF
  )
  rm -rf "$t"
}

# main_objects: kube-dns (fixed ClusterIP, a hand-written slice to CoreDNS's address) and
# CoreDNS's read-only RBAC. kube-proxy's user, system:kube-proxy, is bound by the bootstrap
# policy (system:node-proxier).
main_objects() {
  "$KUBECTL" --kubeconfig "$C_KUBECONFIG" apply -f - >"$DP/logs/objects.log" 2>&1 <<EOF || { cat "$DP/logs/objects.log" >&2; die "could not create kube-dns in $C_NAME"; }
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: svclink-dataplane-coredns, labels: {svclink.test/dataplane: "true"}}
rules:
- {apiGroups: [""], resources: [services, namespaces, pods], verbs: [list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: svclink-dataplane-coredns, labels: {svclink.test/dataplane: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: svclink-dataplane-coredns}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "svclink-dataplane:coredns"}]
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system, labels: {svclink.test/dataplane: "true"}}
spec:
  clusterIP: $DNS_SVC_IP
  ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kube-dns-dataplane
  namespace: kube-system
  labels: {kubernetes.io/service-name: kube-dns, endpointslice.kubernetes.io/managed-by: dataplane.svclink.test}
addressType: IPv4
endpoints: [{addresses: ["$DNS_IP"], conditions: {ready: true}}]
ports: [{name: dns, port: 53, protocol: UDP}, {name: dns-tcp, port: 53, protocol: TCP}]
EOF
}

# ---------------------------------------------------------------------------------------
# up / down

dp_alive() {
  [ -f "$DP/run/reconcile.pid" ] && ours "$(cat "$DP/run/reconcile.pid")"
}

wait_until() {
  local limit=$1 what=$2 deadline
  shift 2
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { log "$what: not within ${limit}s"; return 1; }
    sleep 0.2
  done
}

cmd_up() {
  [ $# -ge 1 ] || die "usage: up MAIN [REMOTE...]"
  need_root
  local n
  for n in "$@"; do load "$n"; done
  if dp_alive; then log "already up ($(cat "$DP/clusters"))"; return 0; fi
  for n in ip nft socat jq curl openssl; do command -v "$n" >/dev/null || die "$n is needed (hack/install-deps.sh installs it)"; done
  check_cidrs "$@"
  local t0=$SECONDS bin
  bin=$("$here/k8s-bin.sh" --dataplane | tail -n 1)
  [ -x "$bin/kube-proxy" ] && [ -x "$bin/coredns" ] || die "k8s-bin.sh --dataplane gave no kube-proxy/coredns in '$bin'"
  KUBECTL=$bin/kubectl
  [ -x "$PODHTTP" ] || make -C "$repo" -s build/tools/podhttp
  # Leftovers of an interrupted run: clear them first.
  [ -d "$DP" ] && cmd_down
  mkdir -p "$DP/sandboxes" "$DP/run" "$DP/logs"
  echo "$*" >"$DP/clusters"
  trap 'log "start-up failed; removing what was made (logs kept in $DP/logs)"; cp -a "$DP/logs" "$STATE_ROOT/dataplane-logs" 2>/dev/null; cmd_down' ERR

  load "$1"
  local pfx=${C_POD_CIDR%.0.0/16}.$INFRA_OCTET
  NODE_IP=$pfx.1 CLIENT_IP=$pfx.2 DNS_IP=$pfx.10
  DNS_SVC_IP=${C_SERVICE_CIDR%.0.0/16}.0.10
  (( ${#DP} < 90 )) || die "state path too long for a unix socket: $DP"

  # Router: every sandbox hangs off it; the node and, behind the node, the client.
  new_ns "$ROUTER"; forwarder "$ROUTER"
  new_ns "$NODE"; forwarder "$NODE"
  wire "$NODE" "$NODE_IP" "$ROUTER" node "$GW_ROUTER"
  new_ns "$CLIENT"
  wire "$CLIENT" "$CLIENT_IP" "$NODE" client "$GW_NODE"
  ip -n "$ROUTER" route replace "$CLIENT_IP/32" via "$NODE_IP" dev node onlink
  new_ns "$DNSNS"
  wire "$DNSNS" "$DNS_IP" "$ROUTER" dns "$GW_ROUTER"
  # ip netns exec bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf.
  # single-request: glibc sends A and AAAA one after the other. Sent at once from one socket,
  # the second can lose the conntrack race at kube-proxy's DNAT and the lookup waits for a
  # retry (single-request-reopen only changes sockets after such a loss).
  mkdir -p "/etc/netns/$CLIENT"
  printf 'nameserver %s\nsearch svc.cluster.local cluster.local\noptions ndots:5 timeout:1 attempts:4 single-request\n' "$DNS_SVC_IP" >"/etc/netns/$CLIENT/resolv.conf"

  # The API server listens on the host's loopback only: a relay per namespace, joined to
  # one on the host by a unix socket (file system paths cross network namespaces).
  launch relay-host socat "UNIX-LISTEN:$DP/api.sock,fork,mode=600" "TCP:127.0.0.1:$C_API_PORT"
  wait_until 5 "relay socket" test -S "$DP/api.sock"
  launch relay-node ip netns exec "$NODE" socat "TCP-LISTEN:$C_API_PORT,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$DP/api.sock"
  launch relay-dns ip netns exec "$DNSNS" socat "TCP-LISTEN:$C_API_PORT,bind=127.0.0.1,fork,reuseaddr" "UNIX-CONNECT:$DP/api.sock"

  client_kubeconfig "$DP/kube-proxy.kubeconfig" system:kube-proxy
  client_kubeconfig "$DP/coredns.kubeconfig" svclink-dataplane:coredns
  main_objects

  cat >"$DP/Corefile" <<EOF
cluster.local:53 {
    errors
    health 127.0.0.1:8080
    ready 127.0.0.1:8181
    kubernetes cluster.local {
        kubeconfig $DP/coredns.kubeconfig main
    }
}
EOF
  launch coredns ip netns exec "$DNSNS" "$bin/coredns" -conf "$DP/Corefile"
  # kube-proxy takes the Node of a kwok node (main-node-0) as its own; the conntrack
  # settings of 0 leave the host-wide sysctls alone.
  launch kube-proxy ip netns exec "$NODE" "$bin/kube-proxy" --kubeconfig "$DP/kube-proxy.kubeconfig" \
    --proxy-mode nftables --hostname-override "$C_NAME-node-0" --bind-address "$NODE_IP" \
    --cluster-cidr "$C_POD_CIDR" --conntrack-max-per-core 0 \
    --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0 \
    --healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 \
    --v 1
  # The state path on its command line makes it recognisably ours (see `ours`).
  launch reconcile "$0" reconcile "$DP" "$@"

  cat >"$DP/env" <<EOF
DP_PREFIX=$P
DP_CLIENT=$CLIENT
DP_NODE=$NODE
DP_ROUTER=$ROUTER
DP_CLIENT_IP=$CLIENT_IP
DP_NODE_IP=$NODE_IP
DP_DNS_IP=$DNS_IP
DP_DNS_SERVICE_IP=$DNS_SVC_IP
DP_MAIN=$1
DP_CLUSTERS="$*"
EOF
  wait_until 30 "kube-proxy's nft table" nsx "$NODE" nft list table ip kube-proxy
  wait_until 30 "first sandbox reconcile" test -f "$DP/reconciled"
  wait_until 60 "DNS through kube-proxy (kubernetes.default)" dns_is kubernetes.default.svc.cluster.local "$C_SERVICE_IP"
  trap - ERR
  log "up in $((SECONDS - t0))s: client namespace $CLIENT ($CLIENT_IP), kube-dns $DNS_SVC_IP, $(ls "$DP/sandboxes" | wc -l) sandboxes"
}

cmd_down() {
  need_root
  local f p ns
  # The reconciler first, so it makes no new sandbox while the rest goes.
  for f in "$DP"/run/reconcile.pid "$DP"/run/*.pid; do
    [ -f "$f" ] && stop_pid "$(cat "$f")"
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$p"; done
    ip netns del "$ns"
  done
  rm -rf "/etc/netns/$CLIENT"
  if [ -f "$DP/clusters" ] && [ -f "$CLUSTERS/bin-dir" ]; then
    load "$(cut -d' ' -f1 "$DP/clusters")"
    timeout 10 "$(cat "$CLUSTERS/bin-dir")/kubectl" --kubeconfig "$C_KUBECONFIG" --request-timeout 5s delete \
      -n kube-system service/kube-dns endpointslice/kube-dns-dataplane \
      clusterrolebinding/svclink-dataplane-coredns clusterrole/svclink-dataplane-coredns \
      --ignore-not-found >/dev/null 2>&1 || log "could not delete kube-dns objects from $C_NAME (not running?)"
  fi
  rm -rf "$DP"
  log "down: no $P-* namespace left$(ip netns list | grep -q "^$P-" && echo ' (SOME REMAIN)')"
}

cmd_status() {
  [ -f "$DP/env" ] || { echo "data plane: not up"; return 0; }
  cat "$DP/env"
  printf 'namespaces: %s\n' "$(ip netns list | grep -c "^$P-")"
  local f
  for f in "$DP"/run/*.pid; do
    [ -f "$f" ] || continue
    case $f in */sb-*) continue ;; esac
    printf '%-12s %s\n' "$(basename "$f" .pid)" "$(ours "$(cat "$f")" && echo running || echo STOPPED)"
  done
  echo "sandboxes:"
  for f in "$DP"/sandboxes/*; do [ -f "$f" ] && echo "  $(cat "$f")"; done
  return 0
}

require_up() { [ -f "$DP/env" ] || die "the data plane is not up (hack/dataplane.sh up MAIN REMOTE...)"; }

# dns_is NAME ADDR: NAME resolves to exactly ADDR from the client.
dns_is() { [ "$(cmd_dns "$1")" = "$2" ]; }
cmd_dns() {
  [ $# -eq 1 ] || die "usage: dns NAME"
  nsx "$CLIENT" getent ahostsv4 "$1" | awk '{print $1}' | sort -u
}

cmd_get() {
  [ $# -eq 2 ] && [[ $1 =~ ^[0-9]+$ ]] || die "usage: get N URL"
  # One process for all N: a fresh connection each time (kube-proxy picks per connection).
  nsx "$CLIENT" bash -c 'for ((i = 0; i < $1; i++)); do
      curl -sS --noproxy "*" --max-time "${DP_CURL_TIMEOUT:-5}" "$2" 2>/dev/null || echo "ERR curl-exit=$?"
    done' _ "$1" "$2"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) require_up; sed 's/^/export /' "$DP/env" ;;
  exec) require_up; need_root; nsx "$CLIENT" "$@" ;;
  get) require_up; need_root; cmd_get "$@" ;;
  dns) require_up; need_root; cmd_dns "$@" ;;
  reconcile) cmd_reconcile "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
