#!/usr/bin/env bash
# Peer mode (the vmware controller's shape): svclink in each of main, cluster-a and cluster-b,
# each writing only into its own cluster and linked to the other two (ClusterLinks in main,
# --kubeconfig-dir in the remotes): endpoints reach every cluster, nothing echoes back or grows,
# kubeconfig files are added, rotated (Secret-volume swaps), broken and removed at run time,
# and a namespace opts out by label (and by the replicated=false alias); then the vmware
# controller's own environment (NSTOWATCH, EXCLUDE) on a fresh instance: EXCLUDE keeps a
# namespace from being replicated, and NSTOWATCH=kube-system is refused naming it.
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"
# shellcheck source-path=SCRIPTDIR source=sync_lib.sh
source "$E2E_ROOT/tests/e2e/sync_lib.sh"

CRD=$E2E_ROOT/manifests/crds/svclink.cloudpilot.ai_clusterlinks.yaml
work=$(mktemp -d)
cp "$E2E_BIN" "$work/svclink" && E2E_BIN=$work/svclink
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
RUN_LABEL=svclink-e2e-peer
P=peer-$sfx                          # the one namespace every instance syncs
X=peerx-$sfx                         # cluster-a's namespace the vmware EXCLUDE keeps out
LM=pm-$sfx LA=pa-$sfx LB=pb-$sfx     # link names of main, cluster-a, cluster-b, the same everywhere
CREATED=svclink.cloudpilot.ai/created-by=svclink
declare -A PID LOG LINK=([main]=$LM [cluster-a]=$LA [cluster-b]=$LB) SHORT=([main]=m [cluster-a]=a [cluster-b]=b)
CLUSTERS=(main cluster-a cluster-b)

