#!/usr/bin/env bash
# Run after `hack/clusters.sh down`: checks that no process recorded in $E2E_STATE/*/pids,
# and no process at all whose command line names a cluster directory, is still running.
# Needs E2E_STATE and E2E_ROOT, like the other e2e scripts.
set -uo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$E2E_ROOT/tests/e2e/lib.sh"

# running PID: exists and is not a zombie (zombies hold no resources; init reaps them).
running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# One check per cluster directory: its recorded PIDs are gone. A recorded PID that now
# belongs to an unrelated process (PID reuse) does not count: the command line must name
# the cluster's directory.
found=0
for pids in "$E2E_STATE"/*/pids; do
  [ -f "$pids" ] || continue
  found=1
  dir=$(dirname "$pids")
  name="clusters down: no recorded process of $(basename "$dir") left"
  left=""
  while read -r comp pid; do
    [ -n "${pid:-}" ] || continue
    if running "$pid" && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/"; then
      left+="$comp($pid) "
    fi
  done <"$pids"
  if [ -z "$left" ]; then e2e_pass "$name"; else e2e_fail "$name" "still running: $left"; fi
done
[ "$found" = 1 ] || e2e_pass "clusters down: no recorded process left (no pids files, state purged)"

# Whatever the pids files say: no control-plane binary may still run with an argument
# inside the state dir (other programs, say a `tail -f` of a log there, are not ours).
left=""
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  argv0=$(tr '\0' '\n' 2>/dev/null <"$p/cmdline" | head -n 1)
  case ${argv0##*/} in
    etcd | kube-apiserver | kube-controller-manager | kube-scheduler | kwok) ;;
    *) continue ;;
  esac
  if tr '\0' '\n' 2>/dev/null <"$p/cmdline" | grep -qF -- "$E2E_STATE/" && running "$pid"; then
    left+="$pid:${argv0##*/} "
  fi
done
if [ -z "$left" ]; then
  e2e_pass "clusters down: no process runs from $E2E_STATE"
else
  e2e_fail "clusters down: no process runs from $E2E_STATE" "$left"
fi
e2e_finish
