#!/usr/bin/env bash
# Checks that every row of docs/sync-contract.md is named by a test, and that every test name
# that starts with a row id names a row the contract has (one contract, one table of tests).
#
# A test names rows by the ids it starts with, in lower case:
#   unit  UNIT_TEST(<id>_rest) in tests/unit/*.c, several ids as <id>_<id>_rest (a test of
#         module m in test_m.c whose name starts with m_ is named by its module instead, so
#         b64_... is no row);
#   e2e   a PASS/FAIL name in tests/e2e/*.sh: "<id> rest" or "<id>-rest", several ids as
#         "<id> <id> rest". A name is the first argument of e2e_pass or e2e_fail, or of a
#         function that hands its first argument on to them (expect, check, fail, ...), or the
#         value given to the variable such a call is made with ("$name", "$label").
# Every case of tests/unit/test_plan_*.c is named by a row. Rows no test names are listed in
# the contract's "Untested rows" section with the reason; exactly those are accepted.
set -euo pipefail
cd "$(dirname "$0")/.."

CONTRACT=docs/sync-contract.md
PLAN_TESTS="tests/unit/test_plan_*.c"
fail=0
failed() { echo "FAIL $*"; fail=1; }

# "ID<TAB>text of the row" for every table row of the contract whose first cell is an id.
rows=$(awk -F'|' '/^\| *[A-Z][0-9]+ *\|/ {
  id = $2; gsub(/ /, "", id); text = ""
  for (i = 3; i < NF; i++) { c = $i; gsub(/^ +| +$/, "", c); text = text (text == "" ? "" : " | ") c }
  print id "\t" text }' "$CONTRACT")
declare -A row_text
while IFS=$'\t' read -r id text; do
  [ -z "${row_text[$id]+x}" ] || failed "contract-id-repeated: $id is the id of two rows"
  row_text[$id]=$text
done <<<"$rows"

# The ids the contract lists as untested ("- D5: why" under "## Untested rows").
untested=$(awk '/^## / { on = ($0 ~ /^## Untested rows/) } on && /^- [A-Z][0-9]+:/ { id = $2; sub(/:$/, "", id); print id }' "$CONTRACT")

