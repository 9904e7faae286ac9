#!/usr/bin/env bash
# Checks the ClusterLink CRD against a real API server: it installs (idempotently), defaults
# the spec, shows the contract's printer columns, and refuses each invalid example naming the field.
# Needs E2E_STATE, E2E_KUBECTL, E2E_ROOT (set by the runner after `clusters.sh up main ...`).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"

CRD_FILE="$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml"
CRD=clusterlinks.svclink.cloudpilot.ai
RUN=crd-e2e-$$
SEL="svclink-e2e=$RUN" # on every object this script creates, so cleanup finds them all

km() { e2e_kubectl main "$@"; }
one_line() { tr '\n' ' ' <<<"$1" | tr -s ' ' | cut -c1-400; }

# link NAME [NAMESPACE]: a ClusterLink header for a heredoc spec on stdin.
link() {
  printf 'apiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\n' "$1"
  [ -z "${2:-}" ] || printf '  namespace: %s\n' "$2"
  printf '  labels:\n    svclink-e2e: %s\nspec:\n' "$RUN"
  cat
}

# 1. The CRD applies cleanly, is Established, and a second apply changes nothing.
name="crd: applies to main and becomes Established"
if ! out=$(km apply -f "$CRD_FILE" 2>&1); then
  e2e_fail "$name" "$(one_line "$out")"
elif ! e2e_wait 30 km wait --for=condition=Established "crd/$CRD" --timeout=2s; then
  e2e_fail "$name" "not Established within 30s: $(km get crd "$CRD" -o jsonpath='{.status.conditions}' 2>&1 | cut -c1-300)"
else
  e2e_pass "$name"
fi
name="crd: applying again is a no-op"
if out=$(km apply -f "$CRD_FILE" 2>&1) && grep -q "$CRD unchanged" <<<"$out"; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$out")"
fi
name="crd: cluster-scoped v1alpha1 ClusterLink, short name cl, status subresource"
got=$(km get crd "$CRD" -o jsonpath='{.spec.scope} {.spec.names.kind} {.status.acceptedNames.shortNames} {.spec.versions[0].name} {.spec.versions[0].served} {.spec.versions[0].storage} {.spec.versions[0].subresources}' 2>&1)
want='Cluster ClusterLink ["cl"] v1alpha1 true true {"status":{}}'
if [ "$got" = "$want" ]; then e2e_pass "$name"; else e2e_fail "$name" "got '$got', want '$want'"; fi

# 2. A valid link is accepted and gets the defaults.
VALID=$RUN-valid
name="crd: a valid ClusterLink is accepted and defaulted (enabled, staleEndpointTimeoutSeconds, key)"
if ! out=$(link "$VALID" <<'EOF' 2>&1 | km create -f - 2>&1
  kubeconfigSecretRef:
    namespace: cloudpilot
    name: cluster-a-kubeconfig
  includedNamespaces: [shop, payments]
  excludedNamespaces: [staging]
  excludedServices: [shop/legacy]
  excludedServiceNames: [metrics]
EOF
); then
  e2e_fail "$name" "$(one_line "$out")"
else
  got=$(km get clusterlink "$VALID" -o jsonpath='{.spec.enabled} {.spec.staleEndpointTimeoutSeconds} {.spec.kubeconfigSecretRef.key}' 2>&1)
  if [ "$got" = "true 300 kubeconfig" ]; then e2e_pass "$name"; else e2e_fail "$name" "got '$got'"; fi
fi
name="crd: explicit values are kept (enabled false, staleEndpointTimeoutSeconds 0, inline kubeconfig)"
if ! out=$(link "$RUN-explicit" <<'EOF' 2>&1 | km create -f - 2>&1
  enabled: false
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  staleEndpointTimeoutSeconds: 0
EOF
); then
  e2e_fail "$name" "$(one_line "$out")"
else
  got=$(km get cl "$RUN-explicit" -o jsonpath='{.spec.enabled} {.spec.staleEndpointTimeoutSeconds} {.spec.kubeconfigSecretRef}' 2>&1)
  if [ "$got" = "false 0 " ]; then e2e_pass "$name"; else e2e_fail "$name" "got '$got'"; fi
fi

# 3. Printer columns, with a status as svclink writes it (through the status subresource).
status='{"status":{"conditions":[{"type":"Ready","status":"True","reason":"Connected","message":"synced","lastTransitionTime":"2025-05-01T10:00:00Z","observedGeneration":1}],"observedGeneration":1,"remoteVersion":"v1.33.13","lastSyncTime":"2025-05-01T10:00:00Z","syncedServices":4,"syncedEndpoints":12}}'
name="crd: status subresource accepts svclink's status (metav1.Condition shape)"
if out=$(km patch cl "$VALID" --subresource=status --type=merge -p "$status" 2>&1); then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$out")"
fi
name="crd: kubectl get clusterlinks shows NAME ENABLED READY REASON VERSION SERVICES AGE"
out=$(km get clusterlinks 2>&1)
header=$(head -n 1 <<<"$out" | tr -s ' ' | sed 's/ *$//')
row=$(grep "^$VALID " <<<"$out" | tr -s ' ')
if [ "$header" != "NAME ENABLED READY REASON VERSION SERVICES AGE" ]; then
  e2e_fail "$name" "header '$header'"
