#!/usr/bin/env bash
# Checks the test control planes from hack/clusters.sh: API reachable, version, distinct
# CIDRs, and that Deployments end up as EndpointSlices with kwok's pod IPs.
# Needs E2E_STATE, E2E_KUBECTL, E2E_ROOT (set by the runner after `clusters.sh up main cluster-a cluster-b`).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"

CLUSTERS=(main cluster-a cluster-b)
WANT_VERSION=v1.33.13
NS=e2e-clusters-$$

# cluster_var CLUSTER KEY: a value from the cluster's cluster.env (written by clusters.sh).
cluster_var() { sed -n "s/^$2=//p" "$E2E_STATE/$1/cluster.env" 2>/dev/null; }

ip2int() {
  local IFS=. a b c d
  read -r a b c d <<<"$1"
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}
# in_cidr IP CIDR (IPv4)
in_cidr() {
  local net=${2%/*} bits=${2#*/} mask
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || return 1
  mask=$(((0xffffffff << (32 - bits)) & 0xffffffff))
  [ $(($(ip2int "$1") & mask)) -eq $(($(ip2int "$net") & mask)) ]
}
# cidrs_overlap A B: one contains the other's network address.
cidrs_overlap() { in_cidr "${1%/*}" "$2" || in_cidr "${2%/*}" "$1"; }

# 1. The API answers on each cluster.
for c in "${CLUSTERS[@]}"; do
  if out=$(e2e_kubectl "$c" get ns -o name 2>&1) && grep -qx namespace/default <<<"$out"; then
    e2e_pass "clusters: kubectl get ns works on $c"
  else
    e2e_fail "clusters: kubectl get ns works on $c" "$(tail -n 3 <<<"$out" | tr '\n' ' ')"
  fi
done

# 2. cluster-a: Deployment -> kwok pods with IPs -> EndpointSlice from the real controller.
A="cluster-a"
ka() { e2e_kubectl "$A" -n "$NS" "$@"; }
pod_ips() { ka get pods -l app=web -o jsonpath='{range .items[*]}{range .status.podIPs[*]}{.ip}{"\n"}{end}{end}' | sort; }
# Endpoint lines "ADDRESS READY"; one address per endpoint for single-stack IPv4.
slice_eps() {
  ka get endpointslices -l kubernetes.io/service-name=web \
    -o jsonpath='{range .items[*].endpoints[*]}{.addresses[*]} {.conditions.ready}{"\n"}{end}' | sort
}
two_pods_have_ips() { [ "$(pod_ips | grep -c .)" -eq 2 ]; }
slice_matches_pods() {
  local ips eps
  ips=$(pod_ips) && eps=$(slice_eps) || return 1
  [ "$(grep -c . <<<"$ips")" -eq 2 ] || return 1
  [ "$(cut -d' ' -f1 <<<"$eps")" = "$ips" ] || return 1
  ! grep -qv ' true$' <<<"$eps"
}
name="clusters: EndpointSlice on $A has the Deployment's pod IPs, all ready, in the pod CIDR"
if ! e2e_kubectl "$A" create namespace "$NS" >/dev/null; then
  e2e_fail "$name" "could not create namespace $NS"
elif ! ka create deployment web --image=registry.invalid/svclink/web:1 --replicas=2 --port=8080 >/dev/null ||
  ! ka create service clusterip web --tcp=80:8080 >/dev/null; then
  e2e_fail "$name" "could not create the Deployment or Service"
elif ! e2e_wait 60 two_pods_have_ips; then
  e2e_fail "$name" "pods did not get IPs within 60s: $(ka get pods -o wide --no-headers 2>&1 | tr '\n' ';')"
elif ! e2e_wait 60 slice_matches_pods; then
  e2e_fail "$name" "pod IPs [$(pod_ips | tr '\n' ' ')] vs slice endpoints [$(slice_eps | tr '\n' ',')]"
else
  cidr=$(cluster_var "$A" POD_CIDR)
  bad=""
  for ip in $(pod_ips); do in_cidr "$ip" "$cidr" || bad+="$ip "; done
  if [ -z "$cidr" ]; then
    e2e_fail "$name" "no POD_CIDR in $E2E_STATE/$A/cluster.env"
  elif [ -n "$bad" ]; then
    e2e_fail "$name" "pod IPs outside $cidr: $bad"
  else
    e2e_pass "$name"
  fi
fi

# 3. Each API server reports the pinned version.
for c in "${CLUSTERS[@]}"; do
  v=$(e2e_kubectl "$c" get --raw /version 2>&1 | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p')
  if [ "$v" = "$WANT_VERSION" ]; then
    e2e_pass "clusters: $c /version is $WANT_VERSION"
  else
    e2e_fail "clusters: $c /version is $WANT_VERSION" "got '${v:-nothing}'"
  fi
done

# 4. Distinct service and pod CIDRs: the `kubernetes` Service IPs differ, each lies in its
# cluster's service CIDR; each cluster's nodes' podCIDRs lie in its own pod CIDR, and the
# clusters' pod CIDRs do not overlap.
svc_problem="" pod_problem="" seen_ips=" "
for c in "${CLUSTERS[@]}"; do
  ip=$(e2e_kubectl "$c" -n default get service kubernetes -o jsonpath='{.spec.clusterIP}' 2>/dev/null)
  scidr=$(cluster_var "$c" SERVICE_CIDR)
  case $seen_ips in *" $ip "*) svc_problem+="$c reuses $ip; " ;; esac
  seen_ips+="$ip "
  in_cidr "$ip" "$scidr" || svc_problem+="$c: '$ip' not in '$scidr'; "
  pcidr=$(cluster_var "$c" POD_CIDR)
  node_cidrs=$(e2e_kubectl "$c" get nodes -o jsonpath='{.items[*].spec.podCIDR}' 2>/dev/null)
  [ -n "$node_cidrs" ] || pod_problem+="$c: no node podCIDRs; "
  for n in $node_cidrs; do in_cidr "${n%/*}" "$pcidr" || pod_problem+="$c: node podCIDR $n not in $pcidr; "; done
done
for ((i = 0; i < ${#CLUSTERS[@]}; i++)); do
  for ((j = i + 1; j < ${#CLUSTERS[@]}; j++)); do
    a=$(cluster_var "${CLUSTERS[$i]}" POD_CIDR) b=$(cluster_var "${CLUSTERS[$j]}" POD_CIDR)
    if [ -z "$a" ] || [ -z "$b" ] || cidrs_overlap "$a" "$b"; then
      pod_problem+="${CLUSTERS[$i]} '$a' overlaps ${CLUSTERS[$j]} '$b'; "
    fi
    a=$(cluster_var "${CLUSTERS[$i]}" SERVICE_CIDR) b=$(cluster_var "${CLUSTERS[$j]}" SERVICE_CIDR)
    if [ -z "$a" ] || [ -z "$b" ] || cidrs_overlap "$a" "$b"; then
      svc_problem+="${CLUSTERS[$i]} '$a' overlaps ${CLUSTERS[$j]} '$b'; "
    fi
  done
done
if [ -z "$svc_problem" ]; then e2e_pass "clusters: distinct service CIDRs"; else e2e_fail "clusters: distinct service CIDRs" "$svc_problem"; fi
if [ -z "$pod_problem" ]; then e2e_pass "clusters: distinct pod CIDRs"; else e2e_fail "clusters: distinct pod CIDRs" "$pod_problem"; fi

# Clean up: the namespace (its deletion takes the Deployment, pods and Service with it).
e2e_kubectl "$A" delete namespace "$NS" --wait=false >/dev/null 2>&1 || true
e2e_finish
