#!/usr/bin/env bash
# Moves a main cluster from svclink (Go)'s namespaced ClusterLink CRD to svclink's
# cluster-scoped one, keeping every link (same name and spec). Idempotent and resumable.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: hack/migrate-from-svclink-go.sh [--dry-run] [--save FILE] [--crd FILE] [--timeout SECONDS]
                                      [--kubeconfig FILE] [--context CTX]

svclink (Go) defines clusterlinks.svclink.cloudpilot.ai as a Namespaced resource; svclink's is
cluster-scoped, and a CRD's scope cannot change in place. This script, run against the main
cluster after svclink (Go) has been stopped:
  1. reads the namespaced ClusterLinks of every namespace and prints what it will do;
  2. refuses when two namespaces hold links of the same name (naming both);
  3. saves the links, as cluster-scoped objects, to FILE (mode 0600: it holds kubeconfigs);
  4. deletes the old CRD (which deletes those objects) and waits until it is gone;
  5. applies svclink's CRD and waits until it is Established;
  6. refreshes kubectl's discovery (a stale cache still says Namespaced);
  7. re-creates each saved link cluster-scoped, with the same name, labels and spec, and the
     annotation svclink.cloudpilot.ai/migrated-from=<namespace>/<name>.
Running it again changes nothing. When a step fails, FILE stays: fix the cause and run the
same command again to resume (a link that already exists is left as it is).

Options:
  --dry-run           print the plan and change nothing (no file is written)
  --save FILE         where the links are saved (default ./svclink-go-clusterlinks.json)
  --crd FILE          svclink's CRD (default: manifests/crds/ next to this script)
  --timeout SECONDS   how long to wait for the old CRD to go, and for the new one (default 120)
  --kubeconfig FILE   kubeconfig of the main cluster (default: $KUBECONFIG or ~/.kube/config)
  --context CTX       kubeconfig context (default: the current one)
  -h, --help          this help

Environment: KUBECTL (default kubectl). The plan goes to stdout, messages to stderr; no
kubeconfig or token is ever printed. Exit status: 0 done or nothing to do, 1 failed or
refused, 2 bad usage.
EOF
}

log() { printf '[migrate-from-svclink-go] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage_error() { log "error: $*"; echo "run with -h for help" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
CRD=clusterlinks.svclink.cloudpilot.ai
GROUP=svclink.cloudpilot.ai
RESOURCE=clusterlinks.v1alpha1.svclink.cloudpilot.ai
FROM_ANNOTATION=svclink.cloudpilot.ai/migrated-from
KUBECTL=${KUBECTL:-kubectl}
crd_file=$root/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml
save=./svclink-go-clusterlinks.json
timeout=120
dry_run=0
kargs=()

need_value() { [ "$2" -ge 2 ] || usage_error "$1 needs a value"; }
while [ $# -gt 0 ]; do
  case $1 in
    --dry-run) dry_run=1 ;;
    --save) need_value "$1" $#; save=$2; shift ;;
    --save=*) save=${1#*=} ;;
    --crd) need_value "$1" $#; crd_file=$2; shift ;;
    --crd=*) crd_file=${1#*=} ;;
    --timeout) need_value "$1" $#; timeout=$2; shift ;;
    --timeout=*) timeout=${1#*=} ;;
    --kubeconfig) need_value "$1" $#; kargs+=(--kubeconfig "$2"); shift ;;
    --kubeconfig=*) kargs+=(--kubeconfig "${1#*=}") ;;
    --context) need_value "$1" $#; kargs+=(--context "$2"); shift ;;
    --context=*) kargs+=(--context "${1#*=}") ;;
    -h | --help) usage; exit 0 ;;
    *) usage_error "unknown argument '$1'" ;;
  esac
  shift
