/* policy_drops: what the address policy refused of one link, per Service: which endpoints are
 * new (for svclink_endpoints_dropped_total) and the note the link's status message carries. */
#ifndef SVCLINK_RECONCILE_POLICY_DROPS_H
#define SVCLINK_RECONCILE_POLICY_DROPS_H

#include <stddef.h>
#include <stdint.h>

#include "spec/addrpol.h"
#include "reconcile/plan.h"
#include "base/strmap.h"

/* Addresses named in the note; the rest are counted ("and N more"). */
#define POLICY_DROPS_SAMPLES 3

typedef struct {
    strmap by_svc;  /* "ns/svc" -> policy_drops_entry* (owned: policy_drops_free) */
    size_t total; /* distinct dropped endpoints over every Service */
} policy_drops;

void policy_drops_init(policy_drops *d);
void policy_drops_free(policy_drops *d);

/* Replaces what the last plan of key ("ns/svc") dropped for link by the drops of that link
 * among drops[0..n) (other links' are skipped; repeats count once). fresh[reason] grows by
 * the endpoints that were not dropped for key before, so a resync finding the same drops
 * adds nothing. Returns 1 when the record changed, 0 when not, -1 when out of memory (the
 * old record stays). */
int policy_drops_record(policy_drops *d, const char *key, const char *link, const plan_drop *drops, size_t n,
                    uint64_t fresh[ADDRPOL_REASONS]);

/* "" when nothing is dropped, else e.g. "address policy dropped 4 endpoints: 10.96.0.1 in
 * demo/web (main Service CIDR), ... and 1 more". The samples are the first by Service and
 * address, so the note is stable. Truncated to outlen. */
void policy_drops_format(const policy_drops *d, char *out, size_t outlen);

#endif
