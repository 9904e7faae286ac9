#!/usr/bin/env bash
# Checks the operator scripts on the harness clusters: hack/export-kubeconfig.sh against
# cluster-a (a read-only kubeconfig, reruns keep it valid, --rotate revokes it, --secret,
# clear errors) and hack/cleanup-endpointslices.sh plus its make targets in main (lists and
# deletes exactly svclink's slices, refuses to delete unconfirmed).
# Needs E2E_ROOT, E2E_BIN, E2E_STATE, E2E_KUBECTL (tests/run.sh sets them).
# shellcheck disable=SC2317,SC2016 # functions run through e2e_wait look unreachable; the
# single-quoted snippets given to result are evaluated by it, when it runs them
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"

work=$(mktemp -d)
sfx=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
SNS=sx-$sfx  # cluster-a: the ServiceAccount export-kubeconfig.sh makes
TNS=st-$sfx  # main: the Secret printed by --secret, and the EndpointSlices to clean up
EXPORT=$E2E_ROOT/hack/export-kubeconfig.sh
CLEANUP=$E2E_ROOT/hack/cleanup-endpointslices.sh
READER_EXISTED=1

km() { e2e_kubectl main "$@"; }
ka() { e2e_kubectl cluster-a "$@"; }
kk() { "$E2E_KUBECTL" --kubeconfig "$@"; } # kk FILE ARGS...: kubectl with another kubeconfig
one_line() { tr '\n' ' ' <<<"$1" | tr -s ' ' | cut -c1-600; }
not() { ! "$@"; }
# result NAME WHY CMD...: PASS when CMD succeeds, else FAIL with the output of `eval WHY`
# (evaluated only then, so it shows the state at the failure).
result() {
  local name=$1 why=$2
  shift 2
  if "$@" >/dev/null 2>&1; then e2e_pass "$name"; else e2e_fail "$name" "$(one_line "$(eval "$why" 2>&1)")"; fi
}