elif [[ "$row" != "$VALID true True Connected v1.33.13 4 "* ]]; then
  e2e_fail "$name" "row '$row'"
else
  e2e_pass "$name"
fi
name="crd: -o wide adds INCLUDED EXCLUDED ENDPOINTS"
out=$(km get cl -o wide 2>&1)
header=$(head -n 1 <<<"$out" | tr -s ' ' | sed 's/ *$//')
row=$(grep "^$VALID " <<<"$out" | tr -s ' ')
if [ "$header" != "NAME ENABLED READY REASON VERSION SERVICES AGE INCLUDED EXCLUDED ENDPOINTS" ]; then
  e2e_fail "$name" "header '$header'"
elif [[ "$row" != *' ["shop","payments"] ["staging"] 12' ]]; then
  e2e_fail "$name" "row '$row'"
else
  e2e_pass "$name"
fi

# 4. Invalid links are refused, the message naming the field; nothing is stored.
# reject CHECK FIELD... <<SPEC: create must fail, its message must contain every FIELD.
reject() {
  local check=$1 obj=$RUN-bad-$2 out missing=""
  shift 2
  if out=$(link "$obj" 2>&1 | km create -f - 2>&1); then
    e2e_fail "crd: rejects $check" "accepted: $(one_line "$out")"
    return
  fi
  for f in "$@"; do grep -qF "$f" <<<"$out" || missing+="$f "; done
  if [ -n "$missing" ]; then
    e2e_fail "crd: rejects $check" "message does not name $missing: $(one_line "$out")"
  elif km get cl "$obj" >/dev/null 2>&1; then
    e2e_fail "crd: rejects $check" "the object exists anyway"
  else
    e2e_pass "crd: rejects $check"
  fi
}
reject "both kubeconfig sources" both spec.kubeconfig spec.kubeconfigSecretRef "exactly one" <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  kubeconfigSecretRef: {namespace: cloudpilot, name: cluster-a-kubeconfig}
EOF
reject "neither kubeconfig source" neither spec.kubeconfig spec.kubeconfigSecretRef "exactly one" <<'EOF'
  enabled: true
EOF
reject 'excludedServices entry "foo"' svc 'spec.excludedServices[0]' '"foo"' <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  excludedServices: [foo]
EOF
reject 'namespace "Bad_NS"' ns 'spec.includedNamespaces[0]' '"Bad_NS"' <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  includedNamespaces: [Bad_NS]
EOF
reject 'excludedNamespaces "Bad_NS"' exns 'spec.excludedNamespaces[1]' '"Bad_NS"' <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  excludedNamespaces: [ok, Bad_NS]
EOF
reject "staleEndpointTimeoutSeconds -1" stale spec.staleEndpointTimeoutSeconds <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  staleEndpointTimeoutSeconds: -1
EOF
reject "staleEndpointTimeoutSeconds 86401" stale2 spec.staleEndpointTimeoutSeconds <<'EOF'
  kubeconfig: YXBpVmVyc2lvbjogdjEK
  staleEndpointTimeoutSeconds: 86401
EOF
reject 'kubeconfigSecretRef.key ".."' key spec.kubeconfigSecretRef.key <<'EOF'
  kubeconfigSecretRef: {namespace: cloudpilot, name: s, key: ".."}
EOF
name="crd: rejects a link name longer than 63 characters"
long=$RUN-$(printf 'x%.0s' $(seq 1 64))
if out=$(link "$long" <<<'  kubeconfig: YXBpVmVyc2lvbjogdjEK' 2>&1 | km create -f - 2>&1); then
  e2e_fail "$name" "accepted: $(one_line "$out")"
elif ! grep -q 'metadata.name' <<<"$out"; then
  e2e_fail "$name" "message does not name metadata.name: $(one_line "$out")"
else
  e2e_pass "$name"
fi

# 5. Cluster-scoped: a metadata.namespace in the YAML (even of a namespace that does not
# exist) is dropped, and the link is found without -n.
name="crd: metadata.namespace in the YAML is ignored (cluster-scoped)"
NSLINK=$RUN-ns
if ! out=$(link "$NSLINK" "no-such-namespace-$$" <<<'  kubeconfig: YXBpVmVyc2lvbjogdjEK' 2>&1 | km apply -f - 2>&1); then
  e2e_fail "$name" "$(one_line "$out")"
elif ! got=$(km get cl "$NSLINK" -o jsonpath='{.metadata.name}/{.metadata.namespace}' 2>&1) || [ "$got" != "$NSLINK/" ]; then
  e2e_fail "$name" "got '$got'"
else
  e2e_pass "$name"
fi

# Clean up the links (not the CRD: later tests use it).
name="crd: created links are deleted"
km delete cl -l "$SEL" --wait=false >/dev/null 2>&1
# shellcheck disable=SC2317 # called through e2e_wait
no_links_left() { [ -z "$(km get cl -l "$SEL" -o name 2>/dev/null)" ]; }
if e2e_wait 30 no_links_left; then
  e2e_pass "$name"
else
  e2e_fail "$name" "still there after 30s: $(km get cl -l "$SEL" -o name 2>&1 | tr '\n' ' ')"
fi
e2e_finish
