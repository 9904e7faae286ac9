#!/usr/bin/env bash
# Starts, stops and inspects real local Kubernetes control planes on 127.0.0.1 for svclink's
# tests: per cluster etcd, kube-apiserver, controller-manager, scheduler and kwok (fake nodes).
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/clusters.sh COMMAND [ARGS]

  up NAME [NAME...]         start one control plane per NAME (in parallel); no-op if running
  down [--purge] [NAME...]  stop the clusters (all when no NAME); --purge also deletes their state
  status                    per cluster: running/stopped, API URL, memory
  env NAME                  print shell export lines (KUBECONFIG, KUBECTL, SVCLINK_API_SERVER)
  token NAME [NS/]SA [DUR]  print a service-account bearer token (TokenRequest; default default/default, 1h)
  apiserver NAME stop|start kill (SIGKILL) or restart only that cluster's kube-apiserver (outage tests)
  apiserver-cmd NAME        print that cluster's kube-apiserver command line, one word per line, so
                            a test can run a second API server on the same etcd (its own port, cert)
  dataplane up MAIN [NAME...] | down | status | ...
                            opt-in data plane (root): pod sandboxes, kube-proxy, CoreDNS (hack/dataplane.sh)
  node up NAME [NODE] | down [NAME] | status | import NAME FILE.tar | ...
                            a real node (root): kubelet, containerd, runc, CNI bridge (hack/node.sh)
  expire NAME               restart etcd under a frozen kube-apiserver and compact it: every watch
                            ends and a resumed one gets 410 Gone (prints the compacted revision)

Environment:
  SVCLINK_STATE            state root (default <repo>/.state); clusters live in $SVCLINK_STATE/clusters
  SVCLINK_PORT_BASE        first port (default 27100); cluster in slot S uses BASE+10*S .. +5
  SVCLINK_KEY_ALG          rsa (default) or ec: key type of the CA, API server and admin certs
  SVCLINK_NODES            fake nodes per cluster (default 3)
  SVCLINK_ETCD_COMPACTION  kube-apiserver --etcd-compaction-interval (default 30s)
  SVCLINK_APISERVER_ARGS   extra kube-apiserver flags, split on spaces (e.g. --watch-cache=false)
  SVCLINK_UP_TIMEOUT       seconds each start-up wait may take (default 120)
  SVCLINK_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (default 15)
EOF
}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
STATE=${SVCLINK_STATE:-$repo/.state}/clusters
# Absolute, so the paths in the components' command lines (which pid_alive matches) are the
# same whatever directory a later `down` or `status` runs from.
case $STATE in /*) ;; *) STATE=$PWD/$STATE ;; esac
PORT_BASE=${SVCLINK_PORT_BASE:-27100}
PORT_STRIDE=10
# Slots index the per-cluster ranges: service CIDR 10.(96+S).0.0/16, pod CIDR 10.(244+S).0.0/16.
MAX_SLOTS=10
KEY_ALG=${SVCLINK_KEY_ALG:-rsa}
NODES=${SVCLINK_NODES:-3}
COMPACTION=${SVCLINK_ETCD_COMPACTION:-30s}
read -r -a APISERVER_EXTRA <<<"${SVCLINK_APISERVER_ARGS:-}"
UP_TIMEOUT=${SVCLINK_UP_TIMEOUT:-120}
STOP_TIMEOUT=${SVCLINK_STOP_TIMEOUT:-15}
# Start order; `down` stops the others first, etcd last.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
KCM_CONTROLLERS=deployment-controller,replicaset-controller,garbage-collector-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,endpointslice-controller,endpoints-controller,root-ca-certificate-publisher-controller,service-cidr-controller

CLUSTER=""   # set inside per-cluster workers, for log prefixes
log() { printf '[clusters%s] %s\n' "${CLUSTER:+ $CLUSTER}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------------------------------
# Per-cluster state

# load_cluster NAME: sets dir and the values recorded in cluster.env (ports, CIDRs, ...).
load_cluster() {
  dir=$STATE/$1
  [ -f "$dir/cluster.env" ] || die "no cluster named '$1' in $STATE"
  # shellcheck disable=SC1091 # written by this script
  . "$dir/cluster.env"
}

valid_name() {
  [[ $1 =~ ^[a-z0-9]([-a-z0-9]{0,38}[a-z0-9])?$ ]] || die "bad cluster name '$1' (lowercase DNS label, at most 40 chars)"
}

# create_cluster NAME: gives a new cluster the lowest free slot and writes cluster.env.
# The slot, not the position on the command line, fixes ports and CIDRs, so a cluster keeps
# them across restarts and clusters started by separate `up` calls never collide. A slot
# whose ports are busy right now is skipped too, so clusters of another state dir (say the
# demo's while tests run) are avoided. Runs under a lock so concurrent `up` calls do not
# pick the same slot.
create_cluster() {
  local name=$1 d=$STATE/$1 s used slot=""
  [ -f "$d/cluster.env" ] && return 0
  used=" "
  for s in "$STATE"/*/cluster.env; do
    [ -f "$s" ] && used+="$(sed -n 's/^SLOT=//p' "$s") "
  done
  for ((s = 0; s < MAX_SLOTS; s++)); do
    case $used in *" $s "*) continue ;; esac
    slot_ports_free "$s" && { slot=$s; break; }
  done
  [ -n "$slot" ] || die "no free cluster slot: all $MAX_SLOTS are taken in $STATE or their ports ($PORT_BASE..) are in use; remove one with 'down --purge NAME' or set SVCLINK_PORT_BASE"
  case $KEY_ALG in rsa|ec) ;; *) die "SVCLINK_KEY_ALG must be rsa or ec, not '$KEY_ALG'" ;; esac
  local base=$((PORT_BASE + slot * PORT_STRIDE))
  mkdir -p "$d"
  cat >"$d/cluster.env.tmp" <<EOF
