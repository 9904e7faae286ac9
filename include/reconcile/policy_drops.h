/* dropnote: what the address policy refused of one link, per Service: which endpoints are
 * new (for svclink_endpoints_dropped_total) and the note the link's status message carries. */
#ifndef SVCLINK_DROPNOTE_H
#define SVCLINK_DROPNOTE_H

#include <stddef.h>
#include <stdint.h>

#include "addrpol.h"
#include "plan.h"
#include "smap.h"

/* Addresses named in the note; the rest are counted ("and N more"). */
#define DROPNOTE_SAMPLES 3

typedef struct {
    smap by_svc;  /* "ns/svc" -> dropnote_entry* (owned: dropnote_free) */
    size_t total; /* distinct dropped endpoints over every Service */
} dropnote;

void dropnote_init(dropnote *d);
void dropnote_free(dropnote *d);

/* Replaces what the last plan of key ("ns/svc") dropped for link by the drops of that link
 * among drops[0..n) (other links' are skipped; repeats count once). fresh[reason] grows by
 * the endpoints that were not dropped for key before, so a resync finding the same drops
 * adds nothing. Returns 1 when the record changed, 0 when not, -1 when out of memory (the
 * old record stays). */
int dropnote_record(dropnote *d, const char *key, const char *link, const plan_drop *drops, size_t n,
                    uint64_t fresh[ADDRPOL_REASONS]);

/* "" when nothing is dropped, else e.g. "address policy dropped 4 endpoints: 10.96.0.1 in
 * demo/web (main Service CIDR), ... and 1 more". The samples are the first by Service and
 * address, so the note is stable. Truncated to outlen. */
void dropnote_format(const dropnote *d, char *out, size_t outlen);

#endif