cleanup() {
  ka delete namespace "$SNS" --wait=false --ignore-not-found >/dev/null 2>&1
  ka delete clusterrolebinding "svclink-remote-reader:$SNS:svclink-remote" --ignore-not-found >/dev/null 2>&1
  [ "$READER_EXISTED" = 1 ] || ka delete clusterrole svclink-remote-reader --ignore-not-found >/dev/null 2>&1
  km delete namespace "$TNS" --wait=false --ignore-not-found >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "-- run suffix $sfx"
ka get clusterrole svclink-remote-reader >/dev/null 2>&1 || READER_EXISTED=0
km create namespace "$TNS" >/dev/null 2>&1

# === hack/export-kubeconfig.sh ====================================================================
# export_run NAME ARGS...: runs the script against cluster-a; stdout to $work/NAME.out, stderr
# to $work/NAME.err; the exit status is its own.
export_run() {
  local n=$1
  shift
  KUBECTL=$E2E_KUBECTL "$EXPORT" --kubeconfig "$E2E_STATE/cluster-a/kubeconfig" --namespace "$SNS" "$@" \
    >"$work/$n.out" 2>"$work/$n.err"
}
# decode NAME: the base64 output of run NAME as a kubeconfig file $work/NAME.kubeconfig.
decode() { base64 -d <"$work/$1.out" >"$work/$1.kubeconfig" 2>/dev/null && grep -q '^kind: Config' "$work/$1.kubeconfig"; }
token_of() { sed -n 's/^ *token: "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$1"; }

name="export: prints one line of base64 that decodes to a kubeconfig with a token"
if export_run first && [ "$(grep -c . "$work/first.out")" = 1 ] && decode first && [ -n "$(token_of "$work/first.kubeconfig")" ]; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(head -c 300 "$work/first.out"; cat "$work/first.err")")"
fi
T1=$(token_of "$work/first.kubeconfig")
no_token_on_stderr() {
  local f
  for f in "$work"/*.err; do
    if [ -n "$T1" ] && grep -qF "$T1" "$f"; then return 1; fi
  done
}
KC1=$work/first.kubeconfig

reads_ok() {
  {
    kk "$1" get services -A && kk "$1" get endpointslices.discovery.k8s.io -A &&
      kk "$1" get --raw '/api/v1/services?watch=1&timeoutSeconds=1' &&
      kk "$1" get --raw '/apis/discovery.k8s.io/v1/endpointslices?watch=1&timeoutSeconds=1'
  } >/dev/null 2>&1
}
result "export: the kubeconfig lists and watches Services and EndpointSlices in all namespaces" \
  'kk "$KC1" get services -A 2>&1 | tail -n 2' reads_ok "$KC1"

# can_i_none FILE CHECK...: each "verb resource [-n ns]" is refused.
can_i_none() {
  local f=$1 c got bad=""
  shift
  for c in "$@"; do
    # shellcheck disable=SC2086 # verb, resource and maybe -n NS
    got=$(kk "$f" auth can-i $c 2>/dev/null)
    [ "$got" = no ] || bad+="'$c' says '${got:-error}'; "
  done
  [ -z "$bad" ] || { echo "$bad"; return 1; }
}
name="export: the kubeconfig may not write (auth can-i says no to create/delete/update) nor read Secrets"
if why=$(can_i_none "$KC1" "create services -n $SNS" "delete services -n $SNS" "update services -n $SNS" \
  "create endpointslices -n $SNS" "delete endpointslices -n $SNS" "update endpointslices -n $SNS" \
  "get services -n $SNS" "get secrets -n $SNS" "list secrets -A" "create pods -n $SNS"); then
  e2e_pass "$name"
else
  e2e_fail "$name" "$why"
fi
out=$(printf 'apiVersion: v1\nkind: Service\nmetadata: {name: forbidden, namespace: %s}\nspec: {ports: [{port: 80}]}\n' "$SNS" |
  kk "$KC1" create -f - 2>&1)
rc=$?
name="export: an actual create with the kubeconfig fails with Forbidden"
if [ "$rc" != 0 ] && grep -q Forbidden <<<"$out"; then e2e_pass "$name"; else e2e_fail "$name" "rc=$rc: $(one_line "$out")"; fi
result "export: svclink accepts the kubeconfig as a ClusterLink's (svclink api --untrusted list)" \
  '"$E2E_BIN" api --kubeconfig "$KC1" --untrusted list /api/v1/services 2>&1 | tail -n 2' \
  "$E2E_BIN" api --kubeconfig "$KC1" --untrusted list /api/v1/services

name="export: a second run reuses the token (same output) and the first kubeconfig still works"
if export_run second && cmp -s "$work/first.out" "$work/second.out" && reads_ok "$KC1" >/dev/null 2>&1; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(cat "$work/second.err")")"
fi

name="export: --secret prints a Secret (key kubeconfig) that applies in main and holds a working kubeconfig"
secret_ok() {
  local got
  got=$(km -n "$TNS" get secret remote-kc -o jsonpath='{.type} {.data.kubeconfig}') || return 1
  [ "${got%% *}" = Opaque ] || return 1
  base64 -d <<<"${got#* }" >"$work/secret.kubeconfig" && reads_ok "$work/secret.kubeconfig"
}
if export_run secret --secret --secret-namespace "$TNS" --secret-name remote-kc && out=$(km apply -f "$work/secret.out" 2>&1) && secret_ok; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(cat "$work/secret.err") ${out:-}")"
fi
name="export: --secret without --secret-name names the Secret after the remote cluster"
if export_run secret2 --secret && grep -qx '  name: cluster-a-kubeconfig' "$work/secret2.out" && grep -qx '  namespace: cloudpilot' "$work/secret2.out"; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(head -n 8 "$work/secret2.out"; cat "$work/secret2.err")")"
fi

name="export: --rotate prints a new token that works"
if export_run rotated --rotate && decode rotated && ! cmp -s "$work/first.out" "$work/rotated.out" && reads_ok "$work/rotated.kubeconfig"; then
  e2e_pass "$name"
else
  e2e_fail "$name" "$(one_line "$(cat "$work/rotated.err")")"
fi
unauthorized() { local out; out=$(kk "$KC1" get services -A 2>&1); grep -q Unauthorized <<<"$out"; }
result "export: after --rotate the old kubeconfig gets 401 (within 30 s)" \
  'kk "$KC1" get services -A 2>&1 | tail -n 1' e2e_wait 30 unauthorized
result "export: the token never appears on stderr" 'echo "the first token is in $(grep -lF "$T1" "$work"/*.err)"' no_token_on_stderr

# Errors: exit status, a message that names the cause, nothing on stdout.
sed 's|server: .*|server: https://127.0.0.1:1|' "$E2E_STATE/cluster-a/kubeconfig" >"$work/unreachable.kubeconfig"
rc_err() { echo "rc=$(cat "$work/$1.rc"): $(cat "$work/$1.err")"; }
# failed_with NAME STATUS PATTERN: run NAME exited with STATUS, said PATTERN, printed nothing.
failed_with() { [ "$(cat "$work/$1.rc")" = "$2" ] && grep -qi "$3" "$work/$1.err" && [ ! -s "$work/$1.out" ]; }
KUBECTL=$E2E_KUBECTL "$EXPORT" --kubeconfig "$work/unreachable.kubeconfig" >"$work/unreach.out" 2>"$work/unreach.err"
echo $? >"$work/unreach.rc"
result "export: an unreachable cluster: exit 1, 'cannot reach', nothing on stdout" \
  'rc_err unreach' failed_with unreach 1 'cannot reach'
KUBECTL=$E2E_KUBECTL "$EXPORT" --kubeconfig "$work/rotated.kubeconfig" --namespace "$SNS" >"$work/noperm.out" 2>"$work/noperm.err"
echo $? >"$work/noperm.rc"
result "export: a kubeconfig without admin rights: exit 1, 'no permission', nothing on stdout" \
  'rc_err noperm' failed_with noperm 1 'no permission'
KUBECTL=$E2E_KUBECTL "$EXPORT" --secret-name x >"$work/usage.out" 2>"$work/usage.err"
echo $? >"$work/usage.rc"
result "export: --secret-name without --secret: exit 2 naming it" \
  'rc_err usage' failed_with usage 2 'only go with --secret'

# === hack/cleanup-endpointslices.sh ===============================================================
# Two slices labelled as svclink writes them, one that is not (the built-in controller's label).
slice() { # NAME MANAGED_BY CLUSTER_LABEL ADDR...
  local n=$1 mb=$2 cl=$3 a
  shift 3
  printf -- '---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    kubernetes.io/service-name: web\n    endpointslice.kubernetes.io/managed-by: %s\n' "$n" "$TNS" "$mb"
  [ -z "$cl" ] || printf '    svclink.cloudpilot.ai/cluster: %s\n' "$cl"
  printf 'addressType: IPv4\nports: [{name: http, port: 8080, protocol: TCP}]\nendpoints:\n'
  for a in "$@"; do printf -- '- addresses: [%s]\n' "$a"; done
}
{
  slice web-ca-0000000001 svclink.cloudpilot.ai ca 10.245.7.1 10.245.7.2
  slice web-cb-0000000002 svclink.cloudpilot.ai cb 10.246.7.1
  slice web-local endpointslice-controller.k8s.io "" 10.244.7.1
} >"$work/slices.yaml"
result "cleanup: two svclink slices and one other created in $TNS" 'km apply -f "$work/slices.yaml"' \
  km apply -f "$work/slices.yaml"
slices_left() { km -n "$TNS" get endpointslices -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}'; }
# shellcheck disable=SC2034 # read in the snippets result evaluates
ALL3="web-ca-0000000001 web-cb-0000000002 web-local "

cleanup_run() { # NAME ARGS...: as export_run, with KUBECONFIG naming main's kubeconfig
  local n=$1
  shift
  KUBECTL=$E2E_KUBECTL KUBECONFIG=$E2E_STATE/main/kubeconfig "$@" >"$work/$n.out" 2>"$work/$n.err" </dev/null
  echo $? >"$work/$n.rc"
}
table_ok() { # NAME: the table of run NAME has both svclink slices (with service, cluster, count) and not the other
  grep -Eq "^$TNS +web-ca-0000000001 +web +ca +2$" "$work/$1.out" &&
    grep -Eq "^$TNS +web-cb-0000000002 +web +cb +1$" "$work/$1.out" &&
    head -n 1 "$work/$1.out" | grep -Eq '^NAMESPACE +NAME +SERVICE +CLUSTER +ENDPOINTS$' &&
    ! grep -q web-local "$work/$1.out"
}
cleanup_run dry "$CLEANUP" --dry-run -n "$TNS"
result "cleanup: --dry-run -n NS lists exactly the two svclink slices (NAMESPACE NAME SERVICE CLUSTER ENDPOINTS) and exits 0" \
  'rc_err dry; cat "$work/dry.out"' \
  eval '[ "$(cat "$work/dry.rc")" = 0 ] && table_ok dry'
result "cleanup: --dry-run deletes nothing" 'echo "left: $(slices_left)"' eval '[ "$(slices_left)" = "$ALL3" ]'

cleanup_run notty "$CLEANUP" -n "$TNS"
result "cleanup: without --yes and without a terminal it refuses (exit 1, says --yes) and deletes nothing" \
  'rc_err notty; echo "left: $(slices_left)"' \
  eval '[ "$(cat "$work/notty.rc")" = 1 ] && grep -q -- --yes "$work/notty.err" && [ "$(slices_left)" = "$ALL3" ]'

# On a terminal (script(1) gives it one), answering n deletes nothing.
if command -v script >/dev/null 2>&1; then
  printf 'n\n' | KUBECTL=$E2E_KUBECTL KUBECONFIG=$E2E_STATE/main/kubeconfig \
    script -qec "$(printf '%q ' "$CLEANUP" -n "$TNS")" /dev/null >"$work/tty.out" 2>&1
  echo $? >"$work/tty.rc"
  result "cleanup: on a terminal it asks, and answering n deletes nothing (exit 1)" \
    'echo "rc=$(cat "$work/tty.rc"): $(cat "$work/tty.out"); left: $(slices_left)"' \
    eval '[ "$(cat "$work/tty.rc")" = 1 ] && grep -q "Delete these 2 EndpointSlice" "$work/tty.out" && [ "$(slices_left)" = "$ALL3" ]'
fi

cleanup_run make make -s -C "$E2E_ROOT" cleanup-endpointslices-dry
result "cleanup: make cleanup-endpointslices-dry (-A, KUBECONFIG from the environment) lists them and deletes nothing" \
  'rc_err make; tail -n 5 "$work/make.out"; echo "left: $(slices_left)"' \
  eval '[ "$(cat "$work/make.rc")" = 0 ] && table_ok make && grep -q "in all namespaces" "$work/make.err" && [ "$(slices_left)" = "$ALL3" ]'

cleanup_run yes "$CLEANUP" -n "$TNS" --yes
result "cleanup: -n NS --yes deletes exactly the two svclink slices and keeps the other" \
  'rc_err yes; echo "left: $(slices_left)"' \
  eval '[ "$(cat "$work/yes.rc")" = 0 ] && [ "$(slices_left)" = "web-local " ]'
cleanup_run again "$CLEANUP" -n "$TNS" --yes
result "cleanup: run again, it finds nothing and exits 0" 'rc_err again' \
  eval '[ "$(cat "$work/again.rc")" = 0 ] && grep -q "no svclink EndpointSlices in namespace $TNS" "$work/again.err" && [ ! -s "$work/again.out" ]'

e2e_finish