stop_all() {
  local c
  for c in "${CLUSTERS[@]}"; do
    [ -n "${PID[$c]:-}" ] || continue
    kill -TERM "${PID[$c]}" 2>/dev/null
    e2e_wait 20 pid_gone "${PID[$c]}" || kill -KILL "${PID[$c]}" 2>/dev/null
    wait "${PID[$c]}" 2>/dev/null
    PID[$c]=""
  done
}
cleanup() {
  stop_all
  run_links_delete
  local c
  for c in "${CLUSTERS[@]}"; do e2e_kubectl "$c" delete namespace "$P" "$X" --wait=false --ignore-not-found >/dev/null 2>&1; done
  if [ -n "${E2E_KEEP:-}" ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Every wait and check also needs all three instances running.
svc_ok() {
  local c
  for c in "${CLUSTERS[@]}"; do [ -z "${PID[$c]:-}" ] || pid_running "${PID[$c]}" || return 1; done
}
svc_tail() { local c; for c in "${CLUSTERS[@]}"; do printf '[%s] %s ' "$c" "$(tail -n 2 "${LOG[$c]}" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"; done; }
SVC_PID=peers # why_text: say which instance died
svc_alive() { svc_ok; }

kc() { e2e_kubectl "$@"; }
addrs_tpl='{range .items[*]}{range .endpoints[*]}{.addresses[0]}{"\n"}{end}{end}'
# own CLUSTER SVC: the addresses of the cluster's own (controller-made) slices of SVC.
own() { kc "$1" -n "$P" get endpointslices -l "kubernetes.io/service-name=$2,endpointslice.kubernetes.io/managed-by!=$MANAGED_BY" -o jsonpath="$addrs_tpl" | sort; }
# got CLUSTER SVC LINK: the addresses svclink wrote into CLUSTER for SVC from LINK.
got() { kc "$1" -n "$P" get endpointslices -l "kubernetes.io/service-name=$2,$LINK_LABEL=$3,$MANAGED_SEL" -o jsonpath="$addrs_tpl" | sort; }
# reaches FROM TO SVC: TO has FROM's own endpoints of SVC, from FROM's link, and some.
reaches() { local o g; o=$(own "$1" "$3") && g=$(got "$2" "$3" "${LINK[$1]}") && [ -n "$o" ] && [ "$o" = "$g" ]; }
reach_why() { echo "own in $1 [$(own "$1" "$3" | tr '\n' ' ')] written in $2 [$(got "$2" "$3" "${LINK[$1]}" | tr '\n' ' ')]"; }
nothing_from() { local g; g=$(kc "$2" -n "$P" get endpointslices -l "kubernetes.io/service-name=$3,$LINK_LABEL=${LINK[$1]}" -o name) && [ -z "$g" ]; }
created_here() { [ "$(kc "$1" -n "$P" get service "$2" -o jsonpath='{.metadata.labels.svclink\.cloudpilot\.ai/created-by}/{.metadata.labels.replicated}/{.spec.selector}' 2>/dev/null)" = "svclink/true/" ]; }
svc_gone() { ! kc "$1" -n "$P" get service "$2" >/dev/null 2>&1 && kc "$1" get ns "$P" >/dev/null 2>&1; }
# no_echo: every slice svclink wrote, in every cluster, is for a Service native to the
# cluster its link names (app-X from X's link) or for "shared": nothing made by svclink was
# read back as a source.
no_echo() {
  local c line svc link bad=0
  for c in "${CLUSTERS[@]}"; do
    while read -r line; do
      [ -n "$line" ] || continue
      svc=${line%% *} link=${line##* }
      case "$svc" in
        shared) ;;
        mig | db | duo) ;; # several clusters serve these during the migrations
        app-m) [ "$link" = "$LM" ] || bad=1 ;;
        app-a) [ "$link" = "$LA" ] || bad=1 ;;
        app-b) [ "$link" = "$LB" ] || bad=1 ;;
        *) bad=1 ;;
      esac
      [ "$bad" = 0 ] || { echo "$c: $line"; return 1; }
    done < <(kc "$c" -n "$P" get endpointslices -l "$MANAGED_SEL" -o jsonpath='{range .items[*]}{.metadata.labels.kubernetes\.io/service-name} {.metadata.labels.svclink\.cloudpilot\.ai/cluster}{"\n"}{end}')
  done
}
counts() { local c; for c in "${CLUSTERS[@]}"; do printf '%s:%s/%s ' "$c" "$(kc "$c" -n "$P" get services -o name | grep -c .)" "$(kc "$c" -n "$P" get endpointslices -o name | grep -c .)"; done; }
all_writes() { local c n=0; for c in "${CLUSTERS[@]}"; do n=$((n + $(obj_write_count "${LOG[$c]}"))); done; echo "$n"; }
logged() { grep -c -- "$2" "${LOG[$1]}" 2>/dev/null; }
log_has_more() { [ "$(logged "$1" "$2")" -gt "$3" ]; }

# A kubeconfig file the way a Secret volume holds it: DIR/NAME -> ..data/NAME, ..data -> ..vN.
secret_put() { # DIR NAME SOURCE_FILE
  local dir=$1 name=$2 v
  v="..v$(date +%s%N)"
  mkdir -p "$dir/$v"
  [ -d "$dir/..data" ] && cp -a "$dir/..data/." "$dir/$v/"
  cp "$3" "$dir/$v/$name"
  ln -sfn "$v" "$dir/..tmp" && mv -T "$dir/..tmp" "$dir/..data"
  [ -L "$dir/$name" ] || ln -s "..data/$name" "$dir/$name"
}

start() { # CLUSTER ARGS...
  local c=$1; shift
  LOG[$c]=$work/svclink-$c.log
  "$E2E_BIN" --kubeconfig "$E2E_STATE/$c/kubeconfig" --sync-interval 2s --included-namespaces "$P" "$@" >"${LOG[$c]}" 2>&1 &
  PID[$c]=$!
}

echo "-- run suffix $sfx, work directory $work"
if km apply -f "$CRD" >"$work/crd.out" 2>&1 &&
  km wait --for condition=Established --timeout 30s crd/clusterlinks.svclink.cloudpilot.ai >>"$work/crd.out" 2>&1; then
  e2e_pass "peer: CRD applied in main"