NAME=$name
SLOT=$slot
API_PORT=$base
API_URL=https://127.0.0.1:$base
ETCD_PORT=$((base + 1))
ETCD_PEER_PORT=$((base + 2))
KCM_PORT=$((base + 3))
SCHEDULER_PORT=$((base + 4))
KWOK_PORT=$((base + 5))
SERVICE_CIDR=10.$((96 + slot)).0.0/16
SERVICE_IP=10.$((96 + slot)).0.1
POD_CIDR=10.$((244 + slot)).0.0/16
TLS_SERVER_NAME=$name.svclink.test
KEY_ALG=$KEY_ALG
KUBECONFIG=$d/kubeconfig
EOF
  mv "$d/cluster.env.tmp" "$d/cluster.env"
}

# pid_alive PID: true when PID runs and is one of ours (its command line names this cluster's
# directory), so a stale pids file whose PID got reused never makes us signal a stranger.
# Zombies count as gone.
pid_alive() {
  local pid=$1 st
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  st=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"
}

# comp_pid COMP: the recorded PID of a component of the loaded cluster (empty if none).
comp_pid() {
  if [ -f "$dir/pids" ]; then awk -v c="$1" '$1 == c {p = $2} END {if (p) print p}' "$dir/pids"; fi
}

# alive_components: names of the loaded cluster's components that are running.
alive_components() {
  local c p
  for c in "${COMPONENTS[@]}"; do
    p=$(comp_pid "$c")
    [ -n "$p" ] && pid_alive "$p" && printf '%s ' "$c"
  done
  return 0
}

log_tail() {
  local f=$dir/logs/$1.log
  [ -f "$f" ] || return 0
  log "last lines of $f:"
  tail -n "${2:-25}" "$f" | sed 's/^/    /' >&2
}

# ---------------------------------------------------------------------------------------
# Certificates (openssl CLI), kubeconfigs

# new_key FILE ALG: rsa -> PKCS#1 "RSA PRIVATE KEY", ec -> SEC1 "EC PRIVATE KEY" (P-256),
# the traditional encodings kubeadm and most kubeconfigs carry.
new_key() {
  if [ "$2" = ec ]; then
    openssl ecparam -name prime256v1 -genkey -noout -out "$1" 2>/dev/null
  else
    # OpenSSL 3 writes PKCS#8 unless told -traditional; 1.1 has no such flag but writes PKCS#1.
    openssl genrsa -traditional -out "$1" 2048 2>/dev/null || openssl genrsa -out "$1" 2048 2>/dev/null
  fi
}

# sign_cert NAME SUBJECT ALG EXTENSIONS: key pki/NAME.key and cert pki/NAME.crt signed by the CA.
sign_cert() {
  local n=$1 subj=$2 alg=$3 ext=$4 pki=$dir/pki
  new_key "$pki/$n.key" "$alg"
  printf '[ext]\n%s\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n' "$ext" >"$pki/tmp/$n.ext"
  openssl req -new -key "$pki/$n.key" -subj "$subj" -out "$pki/tmp/$n.csr" 2>/dev/null
  openssl x509 -req -in "$pki/tmp/$n.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -set_serial "0x$(openssl rand -hex 15)" -days 3650 -sha256 \
    -extfile "$pki/tmp/$n.ext" -extensions ext -out "$pki/$n.crt" 2>/dev/null
}

