# Load generation for the scale tests (test_footprint, test_mem16, test_node): remote Services with
# hand-written EndpointSlices, as one kubectl List per file. Sourced after lib.sh.
# shellcheck shell=bash

# e2e_load_objects FILE NS SLICES(0|1) OCTET FIRST LAST MANAGED_BY: selectorless Services
# sFIRST..s(LAST-1), and with SLICES=1 one EndpointSlice of 10 ready endpoints for each
# (addresses 10.OCTET.x.y, distinct per Service) labelled managed-by MANAGED_BY.
e2e_load_objects() {
  local file=$1 ns=$2 slices=$3 octet=$4 first=$5 last=$6 by=$7 i j
  {
    echo '{"apiVersion":"v1","kind":"List","items":['
    for ((i = first; i < last; i++)); do
      [ "$i" -gt "$first" ] && echo ','
      printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s%04d","namespace":"%s"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}' "$i" "$ns"
      if [ "$slices" = 1 ]; then
        printf ',{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s%04d-x","namespace":"%s","labels":{"kubernetes.io/service-name":"s%04d","endpointslice.kubernetes.io/managed-by":"%s"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[' "$i" "$ns" "$i" "$by"
        for ((j = 0; j < 10; j++)); do
          [ "$j" -gt 0 ] && printf ','
          printf '{"addresses":["10.%d.%d.%d"],"conditions":{"ready":true}}' "$octet" $((i / 25)) $((i % 25 * 10 + j))
        done
        printf ']}'
      fi
    done
    echo ']}'
  } >"$file"
}

# --- 100,000 endpoints: 10 links, five to each remote, over one namespace ------------------------
# The scale that test_mem16 (svclink in a 16 MiB cgroup) and test_node (the shipped pods
# under the kubelet's limit) prove. Needs lib.sh's e2e_kubectl.

# e2e_big_links SFX: the link names, five to cluster-a and five to cluster-b, one per line.
e2e_big_links() {
  local i
  for i in 0 1 2 3 4; do printf '%s\n' "big-a$i-$1" "big-b$i-$1"; done
}
e2e_big_remote_of() { case $1 in big-a*) echo cluster-a ;; *) echo cluster-b ;; esac; }

# e2e_big_load NS NSVC WORK: NS in main, cluster-a and cluster-b; NSVC selectorless Services in
# each, and in each remote an EndpointSlice of 10 ready endpoints per Service. Four parallel
# creates per cluster. Fails when any create does.
e2e_big_load() {
  local ns=$1 nsvc=$2 work=$3 c part first last creators=() rc=0
  for c in main cluster-a cluster-b; do e2e_kubectl "$c" create namespace "$ns" >/dev/null || return 1; done
  for part in 0 1 2 3; do
    first=$((nsvc * part / 4)) last=$((nsvc * (part + 1) / 4))
    e2e_load_objects "$work/main-$part.json" "$ns" 0 0 "$first" "$last" e2e-big
    e2e_load_objects "$work/a-$part.json" "$ns" 1 200 "$first" "$last" e2e-big
    e2e_load_objects "$work/b-$part.json" "$ns" 1 201 "$first" "$last" e2e-big
    e2e_kubectl main create -f "$work/main-$part.json" >/dev/null & creators+=($!)
    e2e_kubectl cluster-a create -f "$work/a-$part.json" >/dev/null & creators+=($!)
    e2e_kubectl cluster-b create -f "$work/b-$part.json" >/dev/null & creators+=($!)
  done
  for c in "${creators[@]}"; do wait "$c" || rc=1; done
  return "$rc"
}

# e2e_big_apply_links NS KUBECONFIG_A KUBECONFIG_B LINK...: the ClusterLinks, each limited to NS.
e2e_big_apply_links() {
  local ns=$1 kc_a=$2 kc_b=$3 l kc; shift 3
  for l in "$@"; do
    kc=$kc_b
    [ "$(e2e_big_remote_of "$l")" = cluster-a ] && kc=$kc_a
    printf -- '---\napiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\nspec:\n  includedNamespaces: [%s]\n  kubeconfig: %s\n' \
      "$l" "$ns" "$(base64 -w0 "$kc")"
  done | e2e_kubectl main apply -f - >/dev/null
}

# e2e_big_counts LINK...: "reason services endpoints" of each link's status.
e2e_big_counts() {
  e2e_kubectl main get clusterlink "$@" \
    -o jsonpath='{range .items[*]}{.status.conditions[0].reason} {.status.syncedServices} {.status.syncedEndpoints}{"\n"}{end}'
}
# e2e_big_synced NSVC LINK...: every link Connected with NSVC Services and NSVC x 10 endpoints.
e2e_big_synced() {
  local nsvc=$1 n; shift
  n=$(e2e_big_counts "$@" | awk -v s="$nsvc" '$1 == "Connected" && $2 == s && $3 == s * 10' | wc -l)
  [ "$n" = "$#" ]
}
# e2e_big_endpoints NS: how many endpoints svclink's slices in main's NS hold.
e2e_big_endpoints() {
  e2e_kubectl main get endpointslices -n "$1" -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai \
    -o jsonpath='{range .items[*]}{range .endpoints[*]}{.addresses[0]}{"\n"}{end}{end}' | wc -l
}

# e2e_big_relist LOG: both remote API servers killed and started again, so every reflector
# of every link lists again.
e2e_big_relist() {
  local log=$1 st
  st=$(dirname "$E2E_STATE")
  SVCLINK_STATE=$st "$E2E_ROOT/hack/clusters.sh" apiserver cluster-a stop >>"$log" 2>&1 &&
    SVCLINK_STATE=$st "$E2E_ROOT/hack/clusters.sh" apiserver cluster-b stop >>"$log" 2>&1 || return 1
  sleep 3
  SVCLINK_STATE=$st "$E2E_ROOT/hack/clusters.sh" apiserver cluster-a start >>"$log" 2>&1 &&
    SVCLINK_STATE=$st "$E2E_ROOT/hack/clusters.sh" apiserver cluster-b start >>"$log" 2>&1
}

# e2e_big_cleanup NS LINK...: the links deleted, svclink's slices in main deleted in one
# request, then NS in the three clusters. A running svclink releases each link's finalizer
# once its slices are gone; without one (or past 30 s) the finalizers are removed here.
# The slices go before the namespace: left to it they could outlive their Services (the
# namespace controller's order varies), and the garbage collector would then delete them one
# by one at its client's 20 requests a second, minutes in which every cascading deletion of
# a later suite waits.
e2e_big_cleanup() {
  local ns=$1 l; shift
  e2e_kubectl main delete clusterlink "$@" --wait=false >/dev/null 2>&1
  e2e_kubectl main delete --raw "/apis/discovery.k8s.io/v1/namespaces/$ns/endpointslices" >/dev/null 2>&1
  if ! e2e_wait 30 e2e_big_links_gone "$@"; then
    for l in "$@"; do
      e2e_kubectl main patch clusterlink "$l" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
    done
    e2e_wait 30 e2e_big_links_gone "$@" || echo "# ClusterLinks $* still there after their finalizers were removed"
  fi
  e2e_delete_namespace "$ns" main cluster-a cluster-b
}
e2e_big_links_gone() { [ -z "$(e2e_kubectl main get clusterlink "$@" --ignore-not-found -o name 2>/dev/null)" ]; }