else
  fail "peer: CRD applied in main" "$(cat "$work/crd.out")"
  e2e_finish
fi

# Each cluster: app-<short> (2 pods) only there, and shared (1 pod) in all three.
for c in "${CLUSTERS[@]}"; do
  s=${SHORT[$c]}
  { ns_yaml "$P"; deploy_yaml "$P" "app-$s" 2; svc_yaml "$P" "app-$s" "app-$s"; deploy_yaml "$P" shared 1; svc_yaml "$P" shared shared; } |
    kc "$c" apply -f - >"$work/apply-$c.out" 2>&1 || fail "peer: workloads applied in $c" "$(cat "$work/apply-$c.out")"
done
pods_up() { [ "$(own "$1" "app-${SHORT[$1]}" | grep -c .)" -eq 2 ] && [ "$(own "$1" shared | grep -c .)" -eq 1 ]; }
for c in "${CLUSTERS[@]}"; do expect "peer: $c has its own endpoints (2 app, 1 shared)" 90 "own $c app-${SHORT[$c]}" pods_up "$c"; done

# main: ClusterLinks to both remotes. cluster-b: a directory with main and cluster-a.
# cluster-a: main only at first (cluster-b's file comes at run time).
{
  link_yaml "$LA" "kubeconfig: $(b64 "$E2E_STATE/cluster-a/kubeconfig")" "createServices: true"
  link_yaml "$LB" "kubeconfig: $(b64 "$E2E_STATE/cluster-b/kubeconfig")" "createServices: true"
} | km apply -f - >"$work/links.out" 2>&1 || fail "peer: ClusterLinks created in main" "$(cat "$work/links.out")"
mkdir -p "$work/dir-a" "$work/dir-b"
secret_put "$work/dir-a" "$LM.yaml" "$E2E_STATE/main/kubeconfig"
cp "$E2E_STATE/main/kubeconfig" "$work/dir-b/$LM"
cp "$E2E_STATE/cluster-a/kubeconfig" "$work/dir-b/$LA.kubeconfig"
printf 'not: [a kubeconfig\n' >"$work/bad.yaml"

start main
start cluster-a --kubeconfig-dir "$work/dir-a" --no-clusterlinks
start cluster-b --kubeconfig-dir "$work/dir-b" --no-clusterlinks

# --- every Service reaches the other two clusters ---------------------------------------------
expect "d4 peer: main's app-m reaches cluster-b (Service created, selectorless, replicated=true)" 60 \
  "reach_why main cluster-b app-m" eval 'reaches main cluster-b app-m && created_here cluster-b app-m'
expect "d6 peer: main's app-m reaches cluster-a (kubeconfig in a Secret-style volume)" 30 \
  "reach_why main cluster-a app-m" eval 'reaches main cluster-a app-m && created_here cluster-a app-m'
expect "peer: cluster-a's app-a reaches main and cluster-b" 30 "reach_why cluster-a main app-a" \
  eval 'reaches cluster-a main app-a && reaches cluster-a cluster-b app-a && created_here main app-a'
expect "peer: cluster-b's app-b reaches main (cluster-a has no file for cluster-b yet)" 30 \
  "reach_why cluster-b main app-b" eval 'reaches cluster-b main app-b && created_here main app-b && svc_gone cluster-a app-b'
expect "peer: shared gets the other two clusters' endpoints in main and cluster-b" 30 "reach_why cluster-a main shared" \
  eval 'reaches cluster-a main shared && reaches cluster-b main shared && reaches main cluster-b shared && reaches cluster-a cluster-b shared'

# --- a kubeconfig file added at run time ------------------------------------------------------
secret_put "$work/dir-a" "$LB" "$E2E_STATE/cluster-b/kubeconfig"
expect "d2 peer: a file added to cluster-a's directory links cluster-b (app-b and shared arrive)" 30 \
  "reach_why cluster-b cluster-a app-b" eval 'reaches cluster-b cluster-a app-b && reaches cluster-b cluster-a shared && reaches main cluster-a shared'