# kubelet_client_cert: the API server's client certificate for kubelets (logs, exec):
# hack/node.sh's kubelet trusts the cluster's CA. Made for clusters whose PKI predates it.
kubelet_client_cert() {
  local pki=$dir/pki
  [ -f "$pki/apiserver-kubelet-client.crt" ] && return 0
  mkdir -p "$pki/tmp"
  sign_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" ec \
    "basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth"
  chmod 600 "$pki/apiserver-kubelet-client.key"
  rm -rf "$pki/tmp"
}

# make_pki: CA, serving and client certs, service-account key pair. Kept across restarts;
# regenerated as a whole if an earlier run was interrupted half-way.
make_pki() {
  local pki=$dir/pki
  [ -f "$pki/.complete" ] && { kubelet_client_cert; return 0; }
  rm -rf "$pki"
  mkdir -p "$pki/tmp"
  chmod 700 "$pki"
  local usage_kem=",keyEncipherment"
  [ "$KEY_ALG" = ec ] && usage_kem=""   # key encipherment does not exist for EC keys
  new_key "$pki/ca.key" "$KEY_ALG"
  printf '[req]\ndistinguished_name = dn\n[dn]\n[ext]\nbasicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier = hash\n' >"$pki/tmp/ca.cnf"
  openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=svclink-$NAME-ca" -days 3650 -sha256 \
    -config "$pki/tmp/ca.cnf" -extensions ext -out "$pki/ca.crt" 2>/dev/null
  # Serving cert: the IP SAN and the DNS SANs let clients test both verification paths
  # (connect to 127.0.0.1 and verify by IP, or set tls-server-name to a DNS SAN).
  sign_cert apiserver "/CN=kube-apiserver" "$KEY_ALG" \
    "basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature$usage_kem
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:$TLS_SERVER_NAME,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  local client="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature$usage_kem
extendedKeyUsage = clientAuth"
  sign_cert admin "/O=system:masters/CN=svclink-admin" "$KEY_ALG" "$client"
  # Internal components always get fast EC keys; their key type does not matter to svclink.
  local ec_client="basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth"
  # kube-controller-manager and kube-scheduler use the identities the bootstrap RBAC policy
  # grants; kwok changes node and pod status everywhere, so it gets system:masters.
  sign_cert kube-controller-manager "/CN=system:kube-controller-manager" ec "$ec_client"
  sign_cert kube-scheduler "/CN=system:kube-scheduler" ec "$ec_client"
  sign_cert kwok "/O=system:masters/CN=kwok" ec "$ec_client"
  # Service-account token signing pair (RS256); kube-controller-manager signs with it too.
  new_key "$pki/sa.key" rsa
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  rm -rf "$pki/tmp"
  kubelet_client_cert
  chmod 600 "$pki"/*.key
  touch "$pki/.complete"
}

b64() { base64 -w0 <"$1"; }

# write_kubeconfig FILE USER: self-contained kubeconfig (all *-data fields embedded) for the
# client cert pki/USER.crt. Context NAME reaches the server by IP (IP SAN check); context
# NAME-dns sets tls-server-name so the DNS SAN path is used with the same address.
write_kubeconfig() {
  local out=$1 user=$2 pki=$dir/pki
  (
    umask 077
    cat >"$out.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $NAME
  cluster:
    server: $API_URL
    certificate-authority-data: $(b64 "$pki/ca.crt")
- name: $NAME-dns
  cluster:
    server: $API_URL
    tls-server-name: $TLS_SERVER_NAME
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: $NAME-$user
  user:
    client-certificate-data: $(b64 "$pki/$user.crt")
    client-key-data: $(b64 "$pki/$user.key")
contexts:
- name: $NAME
  context:
    cluster: $NAME
    user: $NAME-$user
- name: $NAME-dns
  context:
    cluster: $NAME-dns
    user: $NAME-$user
current-context: $NAME
EOF
    mv "$out.tmp" "$out"
  )
}

# ---------------------------------------------------------------------------------------
# Processes

port_in_use() {
  if command -v ss >/dev/null; then
    [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

slot_ports_free() {
  local p base=$((PORT_BASE + $1 * PORT_STRIDE))
  for ((p = base; p < base + 6; p++)); do
    ! port_in_use "$p" || return 1
  done
}

check_ports_free() {
  local what port
  for what in API_PORT ETCD_PORT ETCD_PEER_PORT KCM_PORT SCHEDULER_PORT KWOK_PORT; do
    port=${!what}
    if port_in_use "$port"; then
      die "port $port ($what of cluster $NAME) on 127.0.0.1 is already in use; free it (ss -ltnp 'sport = :$port') or pick another range with SVCLINK_PORT_BASE (then 'down --purge $NAME' to forget the old ports)"
    fi
  done
}

# launch COMP ARGS...: start ARGS in its own session (so terminal signals and the caller's
# process group do not reach it), output to logs/COMP.log, PID appended to $dir/pids.
# setsid -f always forks; the shell it runs closes every inherited descriptor above 2 (a
# daemon holding a caller's pipe would make `up | tee` hang), writes its own PID and then
# execs the binary, so the recorded PID is the component's.
LAUNCH_WRAPPER='for f in /proc/$$/fd/*; do f=${f##*/}; [ "$f" -gt 2 ] && eval "exec $f>&-"; done
echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"'
launch() {
  local comp=$1 pidfile=$dir/run/$1.pid pid="" i
  shift
  mkdir -p "$dir/run" "$dir/logs"
  rm -f "$pidfile"
  [ -f "$dir/logs/$comp.log" ] && mv -f "$dir/logs/$comp.log" "$dir/logs/$comp.log.prev"
  setsid -f bash -c "$LAUNCH_WRAPPER" "$pidfile" "$@" </dev/null >"$dir/logs/$comp.log" 2>&1
  for ((i = 0; i < 100; i++)); do
    [ -s "$pidfile" ] && { pid=$(cat "$pidfile"); break; }
    sleep 0.05
  done
  [ -n "$pid" ] || die "$comp did not start (no PID after 5s)"
  echo "$comp $pid" >>"$dir/pids"
}

