#!/usr/bin/env bash
# Takes main over from svclink (Go) as a user would: builds its "before" state (namespaced
# CRD, namespaced links, slices in its layout), runs hack/migrate-from-svclink-go.sh, starts
# svclink with a Go Deployment's args, and checks the takeover: no gap, no stale or orphan
# slice left, links cluster-scoped with the same spec, nothing else touched, rerun a no-op.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them). The CRD of main
# is restored at the end (svclink's when it was there before, none when it was not).
# shellcheck disable=SC2317,SC2016 # functions run through waits look unreachable; the
# single-quoted WHY snippets are evaluated on failure
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=3
CRD=clusterlinks.svclink.cloudpilot.ai
CRD_FILE=$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml
MIGRATE=$E2E_ROOT/hack/migrate-from-svclink-go.sh
GO_LABEL=cloudpilot.ai/svclink-cluster
work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
NS=mg-$sfx                    # main and both remotes: the synced Services
LNS1=mgl1-$sfx LNS2=mgl2-$sfx # main: where svclink (Go)'s links lived
LA=mga-$sfx LB=mgb-$sfx       # the two links (to cluster-a, cluster-b)
LGONE=mggone-$sfx             # a cluster svclink (Go) synced once; its link is gone
SAVE=$work/saved.json
BLOCK=mg-block-$sfx           # an admission policy holding back one of svclink's writes
HAD_CRD=0
WATCH_PID=""

migrate() { KUBECTL=$E2E_KUBECTL "$MIGRATE" --kubeconfig "$E2E_STATE/main/kubeconfig" --save "$SAVE" --timeout 60 "$@"; }
crd_scope() { km get crd "$CRD" -o jsonpath='{.spec.scope}' 2>/dev/null; }
crd_absent() { ! km get crd "$CRD" >/dev/null 2>&1; }
slice_exists() { km -n "$NS" get endpointslice "$1" >/dev/null 2>&1; }
slice_absent() { ! slice_exists "$1" && km -n "$NS" get endpointslices >/dev/null 2>&1; }

# restore_crd: whatever happened, main ends with the CRD it had before (other suites use it).
restore_crd() {
  local scope
  scope=$(crd_scope)
  if [ "$scope" = Namespaced ] || { [ "$HAD_CRD" = 0 ] && [ -n "$scope" ]; }; then
    km delete crd "$CRD" --wait=false >/dev/null 2>&1
    e2e_wait 60 crd_absent
  fi
  if [ "$HAD_CRD" = 1 ] && [ "$(crd_scope)" != Cluster ]; then
    km apply -f "$CRD_FILE" >/dev/null 2>&1
    km wait --for condition=Established --timeout 30s "crd/$CRD" >/dev/null 2>&1
  fi
  km api-resources --api-group=svclink.cloudpilot.ai >/dev/null 2>&1
}

