# Sourced by hack/dataplane.sh and hack/node.sh once they have set `here` (their own
# directory): the checkout (repo), the harness's state root (SVCLINK_STATE, default
# <repo>/.state, made absolute) and its clusters directory, as hack/clusters.sh lays it out.
# shellcheck shell=bash disable=SC2034 # the variables are for the script that sources this
repo=$(cd "$here/.." && pwd)
STATE_ROOT=${SVCLINK_STATE:-$repo/.state}
case $STATE_ROOT in /*) ;; *) STATE_ROOT=$PWD/$STATE_ROOT ;; esac
CLUSTERS=$STATE_ROOT/clusters