check "peer: the Secret volume's ..data entries are never links" "grep kubeconfig ${LOG[cluster-a]}" \
  not grep -q 'file=\.\.' "${LOG[cluster-a]}"

# --- no echo, no growth -----------------------------------------------------------------------
expect "f9 peer: no svclink-made Service or slice is read back as a source anywhere" 10 "no_echo" no_echo
sleep 3 # let the last writes settle
before=$(counts) w0=$(all_writes)
sleep 7 # more than three resyncs of 2 s in each of the three instances
after=$(counts) w1=$(all_writes)
check "peer: object counts unchanged over 3 resyncs ($before)" "before $before after $after" test "$before" = "$after"
check "peer: no write at all in 3 resyncs of three instances ($w0 writes before)" "writes $w0 -> $w1" test "$w0" = "$w1"
check "peer: still no echo after the resyncs" "no_echo" no_echo

# --- rotation: not YAML, then a good kubeconfig again (Secret-volume swaps) -----------------
bad0=$(logged cluster-a "link=$LB ready=false reason=KubeconfigInvalid")
secret_put "$work/dir-a" "$LB" "$work/bad.yaml"
expect "d7 peer: a rotated file that is not YAML gives KubeconfigInvalid in the log" 15 "grep $LB ${LOG[cluster-a]} | tail -3" \
  log_has_more cluster-a "link=$LB ready=false reason=KubeconfigInvalid" "$bad0"
check "d7 peer: the other link and the last endpoints stay (app-m, app-b still in cluster-a)" "reach_why main cluster-a app-m" \
  eval 'reaches main cluster-a app-m && reaches cluster-b cluster-a app-b'
ok0=$(logged cluster-a "link=$LB ready=true reason=Connected")
secret_put "$work/dir-a" "$LB" "$E2E_STATE/cluster-b/kubeconfig"
expect "peer: rotated back to a good kubeconfig: the link is Connected again" 30 "grep $LB ${LOG[cluster-a]} | tail -3" \
  log_has_more cluster-a "link=$LB ready=true reason=Connected" "$ok0"
kb -n "$P" scale deployment app-b --replicas 3 >/dev/null 2>&1
expect "peer: after the rotation cluster-b's changes reach cluster-a (app-b scaled to 3)" 60 "reach_why cluster-b cluster-a app-b" \
  eval '[ "$(own cluster-b app-b | grep -c .)" -eq 3 ] && reaches cluster-b cluster-a app-b && reaches cluster-b main app-b'

# --- namespace opt-out by label, and by the alias ---------------------------------------------
kb label namespace "$P" svclink.cloudpilot.ai/sync=false >/dev/null
expect "peer: cluster-b's namespace labelled sync=false: its app-b and slices leave main and cluster-a" 30 \
  "kc main -n $P get svc,endpointslices -l $LINK_LABEL=$LB" \
  eval 'svc_gone main app-b && svc_gone cluster-a app-b && nothing_from cluster-b main shared && nothing_from cluster-b cluster-a shared'
check "peer: the opted-out cluster still receives (cluster-b keeps app-m and app-a)" "reach_why main cluster-b app-m" \
  eval 'reaches main cluster-b app-m && reaches cluster-a cluster-b app-a'
kb label namespace "$P" svclink.cloudpilot.ai/sync- >/dev/null
expect "peer: label removed: app-b is back in main and cluster-a" 30 "reach_why cluster-b main app-b" \
  eval 'reaches cluster-b main app-b && reaches cluster-b cluster-a app-b'
kb label namespace "$P" replicated=false >/dev/null
expect "peer: the vmware alias replicated=false opts out too" 30 "kc main -n $P get svc" \
  eval 'svc_gone main app-b && nothing_from cluster-b main shared'
kb label namespace "$P" replicated- >/dev/null
expect "peer: alias removed: app-b is back in main" 30 "reach_why cluster-b main app-b" reaches cluster-b main app-b