done
[[ $timeout =~ ^[1-9][0-9]{0,4}$ ]] || usage_error "--timeout: '$timeout' is not a number of seconds (1 to 99999)"
[ -n "$save" ] || usage_error "--save needs a file name"
[ -f "$crd_file" ] || die "svclink's CRD is not at $crd_file (pass --crd)"
command -v "$KUBECTL" >/dev/null 2>&1 || die "kubectl not found (set KUBECTL to its path)"
k() { "$KUBECTL" ${kargs[@]+"${kargs[@]}"} "$@"; }
# one_line: kubectl's answer on one line; an API error may quote a field's value, so long
# base64-like runs (a kubeconfig, a token: 40 or more of [A-Za-z0-9+/=_-]) are cut out.
one_line() { tr '\n' ' ' | sed -E 's/ *$//; s#[A-Za-z0-9+/=_-]{40,}#<redacted>#g' | cut -c1-600; }
# die_resume MESSAGE: a failure after the links were saved.
die_resume() {
  log "error: $*"
  log "the links are saved in $save; fix the cause and run the same command again to resume"
  exit 1
}

# --- what is there ---------------------------------------------------------------------------

# refresh_discovery: kubectl caches which resources are namespaced; after the CRD changes
# scope, a stale cache sends cluster-scoped requests to a namespaced path (404).
# `kubectl api-resources` always asks the server and rewrites the cache.
refresh_discovery() { k api-resources --api-group="$GROUP" -o name >/dev/null 2>&1 || true; }

# crd_state: "absent", "Namespaced", "Cluster", or "<scope>-deleting".
crd_state() {
  local out
  if ! out=$(k get crd "$CRD" -o jsonpath='{.spec.scope}|{.metadata.deletionTimestamp}' 2>&1); then
    grep -q NotFound <<<"$out" && { echo absent; return 0; }
    die "cannot read CRD $CRD: $(one_line <<<"$out")"
  fi
  if [ -n "${out#*|}" ]; then echo "${out%%|*}-deleting"; else echo "${out%%|*}"; fi
}

# list_links: one line per namespaced link, "namespace TAB name TAB labels-json TAB spec-json".
# jsonpath prints maps as JSON, and JSON strings carry no raw tab or newline.
list_links() {
  local out tpl='{range .items[*]}{.metadata.namespace}{"\t"}{.metadata.name}{"\t"}{.metadata.labels}{"\t"}{.spec}{"\n"}{end}'
  out=$(k get "$RESOURCE" --all-namespaces -o jsonpath="$tpl" 2>&1) || die "cannot list ClusterLinks: $(one_line <<<"$out")"
  grep -v '^$' <<<"$out" | LC_ALL=C sort || true
}

# check_names ROWS: link names must be unique once there are no namespaces, and fit a label.
check_names() {
  local rows=$1 dup where bad=0
  while read -r dup; do
    [ -n "$dup" ] || continue
    where=$(awk -F'\t' -v n="$dup" '$2 == n { printf "%s%s/%s", sep, $1, $2; sep = " and " }' <<<"$rows")
    log "error: ClusterLink name '$dup' is used in more than one namespace: $where; cluster-scoped links need unique names: re-create one of them under another name, then run this again"
    bad=1
  done < <(cut -f2 <<<"$rows" | LC_ALL=C sort | uniq -d)
  while IFS=$'\t' read -r ns name _; do
    [ -n "$name" ] || continue
    if [ "${#name}" -gt 63 ]; then
      log "error: ClusterLink $ns/$name: svclink's link names are at most 63 characters (they become label values)"
      bad=1
    fi
  done <<<"$rows"
  [ "$bad" = 0 ] || die "refused: nothing was changed"
}

# to_items ROWS: one cluster-scoped ClusterLink per line, as JSON (the saved file's items).
to_items() {
  local ns name labels spec meta
  while IFS=$'\t' read -r ns name labels spec; do
    [ -n "$name" ] || continue
    meta="\"name\":\"$name\""
    [ -z "$labels" ] || meta+=",\"labels\":$labels"
    meta+=",\"annotations\":{\"$FROM_ANNOTATION\":\"$ns/$name\"}"
    printf '{"apiVersion":"svclink.cloudpilot.ai/v1alpha1","kind":"ClusterLink","metadata":{%s},"spec":%s}\n' \
      "$meta" "${spec:-{\}}"
  done <<<"$1"
}