# wait_for SECONDS WHAT COMP CMD...: poll CMD until it succeeds. Fails early if COMP's
# process has exited, and on timeout; both print the tail of COMP's log.
wait_for() {
  local limit=$1 what=$2 comp=$3 deadline pid
  shift 3
  deadline=$((SECONDS + limit))
  pid=$(comp_pid "$comp")
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$pid"; then
      log "$comp exited while waiting for $what"
      log_tail "$comp"
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "$what did not come up within ${limit}s"
      log_tail "$comp"
      return 1
    fi
    sleep 0.2
  done
}

# curl on loopback only; --noproxy so a proxy in the environment is never used.
# A non-curl User-Agent: the API server pretty-prints JSON for curl, and nodes_ready wants it compact.
lcurl() { curl -fsS --noproxy '*' --max-time 3 -A svclink-clusters "$@"; }
api_get() {
  lcurl --cacert "$dir/pki/ca.crt" --cert "$dir/pki/admin.crt" --key "$dir/pki/admin.key" "$API_URL$1"
}
etcd_healthy() { lcurl "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
api_ready() { api_get /readyz | grep -qx ok; }
# -k: these two serve a self-signed cert made in memory; this is only a local liveness probe.
kcm_healthy() { lcurl -k "https://127.0.0.1:$KCM_PORT/healthz" | grep -qx ok; }
scheduler_healthy() { lcurl -k "https://127.0.0.1:$SCHEDULER_PORT/healthz" | grep -qx ok; }
kwok_healthy() { lcurl "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null; }
# The API server's compact JSON has each NodeCondition as {"type":..,"status":..,...}.
nodes_ready() {
  local n
  n=$(api_get "/api/v1/nodes?labelSelector=svclink.test/fake-node%3Dtrue" | grep -o '"type":"Ready","status":"True"' | wc -l)
  [ "$n" -ge "$NODES" ]
}
# The serviceaccount controller creates it; pods cannot be admitted in a namespace before.
default_sa_exists() { api_get /api/v1/namespaces/default/serviceaccounts/default >/dev/null; }

# node_manifest: NODES fake nodes for kwok. Each gets a /24 of the cluster's pod CIDR (kwok
# hands out pod IPs from spec.podCIDR) and a loopback InternalIP that nothing connects to.
node_manifest() {
  local i prefix=${POD_CIDR%.0.0/16}
  for ((i = 0; i < NODES; i++)); do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $NAME-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
  labels:
    type: kwok
    svclink.test/fake-node: "true"
    kubernetes.io/hostname: $NAME-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-$i
spec:
  podCIDR: $prefix.$i.0/24
  podCIDRs: [$prefix.$i.0/24]
status:
  addresses:
  - type: InternalIP
    address: 127.1.$SLOT.$((i + 1))
  - type: Hostname
    address: $NAME-node-$i
EOF
  done
}

# stop_pids PID...: SIGTERM, wait up to STOP_TIMEOUT, then SIGKILL and wait a little more.
stop_pids() {
  local p alive=("$@") left=() deadline
  [ $# -gt 0 ] || return 0
  kill -TERM "${alive[@]}" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while :; do
    left=()
    for p in "${alive[@]}"; do pid_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || break
    sleep 0.1
  done
  log "still running after ${STOP_TIMEOUT}s, sending SIGKILL to: ${left[*]}"
  kill -KILL "${left[@]}" 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while [ "$SECONDS" -lt "$deadline" ]; do
    alive=("${left[@]}")
    left=()
    for p in "${alive[@]}"; do pid_alive "$p" && left+=("$p"); done
    [ ${#left[@]} -gt 0 ] || return 0
    sleep 0.1
  done
  die "processes did not exit even after SIGKILL: ${left[*]}"
}

# stop_cluster: stops the loaded cluster's live components. etcd goes last: an API server
# whose etcd is already gone hangs in its shutdown until it is killed.
stop_cluster() {
  local c p first=() last=()
  for c in "${COMPONENTS[@]}"; do
    p=$(comp_pid "$c")
    if [ -n "$p" ] && pid_alive "$p"; then
      if [ "$c" = etcd ]; then last+=("$p"); else first+=("$p"); fi
    fi
  done
  stop_pids "${first[@]}"
  stop_pids "${last[@]}"
}

# ---------------------------------------------------------------------------------------
# up

# start_apiserver: launches the loaded cluster's kube-apiserver (cluster_up, and the
# `apiserver NAME start` command that tests use to simulate an outage and recovery).
# apiserver_args: the loaded cluster's kube-apiserver flags, one per array element.
apiserver_args() {
  APISERVER_ARGS=(
    --etcd-servers "http://127.0.0.1:$ETCD_PORT"
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT"
    --tls-cert-file "$dir/pki/apiserver.crt" --tls-private-key-file "$dir/pki/apiserver.key"
    --client-ca-file "$dir/pki/ca.crt"
    --authorization-mode RBAC
    --service-account-issuer "https://$TLS_SERVER_NAME"
    --service-account-key-file "$dir/pki/sa.pub"
    --service-account-signing-key-file "$dir/pki/sa.key"
    --service-cluster-ip-range "$SERVICE_CIDR"
    --etcd-compaction-interval "$COMPACTION"
    --disable-admission-plugins TaintNodesByCondition
    --endpoint-reconciler-type none
    --kubelet-client-certificate "$dir/pki/apiserver-kubelet-client.crt"
    --kubelet-client-key "$dir/pki/apiserver-kubelet-client.key"
    --kubelet-preferred-address-types InternalIP
    --profiling=false ${APISERVER_EXTRA[@]+"${APISERVER_EXTRA[@]}"}
  )
}

start_apiserver() {
  apiserver_args
  launch kube-apiserver "$BIN/kube-apiserver" "${APISERVER_ARGS[@]}"
}

# start_etcd: launches the loaded cluster's etcd (cluster_up, and `expire`, which restarts it).
start_etcd() {
  launch etcd "$BIN/etcd" --name "$NAME" --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "$NAME=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --unsafe-no-fsync --quota-backend-bytes $((1024 * 1024 * 1024)) --log-level warn
}

# cluster_up NAME: runs in a background worker, one per cluster.
cluster_up() {
  CLUSTER=$1
  load_cluster "$1"
  local t0=$SECONDS running
  running=$(alive_components)
  if [ "$running" = "${COMPONENTS[*]} " ] && api_ready; then
    log "already running at $API_URL"
    return 0
  fi
  if [ -n "$running" ]; then
    log "partly running ($running), restarting it"
    stop_cluster
  fi
  : >"$dir/pids"
  # From here on, a failure stops whatever this worker (a subshell of its own) started.
  # The trap restores stderr from ERRFD first: a signal can end the worker inside a command
  # whose output is redirected to /dev/null (wait_for's probes), and the trap inherits that.
  up_ok=0
  exec {ERRFD}>&2
  trap 'exec 2>&$ERRFD; if [ "$up_ok" != 1 ]; then log "start-up failed, stopping its processes (logs kept in $dir/logs)"; stop_cluster || true; fi' EXIT
  trap 'exit 130' TERM INT
  check_ports_free

  # etcd needs no certificates: start it first and make the certs while it comes up.
  start_etcd
  make_pki
  write_kubeconfig "$dir/kubeconfig" admin
  mkdir -p "$dir/kubeconfigs"
  local c
  for c in kube-controller-manager kube-scheduler kwok; do write_kubeconfig "$dir/kubeconfigs/$c" "$c"; done
  wait_for "$UP_TIMEOUT" "etcd on 127.0.0.1:$ETCD_PORT" etcd etcd_healthy

  # --endpoint-reconciler-type none: the default reconciler would publish the advertise
  # address as the `kubernetes` Service's endpoint, and Endpoints reject loopback addresses
  # (an error every few seconds); the Service itself is still created.
  # TaintNodesByCondition would put node.kubernetes.io/not-ready:NoSchedule on every new
  # Node; only the node-lifecycle controller (which we do not run: it would evict kwok's
  # pods whenever heartbeats lag) lifts it, so pods would never be scheduled.
  start_apiserver
  wait_for "$UP_TIMEOUT" "kube-apiserver /readyz at $API_URL" kube-apiserver api_ready
  log "kube-apiserver ready after $((SECONDS - t0))s"

  launch kube-controller-manager "$BIN/kube-controller-manager" \
    --kubeconfig "$dir/kubeconfigs/kube-controller-manager" \
    --controllers "$KCM_CONTROLLERS" --use-service-account-credentials \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$KCM_PORT" \
    --service-account-private-key-file "$dir/pki/sa.key" --root-ca-file "$dir/pki/ca.crt" \
    --profiling=false
  launch kube-scheduler "$BIN/kube-scheduler" \
    --kubeconfig "$dir/kubeconfigs/kube-scheduler" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHEDULER_PORT" \
    --profiling=false
  # KWOK_WORKDIR: keep kwok away from ~/.kwok/kwok.yaml. kwok's built-in default stages
  # (node-initialize, node heartbeat, pod-ready/complete/delete) are what we need.
  launch kwok env KWOK_WORKDIR="$dir/kwok" "$BIN/kwok" \
    --kubeconfig "$dir/kubeconfigs/kwok" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr "$POD_CIDR" --server-address "127.0.0.1:$KWOK_PORT"
  node_manifest | "$BIN/kubectl" --kubeconfig "$dir/kubeconfig" apply -f - >"$dir/logs/nodes.log" 2>&1 ||
    { log "creating the fake nodes failed:"; sed 's/^/    /' "$dir/logs/nodes.log" >&2; return 1; }

  wait_for "$UP_TIMEOUT" "kube-controller-manager /healthz on :$KCM_PORT" kube-controller-manager kcm_healthy
  wait_for "$UP_TIMEOUT" "kube-scheduler /healthz on :$SCHEDULER_PORT" kube-scheduler scheduler_healthy
  wait_for "$UP_TIMEOUT" "kwok /healthz on :$KWOK_PORT" kwok kwok_healthy
  wait_for "$UP_TIMEOUT" "$NODES Ready fake nodes (kwok)" kwok nodes_ready
  wait_for "$UP_TIMEOUT" "ServiceAccount default/default (kube-controller-manager)" kube-controller-manager default_sa_exists
  up_ok=1
  log "up in $((SECONDS - t0))s: $API_URL"
}

cmd_up() {
  [ $# -gt 0 ] || die "usage: up NAME [NAME...]"
  local n names=() seen=" "
  for n in "$@"; do
    valid_name "$n"
    case $seen in *" $n "*) continue ;; esac
    seen+="$n "
    names+=("$n")
  done
  command -v openssl >/dev/null || die "openssl is needed"
  command -v curl >/dev/null || die "curl is needed"
  BIN=$("$here/k8s-bin.sh" | tail -n 1)
  [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kwok" ] || die "k8s-bin.sh did not give a bin directory (got '$BIN')"
  mkdir -p "$STATE"
  echo "$BIN" >"$STATE/bin-dir"
  (
    flock -w 30 9 || die "could not lock $STATE/.lock"
    for n in "${names[@]}"; do create_cluster "$n"; done
  ) 9>"$STATE/.lock"

  local t0=$SECONDS pids=() failed=() i
  for n in "${names[@]}"; do
    cluster_up "$n" &
    pids+=($!)
  done
  # Ctrl-C or SIGTERM: the workers stop what they started.
  trap 'kill -TERM "${pids[@]}" 2>/dev/null; wait; exit 130' INT TERM
  for i in "${!names[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  trap - INT TERM
  [ ${#failed[@]} -eq 0 ] || die "could not start: ${failed[*]} (logs under $STATE/<name>/logs)"
  log "all up in $((SECONDS - t0))s"
  for n in "${names[@]}"; do
    load_cluster "$n"
    printf '%-12s %s  export KUBECONFIG=%s\n' "$n" "$API_URL" "$dir/kubeconfig"
  done
  printf 'kubectl: %s/kubectl   (or: eval "$(%s env NAME)")\n' "$BIN" "$0"
}

# ---------------------------------------------------------------------------------------
# down, status, env, token

all_clusters() {
  local f
  for f in "$STATE"/*/cluster.env; do
    [ -f "$f" ] && basename "$(dirname "$f")"
  done
  return 0
}

cmd_down() {
  local purge=0 names=() n pids=() failed=() i
  while [ $# -gt 0 ]; do
    case $1 in
      --purge) purge=1 ;;
      -*) die "unknown option $1" ;;
      *) names+=("$1") ;;
    esac
    shift
  done
  [ ${#names[@]} -gt 0 ] || mapfile -t names < <(all_clusters)
  [ ${#names[@]} -gt 0 ] || { log "no clusters in $STATE"; return 0; }
  local t0=$SECONDS
  for n in "${names[@]}"; do
    valid_name "$n"
    [ -f "$STATE/$n/cluster.env" ] || die "no cluster named '$n' in $STATE"
  done
  # A real node (hack/node.sh) goes first, while its API server still answers: its pods
  # are deleted through it, and its mounts must be gone before any state is removed.
  for n in "${names[@]}"; do
    if [ -d "$STATE/$n/node" ]; then
      "$here/node.sh" down "$n" || die "could not take the node of $n down (see hack/node.sh status)"
    fi
  done
  for n in "${names[@]}"; do
    ( CLUSTER=$n; load_cluster "$n"; stop_cluster ) &
    pids+=($!)
  done
  for i in "${!names[@]}"; do
    wait "${pids[$i]}" || failed+=("${names[$i]}")
  done
  [ ${#failed[@]} -eq 0 ] || die "could not stop: ${failed[*]}"
  if [ "$purge" = 1 ]; then
    for n in "${names[@]}"; do rm -rf "${STATE:?}/$n"; done
  fi
  log "stopped ${names[*]} in $((SECONDS - t0))s$([ "$purge" = 1 ] && echo ', state removed')"
}

cmd_status() {
  local n c p running rss
  printf '%-12s %-8s %-26s %-9s %s\n' NAME STATE API RSS_MiB NOT_RUNNING
  for n in $(all_clusters); do
    load_cluster "$n"
    running=$(alive_components)
    local down="" kb=0
    for c in "${COMPONENTS[@]}"; do
      case " $running" in *" $c "*)
        p=$(comp_pid "$c")
        rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        kb=$((kb + ${rss:-0}))
        ;;
      *) down+="$c " ;;
      esac
    done
    local st=running
    [ -z "$running" ] && st=stopped
    [ -n "$running" ] && [ -n "$down" ] && st=partial
    printf '%-12s %-8s %-26s %-9s %s\n' "$n" "$st" "$API_URL" $((kb / 1024)) "${down:--}"
  done
}

cmd_env() {
  [ $# -eq 1 ] || die "usage: env NAME"
  valid_name "$1"
  load_cluster "$1"
  printf 'export KUBECONFIG=%q\n' "$dir/kubeconfig"
  printf 'export SVCLINK_API_SERVER=%q\n' "$API_URL"
  [ -f "$STATE/bin-dir" ] && printf 'export KUBECTL=%q\n' "$(cat "$STATE/bin-dir")/kubectl"
  return 0
}

cmd_token() {
  [ $# -ge 1 ] && [ $# -le 3 ] || die "usage: token NAME [NAMESPACE/]SERVICEACCOUNT [DURATION]"
  valid_name "$1"
  load_cluster "$1"
  local sa=${2:-default/default} ns=default
  case $sa in */*) ns=${sa%%/*}; sa=${sa#*/} ;; esac
  [ -f "$STATE/bin-dir" ] || die "no kubectl recorded; run 'up' first"
  "$(cat "$STATE/bin-dir")/kubectl" --kubeconfig "$dir/kubeconfig" -n "$ns" create token "$sa" --duration "${3:-1h}"
}

# for_cluster NAME: loads an existing cluster and the binaries it was started with, for the
# commands that act on one component of it.
for_cluster() {
  valid_name "$1"
  CLUSTER=$1
  load_cluster "$1"
  BIN=$(cat "$STATE/bin-dir")
}

# apiserver NAME stop|start: stops or restarts only the API server of a running cluster,
# for tests of outages (the rest of the control plane keeps its state in etcd).
cmd_apiserver() {
  [ $# -eq 2 ] || die "usage: apiserver NAME stop|start"
  for_cluster "$1"
  local p
  p=$(comp_pid kube-apiserver)
  case $2 in
    stop)
      # SIGKILL: an outage, not a graceful shutdown (which waits for watches to drain).
      if [ -n "$p" ] && pid_alive "$p"; then STOP_TIMEOUT=0 stop_pids "$p"; fi
      log "kube-apiserver stopped" ;;
    start)
      if [ -n "$p" ] && pid_alive "$p"; then log "kube-apiserver already running"; return 0; fi
      start_apiserver
      wait_for "$UP_TIMEOUT" "kube-apiserver /readyz at $API_URL" kube-apiserver api_ready
      log "kube-apiserver ready at $API_URL" ;;
    *) die "usage: apiserver NAME stop|start" ;;
  esac
}

# apiserver-cmd NAME: the kube-apiserver binary and flags of a cluster, one per line (a test
# that starts a second instance owns it: it replaces the port and serving cert flags).
cmd_apiserver_cmd() {
  [ $# -eq 1 ] || die "usage: apiserver-cmd NAME"
  for_cluster "$1"
  apiserver_args
  printf '%s\n' "$BIN/kube-apiserver" "${APISERVER_ARGS[@]}"
}

# expire NAME: makes every watch on that cluster's API server expire, as after a long etcd
# disconnection: the API server is frozen (SIGSTOP), etcd is killed and started again, a
# marker key is written and etcd compacted to its newest revision, then the API server runs
# on. Its watch caches find their etcd watches compacted and end every client watch; a
# client resuming from its resourceVersion is answered 410 Gone. Prints that revision.
etcd_post() { lcurl -X POST "http://127.0.0.1:$ETCD_PORT/v3/$1" -d "$2"; }
cmd_expire() {
  [ $# -eq 1 ] || die "usage: expire NAME"
  for_cluster "$1"
  local api etcd rev
  api=$(comp_pid kube-apiserver) etcd=$(comp_pid etcd)
  pid_alive "$api" && pid_alive "$etcd" || die "etcd and kube-apiserver must both run (see 'status')"
  kill -STOP "$api"
  # Whatever happens next, the API server must not stay frozen.
  trap 'kill -CONT "$api" 2>/dev/null' EXIT
  STOP_TIMEOUT=0 stop_pids "$etcd"
  start_etcd
  wait_for "$UP_TIMEOUT" "etcd on 127.0.0.1:$ETCD_PORT" etcd etcd_healthy
  etcd_post kv/put "{\"key\":\"$(printf /svclink-harness/expire | base64 -w0)\",\"value\":\"$(date +%s | base64 -w0)\"}" >/dev/null ||
    die "etcd did not take the marker key"
  rev=$(etcd_post kv/range '{"key":"AA=="}' | grep -oE '"revision":"[0-9]+"' | head -n1 | grep -oE '[0-9]+')
  [ -n "$rev" ] || die "etcd did not say its revision"
  etcd_post kv/compaction "{\"revision\":\"$rev\",\"physical\":true}" >/dev/null || die "compaction at $rev failed"
  kill -CONT "$api"
  trap - EXIT
  wait_for "$UP_TIMEOUT" "kube-apiserver /readyz at $API_URL" kube-apiserver api_ready
  log "etcd restarted and compacted at revision $rev; watches on $API_URL expire"
  echo "$rev"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  env) cmd_env "$@" ;;
  token) cmd_token "$@" ;;
  apiserver) cmd_apiserver "$@" ;;
  apiserver-cmd) cmd_apiserver_cmd "$@" ;;
  dataplane) exec "$here/dataplane.sh" "$@" ;;
  node) exec "$here/node.sh" "$@" ;;
  expire) cmd_expire "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