# "file<TAB>name" for every unit test and every e2e check name.
unit_names() {
  local f
  for f in tests/unit/*.c; do
    sed -n 's/^UNIT_TEST(\([A-Za-z0-9_]*\)).*/\1/p' "$f" | sed "s|^|$f\t|"
  done
}
e2e_names() {
  # Pass 1 finds the reporting functions (fixpoint over function bodies), pass 2 the calls
  # and the variables names are passed in, pass 3 the values given to those variables.
  awk '
    function strip(s) { sub(/^[ \t]+/, "", s); return s }
    # The first shell word of s: a "...", '\''...'\'' or bare word, quotes removed.
    function word(s,   q, i, c, out) {
      s = strip(s); q = substr(s, 1, 1)
      if (q == "\"" || q == "'\''") {
        out = ""
        for (i = 2; i <= length(s); i++) {
          c = substr(s, i, 1)
          if (c == "\\" && q == "\"") { out = out substr(s, i + 1, 1); i++; continue }
          if (c == q) return out
          out = out c
        }
        return out
      }
      match(s, /^[^ \t;|&)]*/)
      return substr(s, 1, RLENGTH)
    }
    FNR == 1 { pass += (FILENAME == first || first == "") ? 1 : 0; if (first == "") first = FILENAME; infn = "" }
    /^[ \t]*#/ { next }
    pass == 1 {
      isdef = match($0, /^[ \t]*[A-Za-z_][A-Za-z0-9_]*\(\)[ \t]*\{/)
      if (isdef) {
        line = $0; sub(/^[ \t]*/, "", line); fn = line; sub(/\(.*/, "", fn)
        body[fn] = body[fn] "\n" line
      }
      if (infn != "") {
        body[infn] = body[infn] "\n" $0
        if ($0 ~ ("^" indent "[}]")) infn = ""
      } else if (isdef && line !~ /[}][ \t]*(#.*)?$/) {
        infn = fn; indent = $0; sub(/[^ \t].*/, "", indent)
      }
      next
    }
    pass == 2 && !reporters_done {
      rep["e2e_pass"] = 1; rep["e2e_fail"] = 1
      do {
        grew = 0
        for (fn in body) {
          if (fn in rep) continue
          b = body[fn]; vars = "1"
          while (match(b, /[A-Za-z_][A-Za-z0-9_]*=\$\{?1\}?([^0-9A-Za-z_]|$)/)) {
            v = substr(b, RSTART, RLENGTH); sub(/=.*/, "", v); vars = vars " " v
            b = substr(b, RSTART + RLENGTH)
          }
          n = split(vars, vs, " ")
          for (r in rep) for (i = 1; i <= n; i++)
            if (match(body[fn], "(^|[^A-Za-z0-9_])" r "[ \t]+\"?[$][{]?" vs[i] "([^A-Za-z0-9_]|$)")) {
              rep[fn] = 1; grew = 1
            }
        }
      } while (grew)
      reporters_done = 1
    }
    pass == 2 {
      for (r in rep) {
        s = $0
        # Only where a command starts: first on the line, or after ; & | ( ) { ! then else do.
        while (match(s, "(^[ \t]*|[;&|(){!][ \t]*|(then|else|do)[ \t]+)" r "[ \t]+")) {
          s = substr(s, RSTART + RLENGTH)
          w = word(s)
          if (substr(w, 1, 1) == "$") {
            v = substr(w, 2); sub(/^\{/, "", v); match(v, /^[A-Za-z_][A-Za-z0-9_]*/)
            namevar[FILENAME, substr(v, 1, RLENGTH)] = 1
          } else if (w != "") {
            print FILENAME "\t" w
          }
        }
      }
      next
    }
    pass == 3 {
      s = $0
      while (match(s, /(^|[ \t;])(local[ \t]+)?[A-Za-z_][A-Za-z0-9_]*=/)) {
        a = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
        sub(/=$/, "", a); sub(/.*[ \t;]/, "", a)
        if ((FILENAME, a) in namevar) {
          w = word(s)
          if (w != "" && substr(w, 1, 1) != "$") print FILENAME "\t" w
        }
      }
    }
  ' tests/e2e/*.sh tests/e2e/*.sh tests/e2e/*.sh
}

# ids_of NAME SEPARATORS: the leading ids of a test name, upper-cased, one per line.
ids_of() {
  local name=$1 seps=$2
  while [[ $name =~ ^([a-z][0-9]+)[$seps](.*)$ ]]; do
    echo "${BASH_REMATCH[1]^^}"
    name=${BASH_REMATCH[2]}
  done
}

declare -A named_by
units=0 checks=0
while IFS=$'\t' read -r file name; do
  [ -n "$name" ] || continue
  case $file in
    tests/unit/*)
      units=$((units + 1))
      module=$(basename "$file" .c)
      module=${module#test_}
      if [[ $name == "${module}_"* ]]; then ids=""; else ids=$(ids_of "$name" _); fi
      if [[ $file == $PLAN_TESTS ]] && [ -z "$ids" ]; then
        failed "contract-plan-case-unnamed: $name in $file does not start with a row id"
      fi
      ;;
    *) checks=$((checks + 1)) ids=$(ids_of "$name" ' -') ;;
  esac
  for id in $ids; do
    if [ -z "${row_text[$id]+x}" ]; then
      failed "contract-id-unknown: \"$name\" ($file) starts with ${id,,}, and $CONTRACT has no row $id"
    else
      named_by[$id]=$name
    fi
  done
done < <(unit_names; e2e_names)

declare -A excused
for id in $untested; do
  excused[$id]=1
  if [ -z "${row_text[$id]+x}" ]; then
    failed "contract-untested-unknown: the untested rows of $CONTRACT list $id, which is no row"
  elif [ -n "${named_by[$id]+x}" ]; then
    failed "contract-untested-but-named: $id is listed as untested, yet \"${named_by[$id]}\" names it (take it off the list)"
  fi
done

covered=0
while IFS=$'\t' read -r id text; do
  if [ -n "${named_by[$id]+x}" ]; then
    covered=$((covered + 1))
  elif [ -z "${excused[$id]+x}" ]; then
    [ "${#text}" -le 120 ] || text="${text:0:117}..."
    failed "contract-row-untested: $id ($text)"
  fi
done <<<"$rows"

if [ "$fail" -eq 0 ]; then
  note=""
  [ -z "$untested" ] || note="; listed untested in the contract: $(paste -sd, <<<"$untested")"
  echo "PASS contract-ids: $covered rows, each named by a test ($units unit tests, $checks e2e check names)$note"
fi
exit "$fail"