# --- a kubeconfig file removed at run time ----------------------------------------------------
rm -f "$work/dir-a/$LB"
expect "d2 peer: cluster-b's file removed from cluster-a's directory: its Service and slices go there" 30 \
  "kc cluster-a -n $P get svc,endpointslices -l $LINK_LABEL=$LB" \
  eval 'svc_gone cluster-a app-b && nothing_from cluster-b cluster-a shared && reaches main cluster-a app-m'
check "peer: main still has cluster-b's endpoints (only cluster-a's instance lost the link)" "reach_why cluster-b main app-b" \
  reaches cluster-b main app-b
check "peer: no svclink-made object was read back as a source at the end" "no_echo" no_echo

# --- migrations between main (old) and cluster-b (new), the seed's steps -----------------------
MODE=svclink.cloudpilot.ai/mode ALIAS=vmware.com/syndicate-mode STASH=svclink.cloudpilot.ai/stashed-selector
sel_of() { kc "$1" -n "$P" get service "$2" -o jsonpath='{.spec.selector}' 2>/dev/null; }
stash_of() { kc "$1" -n "$P" get service "$2" -o jsonpath="{.metadata.annotations.svclink\.cloudpilot\.ai/stashed-selector}" 2>/dev/null; }
n_own() { own "$1" "$2" | grep -c .; }
# only_from CLUSTER SVC FROM: CLUSTER's Service has no own endpoints and exactly FROM's.
only_from() { [ "$(n_own "$1" "$2")" -eq 0 ] && reaches "$3" "$1" "$2"; }
# own_only CLUSTER SVC: its own endpoints and nothing svclink wrote.
own_only() { local g; [ "$(n_own "$1" "$2")" -gt 0 ] && g=$(kc "$1" -n "$P" get endpointslices -l "kubernetes.io/service-name=$2,$MANAGED_SEL" -o name) && [ -z "$g" ]; }
union_of() { local want got; want=$( (own "$1" "$2"; own "$3" "$2") | sort) && got=$( (own "$1" "$2"; got "$1" "$2" "${LINK[$3]}") | sort) && [ "$(grep -c . <<<"$want")" -eq 4 ] && [ "$want" = "$got" ]; }
# take_over CLUSTER SVC SELECTOR_JSON: the target's copy becomes a real Service (the
# created-by label dropped, the selector set), as an operator does at the target.
take_over() { kc "$1" -n "$P" label service "$2" svclink.cloudpilot.ai/created-by- replicated- >/dev/null && kc "$1" -n "$P" patch service "$2" --type merge -p "{\"spec\":{\"selector\":$3}}" >/dev/null; }
dbpods() { deploy_yaml "$P" db 2 | sed 's/{labels: {app: db}}/{labels: {app: db, tier: data}}/'; }
{ deploy_yaml "$P" mig 2; svc_yaml "$P" mig mig; dbpods; svc_yaml "$P" db | sed 's/^spec:$/spec:\n  selector: {app: db, tier: data}/'; } | km apply -f - >/dev/null
{ deploy_yaml "$P" mig 2; dbpods; } | kb apply -f - >/dev/null
expect "migrate: mig and db run in main and are replicated to cluster-b (mig to cluster-a too)" 60 "reach_why main cluster-b db; reach_why main cluster-a mig" \
  eval 'reaches main cluster-b mig && reaches main cluster-b db && [ "$(n_own main db)" -eq 2 ] && created_here cluster-b db && reaches main cluster-a mig'

# Stateless: union in the old cluster, the target takes over with its pods, then source.
km -n "$P" annotate service mig "$MODE=union" >/dev/null
take_over cluster-b mig '{"app":"mig"}'
expect "migrate stateless 1: union: main and cluster-b both serve all four endpoints" 60 "reach_why cluster-b main mig" \
  eval 'union_of main mig cluster-b && union_of cluster-b mig main'
check "migrate stateless 1: the union Service keeps its selector (no selector surgery)" "sel_of main mig" \
  test "$(sel_of main mig)" = '{"app":"mig"}'
