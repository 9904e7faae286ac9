#!/usr/bin/env bash
# Checks manifests/ and kind/ on the harness clusters: every manifest applies (strictly
# validated, no warnings, idempotent), the Deployment rolls out on kwok's nodes, the kind
# configs parse with distinct ranges, and svclink running as the ServiceAccount of
# manifests/rbac.yaml (its token, not the admin's) with a remote kubeconfig made by
# hack/export-kubeconfig.sh does its whole job without one 403: slices, status, Events,
# Secret-referenced kubeconfigs, --sync-services-to-local-cluster, the Lease, link deletion.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them). E2E_KEEP=1 keeps
# the work directory with svclink's log. E2E_NO_LE=1 runs svclink without the leader-election
# flags and skips the checks of the Lease svclink writes (for a binary without them).
# shellcheck disable=SC2317 # functions run through expect, check and e2e_wait look unreachable
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

SYNC_INTERVAL=5
MDIR=$E2E_ROOT/manifests
work=$(mktemp -d)
# A private copy: a rebuild of bin/svclink while the test runs must not change the binary.
cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
RUN_LABEL=svclink-e2e-manifests # on every ClusterLink of this script; value: the run's suffix
NS=mf-$sfx      # web: a Deployment in cluster-a, a selectorless Service in main
NSN=mfn-$sfx    # only in cluster-a: --sync-services-to-local-cluster creates it in main
RNS=mfr-$sfx    # cluster-a: the ServiceAccount hack/export-kubeconfig.sh makes
LINK=mf-$sfx    # inline kubeconfig
LINKS=mfs-$sfx  # kubeconfig in a Secret (cloudpilot/$KSECRET)
KSECRET=mf-$sfx-kubeconfig
POD_ID=svclink-e2e-$sfx # POD_NAME of the svclink run: the Lease's holder
NO_LE=${E2E_NO_LE:-0}
CREATED=()      # "CLUSTER|KIND|NS|NAME" of manifest objects that did not exist before
LEASE_EXISTED=1

as_sa() { "$E2E_KUBECTL" --kubeconfig "$work/sa.kubeconfig" "$@"; }
one_line() { tr '\n' ' ' <<<"$1" | tr -s ' ' | cut -c1-700; }

