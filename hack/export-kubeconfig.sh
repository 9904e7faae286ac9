#!/usr/bin/env bash
# Run against a REMOTE cluster: gives svclink read-only access there (manifests/remote/remote-rbac.yaml,
# a ServiceAccount, a long-lived token) and prints a kubeconfig for a ClusterLink.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/export-kubeconfig.sh [options] >OUTPUT

Run with a kubeconfig that administers a REMOTE cluster. Applies the read-only ClusterRole
svclink-remote-reader (manifests/remote/remote-rbac.yaml), a ServiceAccount bound to it, and a
long-lived token Secret (type kubernetes.io/service-account-token) for that ServiceAccount;
then prints a kubeconfig that uses the token:

  default     base64 on one line, for a ClusterLink's spec.kubeconfig
  --secret    a Secret manifest (YAML) holding the kubeconfig under key "kubeconfig", to
              apply in the MAIN cluster and name in spec.kubeconfigSecretRef

Running it again reuses the existing token, so kubeconfigs exported before keep working.

Options:
  --context CTX            kubeconfig context of the remote cluster (default: current)
  --kubeconfig FILE        kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  -n, --namespace NS       namespace of the ServiceAccount in the remote (default cloudpilot;
                           created when missing)
  --name NAME              ServiceAccount name, a DNS label (default svclink-remote); its token
                           Secret is NAME-token-<random>, labelled
                           svclink.cloudpilot.ai/remote-token=NAME; the ClusterRoleBinding
                           is svclink-remote-reader:NS:NAME
  --server URL             server URL written into the output, when the main cluster reaches
                           the remote API server by another address than this kubeconfig
                           does (default: this kubeconfig's server)
  --secret                 print a Secret manifest instead of base64
  --secret-namespace NS    the Secret's namespace in the main cluster (default cloudpilot)
  --secret-name NAME       the Secret's name (default <remote cluster name>-kubeconfig)
  --rotate                 replace the token Secret with a new one (new name, new token) and
                           delete the old: every kubeconfig exported before stops working
                           (401; the API server may accept the old token for ~10 s more)
  -h, --help               this help

Environment: KUBECTL (default kubectl), EXPORT_TOKEN_TIMEOUT (seconds to wait for the token
controller, default 30).
Output goes to stdout only; messages go to stderr, and never contain the token.
Exit status: 0 done, 1 failed (the message says why), 2 bad usage.
EOF
}

log() { printf '[export-kubeconfig] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage_error() { log "error: $*"; echo "run with -h for help" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
RBAC_FILE="$here/../manifests/remote/remote-rbac.yaml"
KUBECTL=${KUBECTL:-kubectl}
TOKEN_TIMEOUT=${EXPORT_TOKEN_TIMEOUT:-30}

kargs=()
ns=cloudpilot
name=svclink-remote
server=""
as_secret=0
secret_ns=""
secret_name=""
rotate=0

# need_value OPTION ARGC: the option takes a value.
need_value() { [ "$2" -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case $1 in
    --context) need_value "$1" $#; kargs+=(--context "$2"); shift ;;
    --context=*) kargs+=(--context "${1#*=}") ;;
    --kubeconfig) need_value "$1" $#; kargs+=(--kubeconfig "$2"); shift ;;
    --kubeconfig=*) kargs+=(--kubeconfig "${1#*=}") ;;
    -n | --namespace) need_value "$1" $#; ns=$2; shift ;;
    --namespace=*) ns=${1#*=} ;;
    --name) need_value "$1" $#; name=$2; shift ;;
    --name=*) name=${1#*=} ;;
    --server) need_value "$1" $#; server=$2; shift ;;
    --server=*) server=${1#*=} ;;
    --secret) as_secret=1 ;;
    --secret-namespace) need_value "$1" $#; secret_ns=$2; shift ;;
    --secret-namespace=*) secret_ns=${1#*=} ;;
    --secret-name) need_value "$1" $#; secret_name=$2; shift ;;
    --secret-name=*) secret_name=${1#*=} ;;
    --rotate) rotate=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done

