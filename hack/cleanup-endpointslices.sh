#!/usr/bin/env bash
# Lists the EndpointSlices svclink wrote (label endpointslice.kubernetes.io/managed-by=
# svclink.cloudpilot.ai, nothing else) in one or all namespaces, and deletes exactly those.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/cleanup-endpointslices.sh [--dry-run] [-n NAMESPACE | -A] [--yes]
                                      [--kubeconfig FILE] [--context CTX]

Lists the EndpointSlices labelled endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
(the ones svclink writes; no other slice is ever listed or deleted) as a table
NAMESPACE NAME SERVICE CLUSTER ENDPOINTS, then deletes exactly the listed ones after
confirmation. For cleaning up after svclink has been uninstalled: stop svclink first, or it
writes them again. Deleting a ClusterLink while svclink runs removes that link's slices
without this script.

Options:
  --dry-run              list only; delete nothing
  -n, --namespace NS     this namespace (default: the kubeconfig context's namespace, else
                         default)
  -A, --all-namespaces   every namespace
  -y, --yes              delete without asking (needed when standard input is not a terminal)
  --kubeconfig FILE      kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --context CTX          kubeconfig context (default: the current one)
  -h, --help             this help

Environment: KUBECTL (default kubectl).
The table goes to stdout, messages to stderr. Exit status: 0 done (also when nothing was
found or --dry-run), 1 failed or not confirmed, 2 bad usage.
EOF
}

log() { printf '[cleanup-endpointslices] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage_error() { log "error: $*"; echo "run with -h for help" >&2; exit 2; }

SELECTOR=endpointslice.kubernetes.io/managed-by=svclink.cloudpilot.ai
KUBECTL=${KUBECTL:-kubectl}
kargs=()
dry_run=0
ns=""
all=0
yes=0

need_value() { [ "$2" -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    -n | --namespace) need_value "$1" $#; ns=$2; shift ;;
    --namespace=*) ns=${1#*=} ;;
    -A | --all-namespaces) all=1 ;;
    -y | --yes) yes=1 ;;
    --kubeconfig) need_value "$1" $#; kargs+=(--kubeconfig "$2"); shift ;;
    --kubeconfig=*) kargs+=(--kubeconfig "${1#*=}") ;;
    --context) need_value "$1" $#; kargs+=(--context "$2"); shift ;;
    --context=*) kargs+=(--context "${1#*=}") ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
[ "$all" = 0 ] || [ -z "$ns" ] || usage_error "-n and -A exclude each other"
if [ -n "$ns" ] && ! [[ ${#ns} -le 63 && $ns =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]]; then
  usage_error "'$ns' is not a valid namespace name"
fi
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found (set KUBECTL to its path)"
k() { "$KUBECTL" ${kargs[@]+"${kargs[@]}"} "$@"; }
one_line() { tr '\n' ' ' | sed 's/ *$//'; }

if [ "$all" = 1 ]; then
  scope=(--all-namespaces)
  where="all namespaces"
else
  if [ -z "$ns" ]; then
    ns=$(k config view --minify -o jsonpath='{.contexts[0].context.namespace}' 2>/dev/null) || ns=""
    ns=${ns:-default}
  fi
  scope=(-n "$ns")
  where="namespace $ns"
fi

# One line per slice: namespace, name, service, cluster, then one '.' per endpoint.
tpl='{range .items[*]}{.metadata.namespace}{"\t"}{.metadata.name}{"\t"}{.metadata.labels.kubernetes\.io/service-name}{"\t"}{.metadata.labels.svclink\.cloudpilot\.ai/cluster}{"\t"}{range .endpoints[*]}.{end}{"\n"}{end}'
if ! rows=$(k get endpointslices.discovery.k8s.io "${scope[@]}" -l "$SELECTOR" -o jsonpath="$tpl" 2>&1); then
  die "cannot list EndpointSlices in $where: $(one_line <<<"$rows")"
fi
rows=$(grep -v '^$' <<<"$rows" | sort || true)
if [ -z "$rows" ]; then
  log "no svclink EndpointSlices in $where"
  exit 0
fi
count=$(grep -c . <<<"$rows")

awk -F'\t' '
  { for (i = 1; i <= 4; i++) { v[NR, i] = ($i == "" ? "<none>" : $i); if (length(v[NR, i]) > w[i]) w[i] = length(v[NR, i]) }
    v[NR, 5] = length($5) }
  END {
    h[1] = "NAMESPACE"; h[2] = "NAME"; h[3] = "SERVICE"; h[4] = "CLUSTER"
    for (i = 1; i <= 4; i++) if (length(h[i]) > w[i]) w[i] = length(h[i])
    fmt = "%-" w[1] "s   %-" w[2] "s   %-" w[3] "s   %-" w[4] "s   %s\n"
    printf fmt, h[1], h[2], h[3], h[4], "ENDPOINTS"
    for (r = 1; r <= NR; r++) printf fmt, v[r, 1], v[r, 2], v[r, 3], v[r, 4], v[r, 5]
  }' <<<"$rows"

if [ "$dry_run" = 1 ]; then
  log "dry run: $count EndpointSlice(s) in $where would be deleted; nothing was deleted"
  exit 0
fi
if [ "$yes" = 0 ]; then
  [ -t 0 ] || die "refusing to delete $count EndpointSlice(s) without confirmation: standard input is not a terminal; pass --yes"
  printf 'Delete these %s EndpointSlice(s)? [y/N] ' "$count" >&2
  answer=""
  read -r answer || true
  case $answer in
    y | Y | yes | YES) ;;
    *) die "not confirmed; nothing was deleted" ;;
  esac
fi

# Exactly the listed slices, by name, one namespace at a time; one already gone is fine.
failed=0
while read -r n; do
  mapfile -t names < <(awk -F'\t' -v n="$n" '$1 == n { print $2 }' <<<"$rows")
  if ! out=$(k -n "$n" delete endpointslices.discovery.k8s.io --ignore-not-found --wait=false "${names[@]}" 2>&1); then
    log "deleting in namespace $n failed: $(one_line <<<"$out")"
    failed=1
  elif [ -n "$out" ]; then
    printf '%s\n' "$out" >&2
  fi
done < <(cut -f1 <<<"$rows" | sort -u)
[ "$failed" = 0 ] || die "some EndpointSlices were not deleted"
log "deleted the $count listed EndpointSlice(s) in $where"
