#!/usr/bin/env bash
# IPv6 and dual-stack: a remote Service with an IPv4 and an IPv6 EndpointSlice gets one
# local slice per address type, each with exactly the remote's addresses.
source "$E2E_ROOT/tests/e2e/lib.sh"
work=$(mktemp -d)
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
ns=ds-$sfx link=ds-$sfx pid=""
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  e2e_kubectl main delete clusterlink "$link" --wait=false >/dev/null 2>&1
  for c in main cluster-a; do e2e_kubectl "$c" delete namespace "$ns" --wait=false >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

e2e_kubectl main apply -f "$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml" >/dev/null
e2e_kubectl main wait --for condition=established crd/clusterlinks.svclink.cloudpilot.ai --timeout=60s >/dev/null
for c in main cluster-a; do e2e_kubectl "$c" create namespace "$ns" >/dev/null; done
# Remote: a selectorless Service with one slice per family, as a dual-stack cluster has.
e2e_kubectl cluster-a apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: dual, namespace: $ns}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dual-v4, namespace: $ns, labels: {kubernetes.io/service-name: dual}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: [10.250.0.7], conditions: {ready: true}}
- {addresses: [10.250.0.8], conditions: {ready: false, terminating: true}}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dual-v6, namespace: $ns, labels: {kubernetes.io/service-name: dual}}
addressType: IPv6
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- {addresses: ["fd00:10:250::7"], conditions: {ready: true}}
- {addresses: ["fd00:10:250::8"], conditions: {ready: true}}
YAML
e2e_kubectl main apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: dual, namespace: $ns}
spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
---
apiVersion: svclink.cloudpilot.ai/v1alpha1
kind: ClusterLink
metadata: {name: $link}
spec:
  includedNamespaces: [$ns]
  kubeconfig: $(base64 -w0 "$E2E_STATE/cluster-a/kubeconfig")
YAML
"$E2E_BIN" --kubeconfig "$E2E_STATE/main/kubeconfig" --sync-interval 5s >"$work/svclink.log" 2>&1 &
pid=$!
# addressType is no label: select by the slice's field instead.
addrs() {
  e2e_kubectl main -n "$ns" get endpointslices -l "svclink.cloudpilot.ai/cluster=$link" \
    -o jsonpath="{range .items[?(@.addressType==\"$1\")].endpoints[*]}{.addresses[0]}/{.conditions.ready}{\"\\n\"}{end}" 2>/dev/null |
    sort | tr '\n' ' '
}
v4_ok() { [ "$(addrs IPv4)" = "10.250.0.7/true 10.250.0.8/false " ]; }
v6_ok() { [ "$(addrs IPv6)" = "fd00:10:250::7/true fd00:10:250::8/true " ]; }
e2e_wait 30 v4_ok && e2e_pass dualstack-ipv4-slice || e2e_fail dualstack-ipv4-slice "got: $(addrs IPv4)"
e2e_wait 30 v6_ok && e2e_pass dualstack-ipv6-slice || e2e_fail dualstack-ipv6-slice "got: $(addrs IPv6)"
n=$(e2e_kubectl main -n "$ns" get endpointslices -l "svclink.cloudpilot.ai/cluster=$link" -o name | wc -l)
[ "$n" = 2 ] && e2e_pass dualstack-one-slice-per-family || e2e_fail dualstack-one-slice-per-family "$n slices"
# A change in the IPv6 slice alone reaches only the IPv6 local slice.
e2e_kubectl cluster-a -n "$ns" patch endpointslice dual-v6 --type=json \
  -p '[{"op":"add","path":"/endpoints/-","value":{"addresses":["fd00:10:250::9"],"conditions":{"ready":true}}}]' >/dev/null
v6_more() { [ "$(addrs IPv6)" = "fd00:10:250::7/true fd00:10:250::8/true fd00:10:250::9/true " ]; }
e2e_wait 30 v6_more && e2e_pass dualstack-ipv6-follows || e2e_fail dualstack-ipv6-follows "got: $(addrs IPv6)"
e2e_finish