dns_label() { [[ ${#1} -le 63 && $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]; }
dns_subdomain() { [[ ${#1} -le 253 && $1 =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$ ]]; }
dns_label "$ns" || usage_error "--namespace '$ns' is not a valid namespace name (a DNS label)"
# A DNS label, not any ServiceAccount name: it is also a label value (at most 63 characters).
dns_label "$name" || usage_error "--name '$name' must be a DNS label (lowercase letters, digits, '-', at most 63 characters)"
if [ "$as_secret" = 0 ] && { [ -n "$secret_ns" ] || [ -n "$secret_name" ]; }; then
  usage_error "--secret-namespace and --secret-name only go with --secret"
fi
secret_ns=${secret_ns:-cloudpilot}
dns_label "$secret_ns" || usage_error "--secret-namespace '$secret_ns' is not a valid namespace name"
if [ -n "$secret_name" ]; then
  dns_subdomain "$secret_name" || usage_error "--secret-name '$secret_name' is not a valid Secret name"
fi
[ -z "$server" ] || [[ $server =~ ^https://[^[:space:]]+$ ]] || usage_error "--server must be an https:// URL, not '$server'"
[[ $TOKEN_TIMEOUT =~ ^[0-9]+$ ]] || usage_error "EXPORT_TOKEN_TIMEOUT must be a number of seconds"

command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found (set KUBECTL to its path)"
[ -r "$RBAC_FILE" ] || die "cannot read $RBAC_FILE (run the script from an svclink checkout)"
k() { "$KUBECTL" ${kargs[@]+"${kargs[@]}"} "$@"; }
one_line() { tr '\n' ' ' | sed 's/ *$//'; }

# --- the remote cluster, as this kubeconfig describes it ------------------------------------
view=$(k config view --raw --minify --flatten \
  -o jsonpath='{.contexts[0].name}{"\n"}{.clusters[0].name}{"\n"}{.clusters[0].cluster.server}{"\n"}{.clusters[0].cluster.tls-server-name}{"\n"}{.clusters[0].cluster.certificate-authority-data}{"\n"}' 2>&1) ||
  die "cannot read the kubeconfig: $(one_line <<<"$view")"
{
  read -r ctx_name
  read -r cluster_name
  read -r kc_server
  read -r tls_server_name
  read -r ca_data
} <<<"$view"
if [ -z "$ctx_name" ] || [ -z "$kc_server" ]; then
  die "the kubeconfig has no current context with a cluster server (pass --context or --kubeconfig)"
fi
server=${server:-$kc_server}
log "remote cluster: context '$ctx_name', server $kc_server"

if ! out=$(k get --raw /version 2>&1); then
  case $out in
    *Unauthorized*) die "the remote API server refused this kubeconfig's credentials (401): $(one_line <<<"$out")" ;;
    *) die "cannot reach the remote cluster at $kc_server: $(one_line <<<"$out")" ;;
  esac
fi

# --- permissions needed here (checked first, so nothing is half done) -----------------------
ns_exists=0
k get namespace "$ns" >/dev/null 2>&1 && ns_exists=1
checks=("create clusterroles" "patch clusterroles" "create clusterrolebindings" "patch clusterrolebindings"
  "create serviceaccounts -n $ns" "get serviceaccounts -n $ns" "create secrets -n $ns" "get secrets -n $ns"
  "list secrets -n $ns")
[ "$ns_exists" = 1 ] || checks+=("create namespaces")
[ "$rotate" = 0 ] || checks+=("delete secrets -n $ns")
missing=""
for c in "${checks[@]}"; do
  # shellcheck disable=SC2086 # each check is verb, resource and maybe -n NS
  ans=$(k auth can-i $c 2>/dev/null) || true
  [ "$ans" = yes ] || missing+="${missing:+, }$c"
done
[ -z "$missing" ] || die "no permission on the remote cluster to: $missing (this needs cluster-admin or an equivalent role there)"

# --- RBAC and the ServiceAccount -------------------------------------------------------------
# kdo WHAT KUBECTL_ARGS...: runs kubectl (stdin passed on); its output goes to stderr,
# indented; on failure the script stops saying what could not be done.
kdo() {
  local what=$1 out
  shift
  if ! out=$(k "$@" 2>&1); then
    die "could not $what: $(one_line <<<"$out")"
  fi
  [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/  /' >&2
}
[ "$ns_exists" = 1 ] || kdo "create namespace $ns" create namespace "$ns" </dev/null
kdo "apply $RBAC_FILE" apply -f "$RBAC_FILE" </dev/null
binding="svclink-remote-reader:$ns:$name"
kdo "apply ServiceAccount $ns/$name and ClusterRoleBinding $binding" apply -f - <<EOF
apiVersion: v1
kind: ServiceAccount
metadata:
  name: $name
  namespace: $ns
  labels: {app.kubernetes.io/name: svclink}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "$binding"
  labels: {app.kubernetes.io/name: svclink}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: svclink-remote-reader}
subjects:
- {kind: ServiceAccount, name: $name, namespace: $ns}
EOF
sa_uid=$(k -n "$ns" get serviceaccount "$name" -o jsonpath='{.metadata.uid}') || die "cannot read ServiceAccount $ns/$name"

# --- the long-lived token --------------------------------------------------------------------
# Token Secrets carry a random suffix (generateName NAME-token-) and the label below. A new
# name is what makes --rotate work: a legacy token is a JWT of (namespace, Secret name,
# ServiceAccount name and uid) with a deterministic signature, so a Secret deleted and
# recreated under the same name would hold the very same token.
TOKEN_LABEL=svclink.cloudpilot.ai/remote-token
# token_secrets: "creationTimestamp name type sa-name sa-uid" per labelled Secret.
token_secrets() {
  k -n "$ns" get secrets -l "$TOKEN_LABEL=$name" -o jsonpath='{range .items[*]}{.metadata.creationTimestamp} {.metadata.name} {.type} {.metadata.annotations.kubernetes\.io/service-account\.name} {.metadata.annotations.kubernetes\.io/service-account\.uid}{"\n"}{end}'
}
existing=$(token_secrets) || die "cannot list Secrets in $ns"
tsecret=""
stale=()
# Newest first: after an interrupted --rotate the newest one is kept.
while read -r _ sname stype sa suid; do
  [ -n "$sname" ] || continue
  if [ "$stype" != kubernetes.io/service-account-token ] || [ "$sa" != "$name" ] || [ "$suid" != "$sa_uid" ]; then
    # A token of an earlier ServiceAccount of that name (deleted and recreated): it no
    # longer authenticates anyway.
    log "Secret $ns/$sname is not a token of the current ServiceAccount $name; removing it"
    stale+=("$sname")
  elif [ -z "$tsecret" ] && [ "$rotate" = 0 ]; then
    tsecret=$sname
  else
    stale+=("$sname")
  fi
done < <(sort -r <<<"$existing")

if [ -n "$tsecret" ]; then
  log "reusing token Secret $ns/$tsecret (kubeconfigs exported before keep working)"
else
  tsecret=$(k create -o jsonpath='{.metadata.name}' -f - 2>&1 <<EOF
apiVersion: v1
kind: Secret
type: kubernetes.io/service-account-token
metadata:
  generateName: $name-token-
  namespace: $ns
  labels: {app.kubernetes.io/name: svclink, $TOKEN_LABEL: $name}
  annotations: {kubernetes.io/service-account.name: $name}
EOF
  ) || die "could not create a token Secret in $ns: $(one_line <<<"$tsecret")"
  log "created token Secret $ns/$tsecret"
fi

token_b64=""
deadline=$((SECONDS + TOKEN_TIMEOUT))
while :; do
  token_b64=$(k -n "$ns" get secret "$tsecret" -o jsonpath='{.data.token}' 2>/dev/null) || true
  [ -z "$token_b64" ] || break
  [ "$SECONDS" -lt "$deadline" ] ||
    die "the token controller did not fill Secret $ns/$tsecret within ${TOKEN_TIMEOUT}s (is kube-controller-manager running its serviceaccount-token controller?)"
  sleep 0.5
done
token=$(base64 -d <<<"$token_b64") || die "Secret $ns/$tsecret holds a token that is not base64"
[ -n "$token" ] || die "Secret $ns/$tsecret holds an empty token"

# Only now that the new token works are the old ones deleted (--rotate).
if [ ${#stale[@]} -gt 0 ]; then
  [ "$rotate" = 0 ] || log "--rotate: deleting the previous token Secret(s); kubeconfigs exported with them stop working (the API server may accept them for a few more seconds from its cache)"
  kdo "delete Secret(s) ${stale[*]} in $ns" -n "$ns" delete secret "${stale[@]}" --ignore-not-found --wait=true --timeout=30s </dev/null
fi

if [ -z "$ca_data" ]; then
  ca_data=$(k -n "$ns" get secret "$tsecret" -o jsonpath='{.data.ca\.crt}' 2>/dev/null) || true
  [ -n "$ca_data" ] || die "neither the kubeconfig nor the token Secret carries the remote's CA certificate; svclink verifies servers"
  log "the kubeconfig has no certificate-authority-data; using the cluster CA from the token Secret"
fi

# --- the kubeconfig --------------------------------------------------------------------------
# A DNS-label version of the kubeconfig's cluster name, for names in the output.
remote=$(printf '%s' "$cluster_name" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9-]/-/g' -e 's/--*/-/g' -e 's/^-*//' | cut -c1-40 | sed 's/-*$//')
remote=${remote:-remote}
# yq_str S: S as a double-quoted YAML scalar.
yq_str() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}
kubeconfig() {
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: $remote
  cluster:
    server: $(yq_str "$server")
    certificate-authority-data: $ca_data
EOF
  [ -z "$tls_server_name" ] || printf '    tls-server-name: %s\n' "$(yq_str "$tls_server_name")"
  cat <<EOF
users:
- name: $name
  user:
    token: $(yq_str "$token")
contexts:
- name: $remote
  context:
    cluster: $remote
    user: $name
current-context: $remote
EOF
}

if [ "$as_secret" = 1 ]; then
  secret_name=${secret_name:-$remote-kubeconfig}
  cat <<EOF
apiVersion: v1
kind: Secret
type: Opaque
metadata:
  name: $secret_name
  namespace: $secret_ns
  labels: {app.kubernetes.io/name: svclink}
data:
  kubeconfig: $(kubeconfig | base64 -w0)
EOF
  log "printed a Secret $secret_ns/$secret_name: apply it in the MAIN cluster and link it with"
  log "  spec: {kubeconfigSecretRef: {namespace: $secret_ns, name: $secret_name}}   (key: kubeconfig, the default)"
else
  kubeconfig | base64 -w0
  echo
  log "printed a base64 kubeconfig (ServiceAccount $ns/$name, server $server): put it in a ClusterLink's spec.kubeconfig"
fi