# write_save ITEMS: the saved file, a kubectl List with one item per line, written whole
# (temporary file, then rename) and readable only by its owner.
write_save() {
  local tmp=$save.tmp.$$ n=0 total
  total=$(grep -c . <<<"$1" || true)
  (
    umask 077
    {
      echo '{"apiVersion":"v1","kind":"List","items":['
      while read -r item; do
        [ -n "$item" ] || continue
        n=$((n + 1))
        if [ "$n" -lt "$total" ]; then echo "$item,"; else echo "$item"; fi
      done <<<"$1"
      echo ']}'
    } >"$tmp"
  ) || { rm -f "$tmp"; die "cannot write $save"; }
  mv -f "$tmp" "$save" || { rm -f "$tmp"; die "cannot write $save"; }
}

# saved_items: the items of the saved file, one per line (the layout write_save gives).
saved_items() { grep '^{"apiVersion":"svclink.cloudpilot.ai/' "$save" | sed 's/,$//'; }

# item_name / item_from / item_enabled ITEM: fields of one saved item, in the layout to_items
# writes (read without kubectl: before svclink's CRD exists kubectl cannot map the kind).
# The kubeconfig is base64 and no label value is a bare true/false, so the patterns are exact.
item_name() { sed -n 's/^{"apiVersion":"[^"]*","kind":"ClusterLink","metadata":{"name":"\([^"]*\)".*$/\1/p' <<<"$1"; }
item_from() { sed -n "s|^.*\"$FROM_ANNOTATION\":\"\\([^\"]*\\)\".*\$|\\1|p" <<<"$1"; }
item_enabled() { sed -n 's/^.*"spec":{.*"enabled":\(true\|false\).*$/\1/p' <<<"$1"; }

# --- the plan --------------------------------------------------------------------------------

# print_links ITEMS CHECK: one line per link; with CHECK=1 (svclink's CRD is there) a link
# that exists already is marked so.
print_links() {
  local item name from enabled there
  while read -r item; do
    [ -n "$item" ] || continue
    name=$(item_name "$item") from=$(item_from "$item") enabled=$(item_enabled "$item")
    there=""
    if [ "$2" = 1 ] && k get "$RESOURCE" "$name" -o name >/dev/null 2>&1; then there=", exists: left as it is"; fi
    echo "       ${from:-?} -> ${name:-?} (enabled: ${enabled:-true}$there)"
  done <<<"$1"
}

state=$(crd_state)
refresh_discovery
items=""
steps=()
case $state in
  Namespaced)
    rows=$(list_links)
    check_names "$rows"
    items=$(to_items "$rows")
    if [ -e "$save" ] && [ "$(saved_items)" != "$items" ]; then
      die "$save exists and does not hold the links now in the cluster (a file of another run?): move it away or pass --save OTHER; nothing was changed"
    fi
    steps+=("save $(grep -c . <<<"$items" || true) ClusterLink(s) to $save (mode 0600: it holds their kubeconfigs)")
    steps+=("delete CRD $CRD (Namespaced: svclink (Go)'s; this deletes every ClusterLink object) and wait until it is gone")
    ;;
  Namespaced-deleting | Cluster-deleting)
    [ -f "$save" ] || die "CRD $CRD is being deleted and there is no saved file $save: its ClusterLinks cannot be listed any more; nothing was changed"
    items=$(saved_items)
    steps+=("wait until CRD $CRD (being deleted) is gone")
    ;;
  absent)
    if [ ! -f "$save" ]; then
      log "no CRD $CRD in this cluster and no saved file $save: nothing to migrate (a fresh install applies manifests/crds/)"
      exit 0
    fi
    items=$(saved_items)
    ;;
  Cluster)
    if [ ! -f "$save" ]; then
      log "CRD $CRD is already cluster-scoped (svclink's) and there is no saved file $save: nothing to do"
      exit 0
    fi
    items=$(saved_items)
    ;;
  *) die "CRD $CRD has an unexpected scope '$state'" ;;
esac
if [ "$state" != Cluster ]; then
  steps+=("apply $crd_file (cluster-scoped) and wait until it is Established")