links_gone() { [ -z "$(km get clusterlink "$LA" "$LB" -o name --ignore-not-found 2>/dev/null)" ]; }
cleanup() {
  [ -z "$WATCH_PID" ] || kill "$WATCH_PID" 2>/dev/null
  # With svclink still running, deleting the links removes their slices and finalizers.
  if [ "$(crd_scope)" = Cluster ]; then
    km delete clusterlink "$LA" "$LB" --ignore-not-found --wait=false >/dev/null 2>&1
    [ -z "$SVC_PID" ] || e2e_wait 20 links_gone
  fi
  svc_stop
  km delete validatingadmissionpolicybinding,validatingadmissionpolicy "$BLOCK" --ignore-not-found >/dev/null 2>&1
  local l
  if [ "$(crd_scope)" = Cluster ]; then
    for l in "$LA" "$LB"; do
      km patch clusterlink "$l" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
    done
  fi
  restore_crd
  km delete namespace "$NS" "$LNS1" "$LNS2" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  kb delete namespace "$NS" --wait=false --ignore-not-found >/dev/null 2>&1
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "-- run suffix $sfx, work directory $work"

# === the "before" state ===========================================================================
# Only this suite changes the CRD's scope: it starts when no link of another suite is left.
if [ "$(crd_scope)" = Cluster ]; then
  HAD_CRD=1
  no_links() { [ -z "$(km get clusterlinks -o name 2>/dev/null)" ]; }
  if ! e2e_wait 30 no_links; then
    fail "migrate: main has no ClusterLinks of other suites" "$(km get clusterlinks -o name 2>&1)"
    HAD_CRD=1
    trap - EXIT
    rm -rf "$work"
    e2e_finish
  fi
fi
restore_crd_out=$(km delete crd "$CRD" --ignore-not-found 2>&1) || true
e2e_wait 60 crd_absent || { fail "migrate: svclink's CRD removed for the before state" "$restore_crd_out"; e2e_finish; }

# svclink (Go)'s CRD as its README documents it: Namespaced, same name, its spec fields.
cat >"$work/go-crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: clusterlinks.svclink.cloudpilot.ai}
spec:
  group: svclink.cloudpilot.ai
  names: {kind: ClusterLink, listKind: ClusterLinkList, plural: clusterlinks, singular: clusterlink}
  scope: Namespaced
  versions:
  - name: v1alpha1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [kubeconfig]
            properties:
              enabled: {type: boolean, default: true}
              kubeconfig: {type: string}
              includedNamespaces: {type: array, items: {type: string}}
              excludedNamespaces: {type: array, items: {type: string}}
              excludedServices: {type: array, items: {type: string}}
              excludedServiceNames: {type: array, items: {type: string}}
          status: {type: object, x-kubernetes-preserve-unknown-fields: true}
EOF
KA_B64=$(b64 "$E2E_STATE/cluster-a/kubeconfig")
KB_B64=$(b64 "$E2E_STATE/cluster-b/kubeconfig")
# go_link NS NAME KUBECONFIG_B64 SPEC_LINE...: a namespaced link of svclink (Go).
go_link() {
  local ns=$1 name=$2 kc=$3 l; shift 3
  printf -- '---\napiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\n  namespace: %s\n  labels: {team: t-%s}\nspec:\n  kubeconfig: %s\n' "$name" "$ns" "$sfx" "$kc"
  for l in "$@"; do printf '  %s\n' "$l"; done
}
# go_slice NAME SVC CLUSTER ADDR...: a slice as svclink (Go) writes it (owned by the local
# Service, IPv4, its labels and name).
go_slice() {
  local name=$1 svc=$2 cl=$3 uid a; shift 3
  uid=$(km -n "$NS" get service "$svc" -o jsonpath='{.metadata.uid}')
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: %s\n' "$name" "$NS"
  printf '  labels: {kubernetes.io/service-name: %s, %s: %s, endpointslice.kubernetes.io/managed-by: %s}\n' "$svc" "$GO_LABEL" "$cl" "$MANAGED_BY"
  printf '  ownerReferences: [{apiVersion: v1, kind: Service, name: %s, uid: "%s"}]\n' "$svc" "$uid"
  printf 'addressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP, appProtocol: http}]\nendpoints:\n'
  for a in "$@"; do printf '%s\n' "- addresses: [$a]" "  conditions: {ready: true}"; done
}

setup_ok=1
{
  ns_yaml "$NS"
  svc_yaml "$NS" web
  slice_yaml "$NS" web web-1 10.246.60.1 10.246.60.2
  svc_yaml "$NS" api
} >"$work/a.yaml"
{
  ns_yaml "$NS"
  svc_yaml "$NS" api
  slice_yaml "$NS" api api-1 10.246.61.1
} >"$work/b.yaml"
{
  ns_yaml "$NS"; ns_yaml "$LNS1"; ns_yaml "$LNS2"
  svc_yaml "$NS" web; svc_yaml "$NS" api; svc_yaml "$NS" old
} >"$work/main.yaml"
for c in a b main; do
  out=$(e2e_kubectl "$([ $c = main ] && echo main || echo cluster-$c)" apply -f "$work/$c.yaml" 2>&1) || { setup_ok=0; echo "$out"; }
done
if ! out=$(km apply -f "$work/go-crd.yaml" 2>&1) ||
  ! out=$(km wait --for condition=Established --timeout 30s "crd/$CRD" 2>&1); then
  setup_ok=0
  echo "$out"
fi
km api-resources --api-group=svclink.cloudpilot.ai >/dev/null 2>&1
go_served() { km api-resources --api-group=svclink.cloudpilot.ai --namespaced=true -o name | grep -q clusterlinks; }
e2e_wait 20 go_served
{
  go_link "$LNS1" "$LA" "$KA_B64" "includedNamespaces: [$NS]" "excludedServiceNames: [nope]"
  go_link "$LNS2" "$LB" "$KB_B64" "enabled: true" "excludedNamespaces: [other]" "excludedServices: [$NS/nope]"
} >"$work/go-links.yaml"
out=$(km apply -f "$work/go-links.yaml" 2>&1) || { setup_ok=0; echo "$out"; }
{
  # current: the endpoints cluster-a has now; stale: addresses cluster-b no longer has;
  # orphan: a cluster whose link is gone
  go_slice "web-svclink-$LA" web "$LA" 10.246.60.1 10.246.60.2
  go_slice "api-svclink-$LB" api "$LB" 10.246.61.99
  go_slice "old-svclink-$LGONE" old "$LGONE" 10.246.62.1
  # our managed-by value in neither layout (made by hand): left alone
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-by-hand\n  namespace: %s\n  labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: %s}\naddressType: IPv4\nendpoints: [{addresses: [10.246.63.1]}]\n' "$NS" "$MANAGED_BY"
  # another controller's slice: never touched
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: web-other\n  namespace: %s\n  labels: {kubernetes.io/service-name: web, endpointslice.kubernetes.io/managed-by: someone-else}\naddressType: IPv4\nendpoints: [{addresses: [10.246.63.2]}]\n' "$NS"
} >"$work/go-slices.yaml"
out=$(km apply -f "$work/go-slices.yaml" 2>&1) || { setup_ok=0; echo "$out"; }
if [ "$setup_ok" = 1 ] && [ "$(crd_scope)" = Namespaced ] && [ "$(km get clusterlinks -A -o name | grep -c .)" = 2 ]; then
  e2e_pass "migrate: before state built (namespaced CRD, 2 namespaced links, 3 slices in svclink (Go)'s layout)"