kb -n "$P" annotate service mig "$ALIAS=source" >/dev/null
expect "migrate stateless 2: source in the target: main's union Service takes only cluster-b's endpoints" 60 \
  "echo sel=\$(sel_of main mig) stash=\$(stash_of main mig); reach_why cluster-b main mig" \
  eval 'only_from main mig cluster-b && [ -z "$(sel_of main mig)" ] && [ "$(stash_of main mig)" = "{\"app\":\"mig\"}" ]'
expect "migrate stateless 2: cluster-b serves only its own pods" 30 "reach_why main cluster-b mig" own_only cluster-b mig
# cluster-a links to main only (its file for cluster-b was removed above): main serves no
# pods of its own for mig now, so what cluster-a had from main goes.
expect "migrate stateless 2: cluster-a no longer has main's endpoints of mig (main serves none of its own)" 30 "reach_why main cluster-a mig" \
  nothing_from main cluster-a mig

# Stateful: receiver in the old cluster (no source yet: selector kept), then the target's selector.
km -n "$P" annotate service db "$MODE=receiver" >/dev/null
expect "migrate stateful 1: receiver without a source keeps its selector and says so" 30 "grep -c 'without a source' ${LOG[main]}" \
  eval 'grep -q "receiver without a source cluster.*service=db" "${LOG[main]}" && [ "$(sel_of main db)" = "{\"app\":\"db\",\"tier\":\"data\"}" ] && [ "$(n_own main db)" -eq 2 ]'
take_over cluster-b db '{"app":"db","tier":"data"}'
kb -n "$P" annotate service db "$MODE=source" >/dev/null
expect "migrate stateful 2: the target's selector and source: main's db takes only cluster-b's endpoints" 60 \
  "echo sel=\$(sel_of main db) stash=\$(stash_of main db); reach_why cluster-b main db" \
  eval 'only_from main db cluster-b && [ -z "$(sel_of main db)" ]'
check "migrate stateful 2: the stash holds the selector exactly" "stash_of main db" \
  test "$(stash_of main db)" = '{"app":"db","tier":"data"}'
expect "migrate stateful 2: cluster-b's db has only its own pods" 30 "reach_why main cluster-b db" own_only cluster-b db

# A stash edited into garbage is refused, reported and kept; a good one is restored exactly.
km -n "$P" annotate service db --overwrite "$STASH={\"app\": broken" >/dev/null
km -n "$P" annotate service db "$MODE-" >/dev/null
expect "migrate: a malformed stash is refused and reported" 30 "grep -c 'stash' ${LOG[main]}" \
  grep -q 'stashed selector refused.*service=db' "${LOG[main]}"
check "migrate: the malformed stash is kept and no selector is made from it" "echo sel=\$(sel_of main db) stash=\$(stash_of main db)" \
  eval '[ -z "$(sel_of main db)" ] && [ "$(stash_of main db)" = "{\"app\": broken" ]'
km -n "$P" annotate service db --overwrite "$STASH={\"app\":\"db\",\"tier\":\"data\"}" >/dev/null
expect "migrate: the stash fixed by hand: the selector is restored exactly and the stash removed" 30 \
  "echo sel=\$(sel_of main db) stash=\$(stash_of main db)" \
  eval '[ "$(sel_of main db)" = "{\"app\":\"db\",\"tier\":\"data\"}" ] && [ -z "$(stash_of main db)" ] && [ "$(n_own main db)" -eq 2 ]'

# Singular stops replication and removes the replicas; created singular, never replicated.
kb -n "$P" annotate service mig --overwrite "$MODE=singular" >/dev/null
expect "singular: cluster-b's mig is no longer replicated: main and cluster-a drop its endpoints" 30 \
  "kc main -n $P get endpointslices -l kubernetes.io/service-name=mig" \
  eval 'nothing_from cluster-b main mig && nothing_from cluster-b cluster-a mig'