# kind_ref APIVERSION KIND: the name kubectl resolves unambiguously (Kind.version.group).
kind_ref() { case $1 in */*) echo "$2.${1#*/}.${1%/*}" ;; *) echo "$2" ;; esac; }
# manifest_objects CLUSTER FILE: "KINDREF|NS|NAME" per object in FILE.
manifest_objects() {
  e2e_kubectl "$1" create --dry-run=client -f "$2" \
    -o jsonpath='{.apiVersion}|{.kind}|{.metadata.namespace}|{.metadata.name}{"\n"}' |
    while IFS='|' read -r av kind ns name; do
      [ -n "$kind" ] && echo "$(kind_ref "$av" "$kind")|$ns|$name"
    done
}
obj_exists() { # CLUSTER KINDREF NS NAME
  if [ -n "$3" ]; then e2e_kubectl "$1" -n "$3" get "$2" "$4" >/dev/null 2>&1; else e2e_kubectl "$1" get "$2" "$4" >/dev/null 2>&1; fi
}
# versions CLUSTER FILE: "KINDREF/NAME=V" per object: its generation where it has one (status
# updates do not change it), else its resourceVersion.
versions() {
  local o kind ns name v
  while IFS= read -r o; do
    IFS='|' read -r kind ns name <<<"$o"
    v=$(e2e_kubectl "$1" ${ns:+-n "$ns"} get "$kind" "$name" -o jsonpath='{.metadata.generation}~{.metadata.resourceVersion}' 2>&1)
    case $v in "~"*) v=${v#"~"} ;; *) v=g${v%%"~"*} ;; esac
    printf '%s/%s=%s ' "$kind" "$name" "$v"
  done < <(manifest_objects "$1" "$2" 2>/dev/null)
}
# remember_new CLUSTER FILE: records which of FILE's objects do not exist yet (cleanup deletes
# only those: a cluster that had svclink installed keeps it).
remember_new() {
  local o kind ns name
  while IFS= read -r o; do
    IFS='|' read -r kind ns name <<<"$o"
    obj_exists "$1" "$kind" "$ns" "$name" || CREATED+=("$1|$o")
  done < <(manifest_objects "$1" "$2" 2>/dev/null)
}

cleanup() {
  svc_stop
  local l i c kind ns name
  for l in $(km get clusterlinks -l "$RUN_LABEL=$sfx" -o name 2>/dev/null); do
    km patch "$l" --type merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
  done
  km delete clusterlinks -l "$RUN_LABEL=$sfx" --wait=false >/dev/null 2>&1
  km -n default delete events --field-selector "involvedObject.name=$LINK" >/dev/null 2>&1
  km -n default delete events --field-selector "involvedObject.name=$LINKS" >/dev/null 2>&1
  km -n default delete events --field-selector "involvedObject.name=nocreate-$sfx" >/dev/null 2>&1
  km delete namespace "$NS" "$NSN" --wait=false --ignore-not-found >/dev/null 2>&1
  km -n cloudpilot delete secret "$KSECRET" --ignore-not-found >/dev/null 2>&1
  [ "$LEASE_EXISTED" = 1 ] || km -n cloudpilot delete lease svclink --ignore-not-found >/dev/null 2>&1
  ka delete namespace "$NS" "$NSN" "$RNS" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete clusterrolebinding "svclink-remote-reader:$RNS:svclink-remote" --ignore-not-found >/dev/null 2>&1
  km delete clusterrolebinding "svclink-nonodes-$sfx" --ignore-not-found >/dev/null 2>&1
  km delete clusterrole "svclink-nonodes-$sfx" --ignore-not-found >/dev/null 2>&1
  km -n cloudpilot delete serviceaccount "svclink-nonodes-$sfx" --ignore-not-found >/dev/null 2>&1
  km delete clusterrolebinding "svclink-nocreate-$sfx" --ignore-not-found >/dev/null 2>&1
  km delete clusterrole "svclink-nocreate-$sfx" --ignore-not-found >/dev/null 2>&1
  km -n default delete rolebinding "svclink-nocreate-$sfx" --ignore-not-found >/dev/null 2>&1
  km -n cloudpilot delete serviceaccount "svclink-nocreate-$sfx" --ignore-not-found >/dev/null 2>&1
  # Manifest objects this run created, last first (namespace cloudpilot last of all).
  for ((i = ${#CREATED[@]} - 1; i >= 0; i--)); do
    IFS='|' read -r c kind ns name <<<"${CREATED[$i]}"
    if [ -n "$ns" ]; then
      e2e_kubectl "$c" -n "$ns" delete "$kind" "$name" --wait=false --ignore-not-found >/dev/null 2>&1
    else
      e2e_kubectl "$c" delete "$kind" "$name" --wait=false --ignore-not-found >/dev/null 2>&1
    fi
  done
  # Later tests use namespace cloudpilot: it must be gone, not Terminating, when they start.
  if printf '%s\n' "${CREATED[@]}" | grep -qx 'main|Namespace||cloudpilot'; then
    e2e_wait 60 not km get namespace cloudpilot || echo "cleanup: namespace cloudpilot still exists after 60 s"
  fi
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "-- run suffix $sfx, work directory $work"

# === kind/*.yaml ================================================================================
# PyYAML: Debian's python3-yaml is for /usr/bin/python3 (hack/install-deps.sh installs it); a
# python3 earlier on PATH may have its own.
PY=""
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import yaml' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
  e2e_fail "kind: configs parse as kind v1alpha4 Clusters named after their files" "no python3 with PyYAML (hack/install-deps.sh installs python3-yaml)"
else
  # One line per problem: "parse ..." or "ranges ...".
  kind_problems=$("$PY" - "$E2E_ROOT/kind" <<'PY' 2>&1
import ipaddress, os, sys, yaml
d = sys.argv[1]
want = ["main", "cluster-a", "cluster-b"]
nets = []
for n in want:
    f = os.path.join(d, n + ".yaml")
    try:
        docs = [x for x in yaml.safe_load_all(open(f)) if x is not None]
    except Exception as e:
        print("parse %s: %s" % (f, str(e).replace("\n", " ")))
        continue
    if len(docs) != 1 or not isinstance(docs[0], dict):
        print("parse %s: want one mapping, got %d documents" % (f, len(docs)))
        continue
    c = docs[0]
    bad = []
    if c.get("kind") != "Cluster": bad.append("kind %r" % c.get("kind"))
    if c.get("apiVersion") != "kind.x-k8s.io/v1alpha4": bad.append("apiVersion %r" % c.get("apiVersion"))
    if c.get("name") != n: bad.append("name %r" % c.get("name"))
    net = c.get("networking") or {}
    if net.get("disableDefaultCNI") is not False: bad.append("disableDefaultCNI %r" % net.get("disableDefaultCNI"))
    roles = [x.get("role") for x in (c.get("nodes") or []) if isinstance(x, dict)]
    if roles.count("control-plane") != 1: bad.append("nodes %r" % roles)
    for k in ("podSubnet", "serviceSubnet"):
        try:
            nets.append(("%s %s" % (n, k), ipaddress.ip_network(net.get(k))))
        except Exception as e:
            bad.append("%s %r: %s" % (k, net.get(k), e))
    for b in bad: print("parse %s: %s" % (f, b))
for i in range(len(nets)):
    for j in range(i + 1, len(nets)):
        if nets[i][1].overlaps(nets[j][1]):
            print("ranges %s %s overlaps %s %s" % (nets[i][0], nets[i][1], nets[j][0], nets[j][1]))
if len(nets) != 6: print("ranges only %d of 6 ranges readable" % len(nets))
PY
  )
  name="kind: main, cluster-a, cluster-b parse as kind v1alpha4 Clusters named after their files, default CNI, one control plane"
  if grep -q '^parse\|Traceback' <<<"$kind_problems"; then e2e_fail "$name" "$(one_line "$(grep -v '^ranges' <<<"$kind_problems")")"; else e2e_pass "$name"; fi
  name="kind: the six pod and service ranges are distinct and do not overlap"
  if grep -q '^ranges' <<<"$kind_problems"; then e2e_fail "$name" "$(one_line "$(grep '^ranges' <<<"$kind_problems")")"; else e2e_pass "$name"; fi
fi

# === manifests apply =============================================================================
cloudpilot_settle
# namespace.yaml, the CRD and rbac.yaml before deployment.yaml; remote-rbac.yaml goes to a remote;
# manifests/mirror/ is for svclink mirror (tests/e2e/test_mirror_cmd.sh applies it).
order=("$MDIR/namespace.yaml" "$MDIR"/crds/*.yaml "$MDIR/rbac.yaml" "$MDIR/deployment.yaml")
while IFS= read -r f; do
  case " ${order[*]} $MDIR/remote/remote-rbac.yaml " in *" $f "*) ;; *) order+=("$f") ;; esac
done < <(find "$MDIR" -path "$MDIR/mirror" -prune -o -name '*.yaml' ! -name kustomization.yaml ! -path "$MDIR/helm/*" -print | sort)
for f in "${order[@]}" "$MDIR/remote/remote-rbac.yaml"; do
  rel=${f#"$E2E_ROOT"/}
  c=main
  [ "$rel" = manifests/remote/remote-rbac.yaml ] && c="cluster-a"
  name="manifests: $rel applies to $c (strict validation, no warnings)"
  if [ ! -f "$f" ]; then e2e_fail "$name" "missing"; continue; fi
  remember_new "$c" "$f"
  if out=$(e2e_kubectl "$c" apply --validate=strict -f "$f" 2>&1) && ! grep -qi warning <<<"$out"; then
    e2e_pass "$name"
  else
    e2e_fail "$name" "$(one_line "$out")"
  fi
  # Not kubectl's word for it: it reports a PodDisruptionBudget as "configured" on every
  # apply (its selector is patched with strategy replace), though the server changes nothing.
  name="manifests: $rel applied again changes no object (generation, else resourceVersion)"
  before=$(versions "$c" "$f")
  if out=$(e2e_kubectl "$c" apply --validate=strict -f "$f" 2>&1) && after=$(versions "$c" "$f") && [ "$before" = "$after" ]; then
    e2e_pass "$name"
  else
    e2e_fail "$name" "$(one_line "$out; before: $before; after: ${after:-}")"
  fi
done
km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >/dev/null 2>&1

# The Deployment on kwok's fake nodes: 2 ready replicas (kwok makes pods Ready), spread over
# nodes by the anti-affinity; the PDB then allows one disruption; the metrics Service finds them.
deploy_ready() { [ "$(km -n cloudpilot get deployment svclink -o jsonpath='{.status.readyReplicas}')" = 2 ]; }
expect "manifests: Deployment svclink has 2 ready replicas (kwok)" 60 \
  "km -n cloudpilot get deployment,pods -o wide" deploy_ready
pod_nodes() { km -n cloudpilot get pods -l app.kubernetes.io/name=svclink -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u | grep -c .; }
check "manifests: the two replicas run on different nodes (pod anti-affinity)" \
  "km -n cloudpilot get pods -o wide" [ "$(pod_nodes)" = 2 ]
# The harness runs no disruption controller (the PDB's status stays empty): check that its
# selector picks exactly the Deployment's pods.
# shellcheck disable=SC2016 # a Go template, not shell
match_labels() { km -n cloudpilot get "$1" svclink -o go-template='{{range $k, $v := .spec.selector.matchLabels}}{{$k}}={{$v}},{{end}}'; }
pdb_pods() {
  local sel
  sel=$(match_labels pdb) && [ -n "$sel" ] && [ "$sel" = "$(match_labels deployment)" ] &&
    [ "$(km -n cloudpilot get pods -l "${sel%,}" -o name | grep -c .)" = 2 ] &&
    [ "$(km -n cloudpilot get pdb svclink -o jsonpath='{.spec.minAvailable}')" = 1 ]
}
check "manifests: PodDisruptionBudget (minAvailable 1) selects exactly the Deployment's pods" \
  "km -n cloudpilot get pdb svclink -o yaml" pdb_pods
metrics_eps() {
  [ "$(km -n cloudpilot get endpointslices -l kubernetes.io/service-name=svclink-metrics \
    -o jsonpath='{range .items[*]}{.ports[0].port}:{range .endpoints[*]}x{end}{end}')" = 8080:xx ]
}
expect "manifests: Service svclink-metrics has both pods on port 8080" 30 \
  "km -n cloudpilot get endpointslices -o wide" metrics_eps

# === svclink as the ServiceAccount of rbac.yaml ==================================================
api_url() { sed -n 's/^API_URL=//p' "$E2E_STATE/$1/cluster.env"; }
if ! token=$(km -n cloudpilot create token svclink --duration 1h 2>&1); then
  e2e_fail "rbac: token for ServiceAccount cloudpilot/svclink" "$(one_line "$token")"
  e2e_finish
fi
(
  umask 077
  cat >"$work/sa.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: main
  cluster:
    server: $(api_url main)
    certificate-authority-data: $(b64 "$E2E_STATE/main/pki/ca.crt")
users:
- name: svclink
  user:
    token: $token
contexts:
- name: main
  context: {cluster: main, user: svclink}
current-context: main
EOF
)
unset token

# can_i_all yes|no CHECK...: every "verb resource [-n ns]" CHECK answers yes (or no) for the SA.
can_i_all() {
  local want=$1 c got bad=""
  shift
  for c in "$@"; do
    # shellcheck disable=SC2086 # verb, resource and maybe -n NS
    got=$(as_sa auth can-i $c 2>/dev/null)
    [ "$got" = "$want" ] || bad+="'$c' says '${got:-error}'; "
  done
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}
GRANTED=("get clusterlinks" "list clusterlinks" "watch clusterlinks" "patch clusterlinks"
  "patch clusterlinks --subresource=status" "list services -A" "watch services -A" "create services -n x"
  "patch services -n x" "delete services -n x" "create namespaces" "list endpointslices -A" "watch endpointslices -A"
  "create endpointslices -n x" "update endpointslices -n x" "delete endpointslices -n x" "deletecollection endpointslices -n x"
  "create leases -n cloudpilot" "get leases/svclink -n cloudpilot" "update leases/svclink -n cloudpilot"
  "get secrets -n cloudpilot" "list secrets -n cloudpilot" "watch secrets -n cloudpilot"
  "create events -n default" "list nodes" "watch nodes" "list servicecidrs.networking.k8s.io"
  "watch servicecidrs.networking.k8s.io")
REFUSED=("update clusterlinks" "delete clusterlinks" "create clusterlinks" "update services -n x"
  "deletecollection services -n x" "get services -n x" "delete namespaces" "get namespaces" "get endpointslices -n x"
  "patch endpointslices -n x" "get leases/other -n cloudpilot" "list leases -n cloudpilot"
  "delete leases/svclink -n cloudpilot" "create leases -n default" "get secrets -n default"
  "list secrets -A" "create secrets -n cloudpilot" "create events -n x" "create pods -n cloudpilot"
  "get nodes" "patch nodes" "update nodes/status" "get servicecidrs.networking.k8s.io"
  "create servicecidrs.networking.k8s.io")
if why=$(can_i_all yes "${GRANTED[@]}"); then e2e_pass "rbac: the ServiceAccount has each rule of rbac.yaml"; else e2e_fail "rbac: the ServiceAccount has each rule of rbac.yaml" "$why"; fi
name="rbac: and nothing next to them (${#REFUSED[@]} neighbouring permissions refused)"
if why=$(can_i_all no "${REFUSED[@]}"); then e2e_pass "$name"; else e2e_fail "$name" "$why"; fi

# A remote kubeconfig the documented way; one copy inline, one in a Secret in cloudpilot.
export_kc() { KUBECTL=$E2E_KUBECTL "$E2E_ROOT/hack/export-kubeconfig.sh" --kubeconfig "$E2E_STATE/cluster-a/kubeconfig" --namespace "$RNS" "$@" 2>>"$work/export.err"; }
name="rbac: hack/export-kubeconfig.sh prints a kubeconfig for cluster-a, inline and as a Secret applied in main"
if KC_B64=$(export_kc) && [ -n "$KC_B64" ] && export_kc --secret --secret-name "$KSECRET" >"$work/secret.yaml" &&
  out=$(km apply -f "$work/secret.yaml" 2>&1); then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(cat "$work/export.err") ${out:-}")"
fi

# cluster-a: web (2 kwok pods) in NS; in NSN a Service with a hand-written slice. main: the
# selectorless web Service in NS, and no NSN at all.
{
  ns_yaml "$NS"
  ns_yaml "$NSN"
  deploy_yaml "$NS" web 2
  svc_yaml "$NS" web web
  svc_yaml "$NSN" api
  slice_yaml "$NSN" api api-1 10.245.200.1 10.245.200.2
} >"$work/cluster-a.yaml"
{ ns_yaml "$NS"; svc_yaml "$NS" web; } >"$work/main.yaml"
name="rbac: test objects applied in cluster-a and main"
if out=$(ka apply -f "$work/cluster-a.yaml" 2>&1) && out=$(km apply -f "$work/main.yaml" 2>&1); then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$out")"
fi
check "rbac: namespace $NSN does not exist in main before svclink runs" "km get namespace $NSN" not km get namespace "$NSN"
remote_web_ready() { all_ready 2 "$(remote_eps cluster-a "$NS" web)"; }
expect "rbac: cluster-a has 2 ready web endpoints (kwok)" 60 "remote_eps cluster-a $NS web" remote_web_ready

km -n cloudpilot get lease svclink >/dev/null 2>&1 || LEASE_EXISTED=0
args=(--kubeconfig "$work/sa.kubeconfig" --sync-interval "${SYNC_INTERVAL}s" --sync-services-to-local-cluster)
[ "$NO_LE" = 1 ] || args+=(--leader-elect=true --leader-elect-namespace=cloudpilot)
SVC_LOG=$work/svclink.log
POD_NAME=$POD_ID "$E2E_BIN" "${args[@]}" >"$SVC_LOG" 2>&1 &
SVC_PID=$!
echo "-- svclink as system:serviceaccount:cloudpilot:svclink (pid $SVC_PID)$([ "$NO_LE" = 1 ] && echo ', E2E_NO_LE=1: no leader election')"

link_yaml() {
  printf -- '---\napiVersion: svclink.cloudpilot.ai/v1alpha1\nkind: ClusterLink\nmetadata:\n  name: %s\n  labels: {%s: "%s"}\nspec:\n  %s\n' "$1" "$RUN_LABEL" "$sfx" "$2"
}
{
  link_yaml "$LINK" "kubeconfig: $KC_B64"
  link_yaml "$LINKS" "kubeconfigSecretRef: {namespace: cloudpilot, name: $KSECRET}"
  echo "  includedNamespaces: [$NS]"
} >"$work/links.yaml"
if out=$(km apply -f "$work/links.yaml" 2>&1); then e2e_pass "rbac: ClusterLinks created"; else e2e_fail "rbac: ClusterLinks created" "$(one_line "$out")"; fi

expect "rbac: link with the exported kubeconfig becomes Ready/Connected" 30 "cl_summary $LINK; svc_tail 3" cl_is "$LINK" True Connected
expect "rbac: link with the kubeconfig Secret becomes Ready/Connected" 30 "cl_summary $LINKS; svc_tail 3" cl_is "$LINKS" True Connected
pods_match() {
  local ips eps
  ips=$(ka -n "$NS" get pods -l app=web -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' | sort) || return 1
  eps=$(local_eps "$NS" web "$1") || return 1
  [ -n "$ips" ] && [ "$(cut -d'|' -f1 <<<"$eps")" = "$ips" ] && all_ready 2 "$eps"
}
for l in "$LINK" "$LINKS"; do
  expect "rbac: main has a managed slice of web from $l with the remote pods' IPs" 30 \
    "ka -n $NS get pods -o wide --no-headers; eps_diff cluster-a $NS web $l" pods_match "$l"
done
link_events() { km -n default get events --field-selector "involvedObject.name=$LINK" -o jsonpath='{range .items[*]}{.involvedObject.kind}/{.reason}{" "}{end}'; }
has_event() { [[ $(link_events) == *ClusterLink/Connected* ]]; }
expect "rbac: an Event about the link (reason Connected) is written in default" 20 "link_events" has_event

# --sync-services-to-local-cluster: NSN/api exists only in cluster-a.
created_svc() { [ "$(km -n "$NSN" get service api -o jsonpath='{.metadata.labels.svclink\.cloudpilot\.ai/created-by}')" = svclink ]; }
expect "rbac: --sync-services-to-local-cluster creates the missing Namespace and Service" 30 \
  "km get namespace $NSN; km -n $NSN get services; svc_tail 3" created_svc
api_eps() { [ "$(local_eps "$NSN" api "$LINK" | cut -d'|' -f1 | tr '\n' ' ')" = "10.245.200.1 10.245.200.2 " ]; }
expect "rbac: and its slice" 30 "local_eps $NSN api $LINK" api_eps

if [ "$NO_LE" = 1 ]; then
  echo "-- E2E_NO_LE=1: the Lease svclink writes is not checked"
else
  holder() { km -n cloudpilot get lease svclink -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
  holder_ok() { [[ $(holder) == *"$POD_ID"* ]]; }
  expect "rbac: Lease cloudpilot/svclink names this svclink (POD_NAME $POD_ID) as holder" 30 \
    "echo holder=\$(holder); svc_tail 3" holder_ok
fi

# Deleting the links: svclink removes their slices, then its finalizer.
km delete clusterlink "$LINK" "$LINKS" --wait=false >/dev/null 2>&1
links_done() { cl_gone "$LINK" && cl_gone "$LINKS" && no_local_slices "$NS" web "$LINK" && no_local_slices "$NS" web "$LINKS"; }
expect "rbac: deleted links are finalized and their slices removed" 30 "cl_summary $LINK; local_slices $NS web $LINK" links_done

svc_stop
if [ "$SVC_RC" = 0 ]; then e2e_pass "rbac: svclink exits 0 on SIGTERM"; else e2e_fail "rbac: svclink exits 0 on SIGTERM" "status $SVC_RC: $(svc_tail 3)"; fi
n403=$(grep -c 'status=403\|Forbidden' "$SVC_LOG")
if [ "$n403" = 0 ]; then
  e2e_pass "rbac: nothing was refused (no 403 or Forbidden in svclink's log)"
else
  e2e_fail "rbac: nothing was refused (no 403 or Forbidden in svclink's log)" "$n403 lines: $(grep -m3 'status=403\|Forbidden' "$SVC_LOG" | cut -c1-300 | tr '\n' ' ')"
fi

# The Lease rule with resourceNames: get, update, list and watch of Lease svclink work
# (list and watch with fieldSelector metadata.name=svclink, as leader election asks); any
# other Lease, and a list without that selector, are refused. Without leader election the
# ServiceAccount creates the Lease itself first.
if ! km -n cloudpilot get lease svclink >/dev/null 2>&1; then
  printf 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: svclink, namespace: cloudpilot}\nspec: {holderIdentity: %s}\n' "$POD_ID" |
    as_sa create -f - >"$work/lease.out" 2>&1
fi
LEASE_PATH=/apis/coordination.k8s.io/v1/namespaces/cloudpilot/leases
lease_problems() {
  local out
  out=$(as_sa -n cloudpilot get lease svclink -o yaml 2>&1) || echo "get: $out;"
  as_sa replace -f - <<<"$out" >/dev/null 2>&1 || echo "update: $(as_sa replace -f - <<<"$out" 2>&1);"
  as_sa get --raw "$LEASE_PATH?fieldSelector=metadata.name%3Dsvclink" >/dev/null 2>&1 || echo "list with fieldSelector refused;"
  as_sa get --raw "$LEASE_PATH?watch=1&fieldSelector=metadata.name%3Dsvclink&timeoutSeconds=1" >/dev/null 2>&1 ||
    echo "watch with fieldSelector refused: $(as_sa get --raw "$LEASE_PATH?watch=1&fieldSelector=metadata.name%3Dsvclink&timeoutSeconds=1" 2>&1 | head -c 200);"
  as_sa get --raw "$LEASE_PATH" >/dev/null 2>&1 && echo "list without fieldSelector allowed;"
  as_sa get --raw "$LEASE_PATH?watch=1&timeoutSeconds=1" >/dev/null 2>&1 && echo "watch without fieldSelector allowed;"
  as_sa get --raw "$LEASE_PATH?fieldSelector=metadata.name%3Dother" >/dev/null 2>&1 && echo "list of Lease other allowed;"
  return 0
}
p=$(lease_problems)
name="rbac: Lease svclink: get, update, list and watch by fieldSelector metadata.name=svclink allowed; unfiltered or other Leases refused"
if [ -z "$p" ]; then e2e_pass "$name"; else e2e_fail "$name" "$(one_line "$p $(cat "$work/lease.out" 2>/dev/null)")"; fi

# === a safety input missing: the shipped ClusterRole without its nodes rule ========================
# The address policy needs the node list; without it svclink writes nothing, so /readyz must
# answer 503 and name what to grant rather than 200 while the slices go stale.
NN=svclink-nonodes-$sfx
nn_setup() {
  km -n cloudpilot create serviceaccount "$NN" >/dev/null &&
    km get clusterrole svclink -o json |
    jq --arg n "$NN" '{apiVersion, kind, metadata: {name: $n}, rules: [.rules[] | select((.resources // []) | index("nodes") | not)]}' |
    km apply -f - >/dev/null &&
    km create clusterrolebinding "$NN" --clusterrole "$NN" --serviceaccount "cloudpilot:$NN" >/dev/null &&
    nn_token=$(km -n cloudpilot create token "$NN" --duration 10m) &&
    sed "s|^    token: .*|    token: $nn_token|" "$work/sa.kubeconfig" >"$work/nn.kubeconfig" &&
    grep -q "token: $nn_token" "$work/nn.kubeconfig"
}
if (umask 077 && nn_setup); then
  BIN=$E2E_BIN replica_start nonodes --kubeconfig "$work/nn.kubeconfig" --leader-elect=false
  nn_blocked() { [ "$(code nonodes /readyz)" = 503 ] && get nonodes /readyz | grep -q "cannot list nodes (HTTP 403): grant list and watch on nodes"; }
  name="rbac: without list/watch on nodes, /readyz answers 503 naming nodes (nothing is written blind)"
  if e2e_wait 30 nn_blocked; then e2e_pass "$name"; else e2e_fail "$name" "readyz: $(get nonodes /readyz) log: $(tail -n 3 "$work/nonodes.log" | tr '\n' ' ' | cut -c1-400)"; fi
  name="rbac: without nodes, no EndpointSlice, Service or Namespace write is made"
  if [ "$(obj_write_count "$work/nonodes.log")" = 0 ]; then e2e_pass "$name"; else e2e_fail "$name" "$(obj_writes "$work/nonodes.log" | head -n 3 | tr '\n' ' ')"; fi
  stop_replica nonodes
else
  e2e_fail "rbac: a ServiceAccount with the shipped ClusterRole less its nodes rule" "setup failed"
fi

# === a write refused: the shipped ClusterRole without create on endpointslices =================
# A new link to cluster-a: svclink must create web's slice; refused, /readyz answers 503
# naming the verb and resource to grant. Granted again, the retried write goes through and
# /readyz answers 200.
LNC=nocreate-$sfx
NC=svclink-nocreate-$sfx
nc_role() {
  km get clusterrole svclink -o json |
    jq --arg n "$NC" --arg drop "$1" '{apiVersion, kind, metadata: {name: $n}, rules: [.rules[] |
      if ((.resources // []) | index("endpointslices")) then .verbs -= [$drop] else . end]}' |
    km apply -f - >/dev/null
}
nc_setup() {
  km -n cloudpilot create serviceaccount "$NC" >/dev/null && nc_role create &&
    km create clusterrolebinding "$NC" --clusterrole "$NC" --serviceaccount "cloudpilot:$NC" >/dev/null &&
    km -n default create rolebinding "$NC" --role svclink-events --serviceaccount "cloudpilot:$NC" >/dev/null &&
    nc_token=$(km -n cloudpilot create token "$NC" --duration 10m) &&
    sed "s|^    token: .*|    token: $nc_token|" "$work/sa.kubeconfig" >"$work/nc.kubeconfig" &&
    grep -q "token: $nc_token" "$work/nc.kubeconfig"
}
if (umask 077 && nc_setup); then
  { link_yaml "$LNC" "kubeconfig: $KC_B64"; echo "  includedNamespaces: [$NS]"; } | km apply -f - >/dev/null
  BIN=$E2E_BIN replica_start nocreate --kubeconfig "$work/nc.kubeconfig" --leader-elect=false --sync-interval "${SYNC_INTERVAL}s"
  nc_ready() { [ "$(code nocreate /readyz)" = 200 ]; }
  nc_refused() {
    [ "$(code nocreate /readyz)" = 503 ] &&
      get nocreate /readyz | grep -q "refuses svclink's writes: create endpointslices (403 in namespace $NS)"
  }
  name="b18 rbac: without create on endpointslices, /readyz answers 503 naming create endpointslices and the namespace"
  if e2e_wait 30 nc_refused; then e2e_pass "$name"; else e2e_fail "$name" "readyz: $(get nocreate /readyz) log: $(tail -n 3 "$work/nocreate.log" | tr '\n' ' ' | cut -c1-400)"; fi
  refused=$(get nocreate /metrics | awk 'index($0, "svclink_writes_refused_total{") == 1 && /kind="EndpointSlice"/ && /verb="POST"/ { n += $NF } END { print n + 0 }')
  name="rbac: the refused creates are counted in svclink_writes_refused_total"
  if [ "$refused" -ge 1 ]; then e2e_pass "$name ($refused)"; else e2e_fail "$name" "$(get nocreate /metrics | grep writes_refused)"; fi
  nc_events() { km -n default get events --field-selector "involvedObject.name=$LNC,reason=WriteRefused" -o jsonpath='{range .items[*]}{.type} {.message}{"\n"}{end}'; }
  nc_event() { nc_events | grep -q "^Warning .*create endpointslices in namespace $NS"; }
  name="b18 rbac: the link gets a Warning Event WriteRefused naming create endpointslices"
  if e2e_wait 20 nc_event; then e2e_pass "$name"; else e2e_fail "$name" "events: $(nc_events | head -n 3 | tr '\n' ' ')"; fi
  nc_role none
  nc_back() { nc_ready && pods_match "$LNC"; }
  name="b18 rbac: create granted again: the retried write goes through and /readyz answers 200"
  if e2e_wait 60 nc_back; then e2e_pass "$name"; else e2e_fail "$name" "readyz: $(get nocreate /readyz) slices: $(eps_diff cluster-a "$NS" web "$LNC")"; fi
  km delete clusterlink "$LNC" --wait=false >/dev/null 2>&1
  e2e_wait 30 cl_gone "$LNC"
  stop_replica nocreate
else
  e2e_fail "rbac: a ServiceAccount with the shipped ClusterRole less create on endpointslices" "setup failed"
fi

e2e_finish
