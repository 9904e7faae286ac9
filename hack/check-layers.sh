#!/usr/bin/env bash
# Checks that the source tree reads as its architecture: every include goes from a layer to
# the same layer or one below it, and no two modules include each other, directly or round.
set -euo pipefail
cd "$(dirname "$0")/.."

# Bottom to top, in the direction the data flows (docs/architecture.md explains each).
LAYERS=(base net json kubeconfig kube cache spec reconcile write link controller cmd)

declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done

# module_of PATH: "layer/name" for src/layer/name.c or include/layer/name.h.
module_of() {
  local p=${1#src/}
  p=${p#include/}
  echo "${p%.*}"
}

fail=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

for f in $(git ls-files 'src/*/*.c' 'include/*/*.h'); do
  from=$(module_of "$f")
  from_layer=${from%%/*}
  if [ -z "${rank[$from_layer]+x}" ]; then
    echo "FAIL layers: $f is in folder '$from_layer', which is not a layer (hack/check-layers.sh LAYERS)"
    fail=1
    continue
  fi
  while read -r inc; do
    [ -f "include/$inc" ] || continue
    to=$(module_of "$inc")
    [ "$to" = "$from" ] && continue
    to_layer=${to%%/*}
    echo "$from $to" >>"$edges"
    if [ "${rank[$to_layer]}" -gt "${rank[$from_layer]}" ]; then
      echo "FAIL layers: $f (layer $from_layer) includes $inc from the higher layer $to_layer"
      fail=1
    fi
  done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done

# tsort names every cycle it breaks; a cycle means two modules each need the other.
cycles=$(sort -u "$edges" | tsort 2>&1 >/dev/null | grep -v '^tsort: -: input contains a loop:' || true)
if [ -n "$cycles" ]; then
  echo "FAIL layers: modules that include each other: $(echo "$cycles" | sed 's/^tsort: //' | tr '\n' ' ')"
  fail=1
fi

modules=$(git ls-files 'src/*/*.c' | wc -l)
if [ "$fail" -eq 0 ]; then
  echo "PASS layers: $modules modules in ${#LAYERS[@]} layers, $(sort -u "$edges" | wc -l) include edges, none upward, no cycles"
fi
exit "$fail"
