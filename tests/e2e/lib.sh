# Shared helpers for e2e test scripts: result lines the runner counts, and bounded waits.
# Sourced by tests/e2e/test_*.sh; the runner has already brought the clusters up.

# Every check prints exactly one line "PASS name" or "FAIL name: why"; tests/run.sh counts them.
e2e_pass() { printf 'PASS %s\n' "$1"; }
e2e_fail() { printf 'FAIL %s: %s\n' "$1" "$2"; E2E_FAILED=1; }
E2E_FAILED=0

# e2e_kubectl CLUSTER ARGS...: kubectl against one harness cluster.
e2e_kubectl() {
  local cluster=$1; shift
  "$E2E_KUBECTL" --kubeconfig "$E2E_STATE/$cluster/kubeconfig" "$@"
}

# e2e_wait SECONDS COMMAND...: retry COMMAND every 0.2 s until it succeeds or time runs out.
e2e_wait() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# e2e_kubeconfig FILE SERVER CLUSTER_FIELD... -- USER_FIELD...: a kubeconfig with one
# context "t"; each field is one "key: value" line of the cluster or of the user.
e2e_kubeconfig() {
  local file=$1 server=$2 field
  shift 2
  {
    printf '%s\n' "apiVersion: v1" "kind: Config" "current-context: t" \
      "contexts: [{name: t, context: {cluster: c, user: u}}]" "clusters:" "- name: c" "  cluster:" \
      "    server: $server"
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
      echo "    $1"
      shift
    done
    [ $# -gt 0 ] && shift
    printf '%s\n' "users:" "- name: u" "  user:"
    for field in "$@"; do echo "    $field"; done
  } >"$file"
}

# e2e_free_port: a TCP port on 127.0.0.1 nothing listens on now (for a server the test starts).
e2e_free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# e2e_delete_namespace NS CLUSTER...: deletes NS in each cluster and waits (at most 180 s)
# until it is gone. A suite that leaves thousands of objects terminating slows the next one:
# a cluster-wide link there syncs them and its writes into the terminating namespace fail
# (test_migrate once missed a 20 s bound after test_mem16 that way).
e2e_delete_namespace() {
  local ns=$1 c
  shift
  for c in "$@"; do e2e_kubectl "$c" delete namespace "$ns" --wait=false --ignore-not-found >/dev/null 2>&1; done
  for c in "$@"; do
    e2e_wait 180 e2e_namespace_absent "$c" "$ns" || echo "# namespace $ns still in $c after 180 s"
  done
}
e2e_namespace_absent() { [ -z "$(e2e_kubectl "$1" get namespace "$2" --ignore-not-found -o name 2>/dev/null)" ]; }

# e2e_crd_install: the ClusterLink CRD applied and Established in main. A CRD a suite before
# deleted and that is still terminating is waited out first: applying it then changes
# nothing, it still says Established, and every ClusterLink is refused.
e2e_crd_install() {
  e2e_wait 120 e2e_crd_not_terminating &&
    e2e_kubectl main apply -f "$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null &&
    e2e_kubectl main wait --for condition=Established --timeout 60s crd/clusterlinks.svclink.cloudpilot.ai >/dev/null
}
e2e_crd_not_terminating() {
  [ -z "$(e2e_kubectl main get crd clusterlinks.svclink.cloudpilot.ai --ignore-not-found -o jsonpath='{.metadata.deletionTimestamp}' 2>/dev/null)" ]
}

# e2e_finish: the script's exit status, non-zero when any check failed.
e2e_finish() { exit "$E2E_FAILED"; }

# e2e_web_link NS LINK KUBECONFIG: one Service to sync, for the suites that run the image.
# In cluster-a's NS a Service web with a slice of two ready endpoints (10.210.0.1 and .2);
# in main's NS a selectorless Service web; in main a ClusterLink LINK to cluster-a through
# KUBECONFIG, limited to NS. Both namespaces must exist. e2e_web_synced tells when it is done.
e2e_web_link() {
  local ns=$1 link=$2 kubeconfig=$3
  e2e_kubectl main -n "$ns" create service clusterip web --tcp=80:8080 >/dev/null
  e2e_kubectl main -n "$ns" patch service web --type json -p '[{"op":"remove","path":"/spec/selector"}]' >/dev/null 2>&1
  e2e_kubectl cluster-a -n "$ns" create service clusterip web --tcp=80:8080 >/dev/null
  e2e_kubectl cluster-a apply -f - >/dev/null <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: $ns, labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: e2e}}
addressType: IPv4
ports: [{name: "", port: 8080, protocol: TCP}]
endpoints: [{addresses: [10.210.0.1], conditions: {ready: true}}, {addresses: [10.210.0.2], conditions: {ready: true}}]
EOF
  e2e_kubectl main apply -f - >/dev/null <<EOF
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: $link}
spec:
  includedNamespaces: [$ns]
  kubeconfig: $(base64 -w0 "$kubeconfig")
EOF
}
# e2e_web_synced NS: the addresses of svclink's slices in main's NS, sorted, each followed
# by a space; e2e_web_is_synced NS: they are the two of e2e_web_link.
e2e_web_synced() {
  e2e_kubectl main -n "$1" get endpointslices -l endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai \
    -o jsonpath='{range .items[*]}{.endpoints[*].addresses[0]}{"\n"}{end}' | tr ' ' '\n' | sort | tr '\n' ' '
}
e2e_web_is_synced() { [ "$(e2e_web_synced "$1")" = "10.210.0.1 10.210.0.2 " ]; }