else
  fail "migrate: before state built" "scope=$(crd_scope) links=$(km get clusterlinks -A -o name 2>&1) $out"
  e2e_finish
fi
spec_of() { km "$@" -o jsonpath='{.spec.kubeconfig}|{.spec.enabled}|{.spec.includedNamespaces}|{.spec.excludedNamespaces}|{.spec.excludedServices}|{.spec.excludedServiceNames}|{.metadata.labels.team}'; }
SPEC_A=$(spec_of -n "$LNS1" get clusterlink "$LA")
SPEC_B=$(spec_of -n "$LNS2" get clusterlink "$LB")
# What must survive: every object of these kinds that is not one of svclink (Go)'s slices.
others() {
  {
    km get namespaces -o name | grep -e "$NS\$" -e "$LNS1\$" -e "$LNS2\$"
    km -n "$NS" get services -o name
    km -n "$NS" get endpointslices -o name | grep -v -e "svclink-$LA\$" -e "svclink-$LB\$" -e "svclink-$LGONE\$"
    km get crd -o name | grep -v "$CRD"
  } 2>&1 | sort
}
others >"$work/others.before"

# === a name clash across namespaces is refused, naming both ======================================
go_link "$LNS2" "$LA" "$KA_B64" | km apply -f - >/dev/null 2>&1
migrate --dry-run >"$work/clash.out" 2>"$work/clash.err"
rc=$?
name="migrate: a link name used in two namespaces is refused, naming both"
if [ "$rc" = 1 ] && grep -q "$LNS1/$LA and $LNS2/$LA" "$work/clash.err" && [ "$(crd_scope)" = Namespaced ]; then
  e2e_pass "$name"
else
  fail "$name" "rc=$rc $(cat "$work/clash.err")"
fi
km -n "$LNS2" delete clusterlink "$LA" >/dev/null 2>&1