fi
steps+=("refresh kubectl's discovery of $GROUP")
steps+=("re-create cluster-scoped, with the same name, labels and spec, each link not there yet:")

echo "Migration of ClusterLinks from svclink (Go) (CRD now: $state):"
i=1
for s in "${steps[@]}"; do
  echo "  $i. $s"
  i=$((i + 1))
done
if [ -n "$items" ]; then print_links "$items" "$([ "$state" = Cluster ] && echo 1 || echo 0)"; else echo "       (none)"; fi

if [ "$dry_run" = 1 ]; then
  log "dry run: nothing was changed and no file was written"
  exit 0
fi

# --- doing it --------------------------------------------------------------------------------

# wait_until SECONDS COMMAND...: retries every half second.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
crd_gone() { [ "$(crd_state)" = absent ]; }
crd_cluster_scoped() {
  local names
  names=$(k api-resources --api-group="$GROUP" --namespaced=false -o name 2>/dev/null) && grep -qx "$CRD" <<<"$names"
}

if [ "$state" = Namespaced ]; then
  write_save "$items"
  log "saved $(grep -c . <<<"$items" || true) ClusterLink(s) to $save"
  out=$(k delete crd "$CRD" --wait=false 2>&1) || die_resume "cannot delete CRD $CRD: $(one_line <<<"$out")"
  state=Namespaced-deleting
fi
if [[ $state == *-deleting ]]; then
  log "waiting (at most ${timeout}s) for CRD $CRD to be gone"
  if ! wait_until "$timeout" crd_gone; then
    die_resume "CRD $CRD is still there after ${timeout}s (ClusterLinks with finalizers block it: kubectl get $RESOURCE -A -o name)"
  fi
  state=absent
fi
if [ "$state" = absent ]; then
  out=$(k apply -f "$crd_file" 2>&1) || die_resume "cannot apply $crd_file: $(one_line <<<"$out")"
  log "$(one_line <<<"$out")"
  if ! out=$(k wait --for condition=Established --timeout="${timeout}s" "crd/$CRD" 2>&1); then
    die_resume "CRD $CRD is not Established: $(one_line <<<"$out")"
  fi
fi
# The new CRD is served a moment after it is Established; until discovery says so,
# kubectl would post to the old, namespaced path.
if ! wait_until 30 crd_cluster_scoped; then
  die_resume "discovery does not show $CRD as cluster-scoped: kubectl api-resources --api-group=$GROUP"
fi
log "kubectl's discovery refreshed: $CRD is cluster-scoped"

created=0 kept=0 failed=0
while read -r item; do
  [ -n "$item" ] || continue
  name=$(item_name "$item")
  if [ -z "$name" ]; then
    log "an item of $save is not in the layout this script writes (line $(grep -nF -- "$item" "$save" | cut -d: -f1 | head -n 1))"
    failed=1
    continue
  fi
  if out=$(k get "$RESOURCE" "$name" -o name 2>&1); then
    kept=$((kept + 1))
    continue
  elif ! grep -q NotFound <<<"$out"; then
    log "cannot read ClusterLink $name: $(one_line <<<"$out")"
    failed=1
    continue
  fi
  if out=$(k create -f - 2>&1 <<<"$item"); then
    log "$(one_line <<<"$out")"
    created=$((created + 1))
  else
    log "cannot create ClusterLink $name: $(one_line <<<"$out")"
    failed=1
  fi
done <<<"$items"
if [ "$failed" != 0 ]; then
  log "the saved item of a link that was refused can be edited in $save (keep one item per line)"
  die_resume "not every link was re-created ($created created, $kept already there)"
fi
if [ "$created" = 0 ]; then
  log "nothing to do: every saved link exists already ($kept)"
else
  log "done: $created ClusterLink(s) re-created cluster-scoped, $kept already there"
fi
log "check them (kubectl get clusterlinks), then delete $save: it holds their kubeconfigs"
log "kubectl elsewhere may still cache ClusterLinks as namespaced: run 'kubectl api-resources' there once, or remove ~/.kube/cache/discovery"