expect "singular: with no source left main's union Service gets its selector back exactly" 30 \
  "echo sel=\$(sel_of main mig) stash=\$(stash_of main mig)" \
  eval '[ "$(sel_of main mig)" = "{\"app\":\"mig\"}" ] && [ -z "$(stash_of main mig)" ] && [ "$(n_own main mig)" -eq 2 ]'
{ deploy_yaml "$P" solo 1; svc_yaml "$P" solo solo | sed "s|^metadata: {\(.*\)}$|metadata: {\1, annotations: {$MODE: singular}}|"; deploy_yaml "$P" duo 1; svc_yaml "$P" duo duo; } | km apply -f - >/dev/null
expect "singular: a control Service made at the same time is replicated" 60 "reach_why main cluster-b duo" reaches main cluster-b duo
# solo's pod may become ready after duo's: "not replicated" means something only once the
# peers have seen solo with an endpoint. Its endpoint first, then a later change of the
# control followed in both peers: their watches of main deliver in order, so by then each
# has seen (and planned) solo as it is now.
echo "# solo's own endpoints in main when duo had reached cluster-b: $(n_own main solo)"
expect "singular: the singular Service has its own endpoint in main" 60 "own main solo" eval '[ "$(n_own main solo)" -eq 1 ]'
km -n "$P" scale deployment duo --replicas 2 >/dev/null
expect "singular: a later change of the control reaches cluster-a and cluster-b" 60 "reach_why main cluster-a duo; reach_why main cluster-b duo" \
  eval '[ "$(n_own main duo)" -eq 2 ] && reaches main cluster-a duo && reaches main cluster-b duo'
# Never: no copy now, and no write for it ever logged by the peers (a copy made and deleted
# again would pass the first half).
solo_writes() { obj_writes "${LOG[cluster-a]}"; obj_writes "${LOG[cluster-b]}"; }
solo_written() { solo_writes | grep -qE " (name|service)=solo( |$)"; }
check "singular: a Service created singular is never replicated" \
  "kc cluster-a -n $P get svc solo; kc cluster-b -n $P get svc solo; solo_writes | grep -E ' (name|service)=solo( |\$)' | head -n 3" \
  eval 'svc_gone cluster-b solo && svc_gone cluster-a solo && ! solo_written && [ "$(n_own main solo)" -eq 1 ]'

# An unknown mode value: reported, and the Service is replicated as if it had none.
km -n "$P" annotate service app-m "$MODE=bogus" >/dev/null
expect "bad input: an unknown mode value is reported" 30 "grep -c unknown ${LOG[main]}" \
  grep -q 'unknown mode value.*service=app-m' "${LOG[main]}"
check "bad input: the Service with the unknown mode is still replicated, the others unaffected" "reach_why main cluster-b app-m" \
  eval 'reaches main cluster-b app-m && reaches cluster-a main app-a && reaches main cluster-b duo'
check "migrate: no echo after the migrations" "no_echo" no_echo

stop_all
check "peer: no instance logged an error" "svc_tail" eval '! grep -q "level=error" "${LOG[main]}" "${LOG[cluster-a]}" "${LOG[cluster-b]}"'

# --- the vmware controller's environment: NSTOWATCH and EXCLUDE ----------------------------------
# A fresh instance in cluster-b with cluster-a's file and only the vmware controller's
# variables (no namespace flag): NSTOWATCH="P X" (blank-separated) watches both namespaces,
# EXCLUDE=X keeps X out. Then, as a control, the same without EXCLUDE replicates X.
out=$(NSTOWATCH=kube-system timeout 5 "$E2E_BIN" --kubeconfig "$E2E_STATE/cluster-b/kubeconfig" 2>&1 </dev/null)
rc=$?
if [ "$rc" = 2 ] && grep -q '^svclink: NSTOWATCH: kube-system' <<<"$out"; then
  e2e_pass "peer env: NSTOWATCH=kube-system is refused at start (exit 2) naming NSTOWATCH"
else
  fail "peer env: NSTOWATCH=kube-system is refused at start (exit 2) naming NSTOWATCH" "exit $rc: $out"