# === dry run =======================================================================================
migrate --dry-run >"$work/dry.out" 2>"$work/dry.err"
rc=$?
name="migrate: --dry-run prints the plan (both links) and changes nothing"
if [ "$rc" = 0 ] && grep -q "$LNS1/$LA -> $LA" "$work/dry.out" && grep -q "$LNS2/$LB -> $LB" "$work/dry.out" &&
  grep -q "delete CRD $CRD" "$work/dry.out" && [ "$(crd_scope)" = Namespaced ] && [ ! -e "$SAVE" ] &&
  [ "$(km get clusterlinks -A -o name | grep -c .)" = 2 ]; then
  e2e_pass "$name"
else
  fail "$name" "rc=$rc scope=$(crd_scope) $(cat "$work/dry.out" "$work/dry.err")"
fi
check "migrate: the plan never shows a kubeconfig" 'echo leaked' not grep -q -e "$KA_B64" -e "$KB_B64" "$work/dry.out" "$work/dry.err"

# === the migration ================================================================================
# kubectl's discovery cache says Namespaced now (as the user's did); the script refreshes it.
km get clusterlinks -A >/dev/null 2>&1
# First a failure half way: svclink's CRD cannot be applied (here: a file the server refuses).
sed 's/^  scope: Cluster$/  scope: Bogus/' "$CRD_FILE" >"$work/broken-crd.yaml"
migrate --crd "$work/broken-crd.yaml" >"$work/run0.out" 2>"$work/run0.err"
rc=$?
name="migrate: a failure half way says how to resume and keeps the saved links"
if [ "$rc" = 1 ] && grep -q "run the same command again to resume" "$work/run0.err" && [ -s "$SAVE" ] &&
  crd_absent && grep -q Bogus "$work/broken-crd.yaml"; then
  e2e_pass "$name"
else
  fail "$name" "rc=$rc scope=$(crd_scope) $(tail -n 3 "$work/run0.err")"
fi
# ... and running it again (now with the right CRD) resumes.
t0=$(now_ms)
migrate >"$work/run1.out" 2>"$work/run1.err"
rc=$?
echo "-- the resumed migration took $(ms_to_s $(($(now_ms) - t0))) s"
name="migrate: the migration resumes, succeeds and leaves the CRD cluster-scoped"
if [ "$rc" = 0 ] && [ "$(crd_scope)" = Cluster ]; then e2e_pass "$name"; else fail "$name" "rc=$rc scope=$(crd_scope) $(tail -n 5 "$work/run1.err")"; fi
name="migrate: the links are cluster-scoped with the same name, labels and spec"
got_a=$(spec_of get clusterlink "$LA" 2>&1) got_b=$(spec_of get clusterlink "$LB" 2>&1)
nsa=$(km get clusterlink "$LA" -o jsonpath='{.metadata.namespace}|{.metadata.annotations.svclink\.cloudpilot\.ai/migrated-from}' 2>&1)
if [ "$got_a" = "$SPEC_A" ] && [ "$got_b" = "$SPEC_B" ] && [ "$nsa" = "|$LNS1/$LA" ]; then
  e2e_pass "$name"
else
  # (the kubeconfigs are compared, never shown)
  fail "$name" "$LA kubeconfig same: $([ "${got_a%%|*}" = "${SPEC_A%%|*}" ] && echo yes || echo no), [${got_a#*|}] vs [${SPEC_A#*|}]; $LB kubeconfig same: $([ "${got_b%%|*}" = "${SPEC_B%%|*}" ] && echo yes || echo no), [${got_b#*|}] vs [${SPEC_B#*|}]; ns|from='$nsa'"
