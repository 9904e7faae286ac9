/* policy_drops: per link, the endpoints the address policy refused for each Service, kept sorted
 * so a new plan is compared with the last one in one merge (what is new is counted once). */
#include "reconcile/policy_drops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One refused endpoint; the order (address, then reason) sorts records for the merge. */
typedef struct {
    uint8_t family;
    uint8_t addr[16];
    uint8_t reason;
} dn_addr;

typedef struct {
    size_t n;
    dn_addr v[]; /* sorted, no repeats */
} policy_drops_entry;

void policy_drops_init(policy_drops *d)
{
    strmap_init(&d->by_svc);
    d->total = 0;
}

void policy_drops_free(policy_drops *d)
{
    for (strmap_iter it = strmap_iter_start(&d->by_svc); strmap_iter_ok(&it); strmap_iter_next(&it))
        free(it.e->value);
    strmap_free(&d->by_svc);
    d->total = 0;
}

static int dn_cmp(const void *pa, const void *pb)
{
    const dn_addr *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    int r = memcmp(a->addr, b->addr, 16);
    if (r != 0)
        return r;
    return (int)a->reason - (int)b->reason;
}

/* The link's drops, sorted and without repeats, in a new entry (NULL: none, or *oom). */
static policy_drops_entry *dn_collect(const char *link, const plan_drop *drops, size_t n, bool *oom)
{
    size_t mine = 0;
    for (size_t i = 0; i < n; i++)
        mine += strcmp(drops[i].link, link) == 0;
    *oom = false;
    if (mine == 0)
        return NULL;
    policy_drops_entry *e = malloc(sizeof *e + mine * sizeof e->v[0]);
    if (e == NULL) {
        *oom = true;
        return NULL;
    }
    e->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(drops[i].link, link) != 0)
            continue;
        dn_addr *a = &e->v[e->n++];
        memset(a, 0, sizeof *a);
        a->family = drops[i].family;
        a->reason = drops[i].reason < ADDRPOL_REASONS ? drops[i].reason : ADDRPOL_NOT_ALLOWED;
        memcpy(a->addr, drops[i].addr, 16);
    }
    qsort(e->v, e->n, sizeof e->v[0], dn_cmp);
    size_t w = 0;
    for (size_t r = 0; r < e->n; r++) {
        if (w == 0 || dn_cmp(&e->v[w - 1], &e->v[r]) != 0)
            e->v[w++] = e->v[r];
    }
    e->n = w;
    return e;
}

/* Counts the records of now that were not in before (both sorted). */
static void dn_count_fresh(const policy_drops_entry *before, const policy_drops_entry *now, uint64_t fresh[ADDRPOL_REASONS])
{
    size_t i = 0, nb = before != NULL ? before->n : 0;
    for (size_t j = 0; now != NULL && j < now->n; j++) {
        while (i < nb && dn_cmp(&before->v[i], &now->v[j]) < 0)
            i++;
        if (i < nb && dn_cmp(&before->v[i], &now->v[j]) == 0)
            continue;
        fresh[now->v[j].reason]++;
    }
}

static bool dn_same(const policy_drops_entry *a, const policy_drops_entry *b)
{
    size_t na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;
    return na == nb && (na == 0 || memcmp(a->v, b->v, na * sizeof a->v[0]) == 0);
}

int policy_drops_record(policy_drops *d, const char *key, const char *link, const plan_drop *drops, size_t n,
                    uint64_t fresh[ADDRPOL_REASONS])
{
    bool oom;
    policy_drops_entry *now = dn_collect(link, drops, n, &oom);
    if (oom)
        return -1;
    policy_drops_entry *before = strmap_get(&d->by_svc, key);
    if (dn_same(before, now)) {
        free(now);
        return 0;
    }
    if (now != NULL && strmap_put(&d->by_svc, key, now, NULL) != 0) {
        free(now);
        return -1;
    }
    if (now == NULL)
        strmap_del(&d->by_svc, key);
    dn_count_fresh(before, now, fresh);
    d->total = d->total - (before != NULL ? before->n : 0) + (now != NULL ? now->n : 0);
    free(before);
    return 1;
}

/* A sample: one record and the Service it belongs to. */
typedef struct {
    const char *key;
    const dn_addr *a;
} dn_sample;

static int dn_sample_cmp(const dn_sample *x, const dn_sample *y)
{
    int r = strcmp(x->key, y->key);
    return r != 0 ? r : dn_cmp(x->a, y->a);
}

/* Keeps the POLICY_DROPS_SAMPLES smallest samples in order (insertion into a tiny array). */
static void dn_sample_offer(dn_sample *best, size_t *nbest, dn_sample s)
{
    size_t at = *nbest;
    while (at > 0 && dn_sample_cmp(&s, &best[at - 1]) < 0)
        at--;
    if (at >= POLICY_DROPS_SAMPLES)
        return;
    size_t last = *nbest < POLICY_DROPS_SAMPLES ? *nbest : POLICY_DROPS_SAMPLES - 1;
    memmove(best + at + 1, best + at, (last - at) * sizeof *best);
    best[at] = s;
    if (*nbest < POLICY_DROPS_SAMPLES)
        (*nbest)++;
}

void policy_drops_format(const policy_drops *d, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (d->total == 0)
        return;
    dn_sample best[POLICY_DROPS_SAMPLES];
    size_t nbest = 0;
    for (strmap_iter it = strmap_iter_start(&d->by_svc); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const policy_drops_entry *e = it.e->value;
        for (size_t i = 0; i < e->n && i < POLICY_DROPS_SAMPLES; i++)
            dn_sample_offer(best, &nbest, (dn_sample){.key = it.e->key, .a = &e->v[i]});
    }
    size_t used = 0;
    int w = snprintf(out, outlen, "address policy dropped %zu endpoint%s:", d->total, d->total == 1 ? "" : "s");
    used = w > 0 ? (size_t)w : 0;
    for (size_t i = 0; i < nbest && used < outlen; i++) {
        char a[ADDRPOL_ADDR_STR];
        addrpol_addr_format(best[i].a->family, best[i].a->addr, a);
        w = snprintf(out + used, outlen - used, "%s %s in %s (%s)", i ? "," : "", a, best[i].key,
                     addrpol_reason_text((addrpol_reason)best[i].a->reason));
        used += w > 0 ? (size_t)w : 0;
    }
    if (d->total > nbest && used < outlen)
        snprintf(out + used, outlen - used, " and %zu more", d->total - nbest);
}