fi
{ ns_yaml "$X"; deploy_yaml "$X" app-x 1; svc_yaml "$X" app-x app-x; } | ka apply -f - >"$work/apply-x.out" 2>&1 ||
  fail "peer env: namespace $X with app-x applied in cluster-a" "$(cat "$work/apply-x.out")"
x_own() { ka -n "$X" get endpointslices -l "kubernetes.io/service-name=app-x,endpointslice.kubernetes.io/managed-by!=$MANAGED_BY" -o jsonpath="$addrs_tpl"; }
x_up() { [ "$(x_own | grep -c .)" -eq 1 ]; }
expect "peer env: cluster-a has app-x's own endpoint in $X" 60 "x_own" x_up
# x_in_b: cluster-b has app-x (the Service or any slice of it) in X.
x_in_b() { kb -n "$X" get service app-x >/dev/null 2>&1 || [ -n "$(kb -n "$X" get endpointslices -l kubernetes.io/service-name=app-x -o name 2>/dev/null)" ]; }
x_replicated() { kb -n "$X" get service app-x >/dev/null 2>&1 && [ "$(got_x | grep -c .)" -eq 1 ] && [ "$(got_x)" = "$(x_own)" ]; }
got_x() { kb -n "$X" get endpointslices -l "kubernetes.io/service-name=app-x,$LINK_LABEL=$LA,$MANAGED_SEL" -o jsonpath="$addrs_tpl"; }
mkdir -p "$work/dir-x"
cp "$E2E_STATE/cluster-a/kubeconfig" "$work/dir-x/$LA"
start_env() { # EXCLUDE_VALUE LOG_SUFFIX
  LOG[cluster-b]=$work/svclink-cluster-b-$2.log
  NSTOWATCH="$P $X" EXCLUDE="$1" "$E2E_BIN" --kubeconfig "$E2E_STATE/cluster-b/kubeconfig" --sync-interval 2s \
    --kubeconfig-dir "$work/dir-x" --no-clusterlinks >"${LOG[cluster-b]}" 2>&1 &
  PID[cluster-b]=$!
}
start_env "$X" env
env_logged() { grep -q 'msg="reading a vmware controller variable as its flag" variable=NSTOWATCH value="'"$P $X"'" flag=--included-namespaces' "${LOG[cluster-b]}" &&
  grep -q 'msg="reading a vmware controller variable as its flag" variable=EXCLUDE value='"$X"' flag=--excluded-namespaces' "${LOG[cluster-b]}"; }
expect "peer env: the log says NSTOWATCH and EXCLUDE were read as --included-namespaces and --excluded-namespaces" 10 \
  "grep vmware ${LOG[cluster-b]}" env_logged
ka -n "$P" scale deployment app-a --replicas 3 >/dev/null 2>&1
expect "peer env: with NSTOWATCH=\"$P $X\" the instance syncs $P (cluster-a's app-a scaled to 3 reaches cluster-b)" 60 \
  "reach_why cluster-a cluster-b app-a" eval '[ "$(n_own cluster-a app-a)" -eq 3 ] && reaches cluster-a cluster-b app-a'
sleep 5 # two more resyncs of 2 s
check "peer env: EXCLUDE=$X keeps cluster-a's namespace $X from being replicated into cluster-b" \
  "kb -n $X get svc,endpointslices; grep -i $X ${LOG[cluster-b]} | tail -3" not x_in_b
stop_all
start_env "" control
expect "peer env: control: the same instance without EXCLUDE replicates $X's app-x into cluster-b" 60 \
  "echo own [\$(x_own)] got [\$(got_x)]; tail -n 3 ${LOG[cluster-b]}" x_replicated
stop_all
check "peer env: the instances with the vmware variables logged no error" "tail -n 3 $work/svclink-cluster-b-env.log" \
  eval '! grep -q "level=error" "$work/svclink-cluster-b-env.log" "$work/svclink-cluster-b-control.log"'
e2e_finish