fi
saved_ok() { [ "$(stat -c %a "$SAVE")" = 600 ] && [ "$(grep -c '^{"apiVersion":"svclink' "$SAVE")" = 2 ]; }
check "migrate: the saved file is readable only by its owner and holds both links" \
  'ls -l "$SAVE"; grep -c "^{\"apiVersion\":\"svclink" "$SAVE"' saved_ok
check "migrate: no kubeconfig in the script's output" 'echo leaked' not grep -q -e "$KA_B64" -e "$KB_B64" "$work/run1.out" "$work/run1.err"
# The very kubectl (and cache) the user had can create a cluster-scoped link now.
name="migrate: kubectl's discovery is refreshed (a new cluster-scoped link can be created)"
if out=$(printf 'apiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata: {name: mgnew-%s}\nspec: {enabled: false, kubeconfig: %s}\n' "$sfx" "$KA_B64" | km create -f - 2>&1); then
  e2e_pass "$name"
  km delete clusterlink "mgnew-$sfx" --wait=false >/dev/null 2>&1
else
  fail "$name" "$out"
fi

# === svclink takes over ===========================================================================
# A watch on the slices, from before svclink starts: ours must be ADDED before theirs is DELETED.
# It lists first (every slice there now comes as ADDED) and watches from that list, so once
# theirs is in its output the watch misses nothing after it.
km -n "$NS" get endpointslices --watch --output-watch-events \
  -o jsonpath='{.type} {.object.metadata.name}{"\n"}' >"$work/watch.log" 2>&1 &
WATCH_PID=$!
watch_has() { grep -qx "$1" "$work/watch.log"; }
e2e_wait 30 watch_has "ADDED web-svclink-$LA" || echo "setup: the slice watch did not list web-svclink-$LA in 30 s: $(head -c 300 "$work/watch.log")"
# While svclink cannot write its slice for web (an admission policy refuses it), theirs must
# stay: deleting it at the same time as the create would open a gap whenever the create
# fails or is slow.
cat >"$work/block.yaml" <<EOF
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: $BLOCK}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [discovery.k8s.io], apiVersions: [v1], operations: [CREATE], resources: [endpointslices]}]
  validations:
  - expression: "!has(object.metadata.labels) || object.metadata.labels[?'$LINK_LABEL'].orValue('') != '$LA'"
    message: held back by test_migrate
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: $BLOCK}
spec:
  policyName: $BLOCK
  validationActions: [Deny]
  matchResources: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: $NS}}}
EOF
probe() {
  local out
  out=$(printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: probe, namespace: %s, labels: {%s: %s}}\naddressType: IPv4\nendpoints: []\n' \
    "$NS" "$LINK_LABEL" "$LA" | km create --dry-run=server -f - 2>&1)
  grep -q "held back" <<<"$out"
}
if km apply -f "$work/block.yaml" >"$work/block.out" 2>&1 && e2e_wait 20 probe; then
  e2e_pass "migrate: an admission policy holds back svclink's slice for web"
else
  fail "migrate: an admission policy holds back svclink's slice for web" "$(cat "$work/block.out")"
fi
# svclink (Go)'s Deployment args, klog flags included.
svc_start "$work/svclink.log" --sync-services-to-local-cluster=false -v=2 --logtostderr
refused() { grep -q "write failed.*name=web-$LA" "$SVC_LOG"; }
theirs_only() { slice_exists "web-svclink-$LA" && no_local_slices "$NS" web "$LA"; }
if sync_wait 30 refused && holds 2 theirs_only; then
  e2e_pass "b8 migrate: while ours cannot be written, svclink (Go)'s slice stays"
else
  fail "b8 migrate: while ours cannot be written, svclink (Go)'s slice stays" "$(km -n "$NS" get endpointslices 2>&1; svc_tail 4)"
fi
km delete -f "$work/block.yaml" --ignore-not-found >/dev/null 2>&1
ours_web() { local_slices "$NS" web "$LA"; }
expect "migrate: svclink writes its own slice for web from $LA with the remote's endpoints" 30 \
  'eps_diff cluster-a "$NS" web "$LA"; svc_tail 5' eps_match cluster-a "$NS" web "$LA"
expect "b8 migrate: the current svclink (Go) slice is removed" 20 'km -n "$NS" get endpointslices' slice_absent "web-svclink-$LA"
# The watch prints what the API server sent it: wait for the deletion to reach it.
e2e_wait 10 watch_has "DELETED web-svclink-$LA"
ours=$(ours_web | head -n 1)
added=$(grep -n "^ADDED $ours\$" "$work/watch.log" | head -n 1 | cut -d: -f1)
deleted=$(grep -n "^DELETED web-svclink-$LA\$" "$work/watch.log" | head -n 1 | cut -d: -f1)
name="b8 migrate: no gap: a watch sees ours ADDED before theirs is DELETED"
if [ -n "$ours" ] && [ -n "$added" ] && [ -n "$deleted" ] && [ "$added" -lt "$deleted" ]; then
  e2e_pass "$name (lines $added < $deleted)"
