# Load generation for the scale tests (test_footprint, test_mem16): remote Services with
# hand-written EndpointSlices, as one kubectl List per file. Sourced after lib.sh.

# e2e_load_objects FILE NS SLICES(0|1) OCTET FIRST LAST MANAGED_BY: selectorless Services
# sFIRST..s(LAST-1), and with SLICES=1 one EndpointSlice of 10 ready endpoints for each
# (addresses 10.OCTET.x.y, distinct per Service) labelled managed-by MANAGED_BY.
e2e_load_objects() {
  local file=$1 ns=$2 slices=$3 octet=$4 first=$5 last=$6 by=$7 i j
  {
    echo '{"apiVersion":"v1","kind":"List","items":['
    for ((i = first; i < last; i++)); do
      [ "$i" -gt "$first" ] && echo ','
      printf '{"apiVersion":"v1","kind":"Service","metadata":{"name":"s%04d","namespace":"%s"},"spec":{"ports":[{"name":"http","port":80,"targetPort":8080}]}}' "$i" "$ns"
      if [ "$slices" = 1 ]; then
        printf ',{"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice","metadata":{"name":"s%04d-x","namespace":"%s","labels":{"kubernetes.io/service-name":"s%04d","endpointslice.kubernetes.io/managed-by":"%s"}},"addressType":"IPv4","ports":[{"name":"http","port":8080,"protocol":"TCP"}],"endpoints":[' "$i" "$ns" "$i" "$by"
        for ((j = 0; j < 10; j++)); do
          [ "$j" -gt 0 ] && printf ','
          printf '{"addresses":["10.%d.%d.%d"],"conditions":{"ready":true}}' "$octet" $((i / 25)) $((i % 25 * 10 + j))
        done
        printf ']}'
      fi
    done
    echo ']}'
  } >"$file"
}