else
  fail "$name" "ours=$ours added=$added deleted=$deleted: $(tr '\n' ' ' <"$work/watch.log" | cut -c1-600)"
fi
api_replaced() { eps_match cluster-b "$NS" api "$LB" && slice_absent "api-svclink-$LB"; }
expect "migrate: the stale svclink (Go) slice is replaced by the current endpoints" 20 \
  'eps_diff cluster-b "$NS" api "$LB"; km -n "$NS" get endpointslices' api_replaced
expect "b8 migrate: the orphan svclink (Go) slice (its link is gone) is removed" 20 'km -n "$NS" get endpointslices' \
  slice_absent "old-svclink-$LGONE"
both_ready() { cl_is "$LA" True Connected && cl_is "$LB" True Connected; }
expect "migrate: both links become Ready" 30 'cl_summary "$LA"; cl_summary "$LB"' both_ready
sleep "$SYNC_INTERVAL"
check "b9 migrate: the slice in neither layout is left alone" 'km -n "$NS" get endpointslices' slice_exists web-by-hand
n=$(grep -c 'neither svclink.*name=web-by-hand' "$SVC_LOG")
check "b9 migrate: ... and logged once (after a resync: $n lines)" 'svc_tail 5' test "$n" = 1
others >"$work/others.after"
none_lost() { [ -z "$(comm -23 "$work/others.before" "$work/others.after")" ] && [ -s "$work/others.before" ]; }
check "migrate: nothing else was deleted (namespaces, Services, other slices, CRDs)" \
  'diff "$work/others.before" "$work/others.after" | tr "\n" " "' \
  none_lost
n=$(grep -c 'ignoring a klog flag' "$SVC_LOG")
check "migrate: the klog flags of a Go Deployment are accepted, with one warning each ($n)" 'svc_tail 5' test "$n" = 2

# === a second run changes nothing ===========================================================================
ids() { km get crd "$CRD" -o jsonpath='{.metadata.uid}/{.metadata.generation} ' && km get clusterlink "$LA" "$LB" -o jsonpath='{range .items[*]}{.metadata.uid}/{.metadata.generation} {end}'; }
before=$(ids 2>&1)
migrate >"$work/run2.out" 2>"$work/run2.err"
rc=$?
after=$(ids 2>&1)
name="migrate: a second run is a no-op (same CRD and links, nothing created)"
if [ "$rc" = 0 ] && [ "$before" = "$after" ] && grep -q "nothing to do" "$work/run2.err"; then
  e2e_pass "$name"
else
  fail "$name" "rc=$rc before=$before after=$after $(cat "$work/run2.err")"
fi
# Without the saved file, a cluster already migrated is recognised as such.
name="migrate: without a saved file an already migrated cluster needs nothing"
if out=$(KUBECTL=$E2E_KUBECTL "$MIGRATE" --kubeconfig "$E2E_STATE/main/kubeconfig" --save "$work/none.json" 2>&1) &&
  grep -q "already cluster-scoped" <<<"$out" && [ "$(ids 2>&1)" = "$before" ]; then
  e2e_pass "$name"
else
  fail "$name" "$out"
fi

# === the migrated links behave as svclink's own =====================================================
km delete clusterlink "$LA" "$LB" --wait=false >/dev/null 2>&1
all_gone() { links_gone && no_local_slices "$NS" web "$LA" && no_local_slices "$NS" api "$LB"; }
expect "migrate: deleting the migrated links removes their slices (finalizer) and the links" 30 \
  'km get clusterlinks "$LA" "$LB"; km -n "$NS" get endpointslices' all_gone
svc_stop
check "migrate: svclink exits 0 on SIGTERM (rc=$SVC_RC)" 'svc_tail 5' test "$SVC_RC" = 0

e2e_finish
