/* remote_cache: keeps a remote cluster's Services and EndpointSlices as compact structs grouped
 * by Service; a relist marks entries with a generation and drops the unmarked at its end. */
#include "cache/remote_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/intern.h"
#include "cache/svc_mode.h"
#include "base/text.h"

#define REMOTE_KEY_MAX 320

void remote_cache_init(remote_cache *c, remote_cache_dirty_cb dirty, void *arg)
{
    memset(c, 0, sizeof *c);
    strmap_init(&c->groups);
    strmap_init(&c->slices);
    c->dirty = dirty;
    c->arg = arg;
}

void remote_cache_set_limits(remote_cache *c, const remote_cache_limits *lim)
{
    c->limits = *lim;
}

static void remote_svc_free(remote_svc *s)
{
    if (s == NULL)
        return;
    svc_ports_free(s->ports, s->nports);
    free(s->external_name);
    free(s);
}

static void remote_group_free(remote_group *g)
{
    intern_put(g->ns);
    free(g);
}

static void remote_slice_free(remote_cache *c, remote_slice *s)
{
    c->endpoints -= s->data.neps;
    slice_data_free(&s->data);
    free(s);
}

void remote_cache_free(remote_cache *c)
{
    for (strmap_iter it = strmap_iter_start(&c->slices); strmap_iter_ok(&it); strmap_iter_next(&it))
        remote_slice_free(c, it.e->value);
    for (strmap_iter it = strmap_iter_start(&c->groups); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        remote_group *g = it.e->value;
        remote_svc_free(g->svc);
        remote_group_free(g);
    }
    strmap_free(&c->slices);
    strmap_free(&c->groups);
}

static int remote_key(char *key, const char *ns, const char *name)
{
    int n = snprintf(key, REMOTE_KEY_MAX, "%s/%s", ns, name);
    return n > 0 && n < REMOTE_KEY_MAX ? 0 : -1;
}

static remote_group *remote_group_get(remote_cache *c, const char *ns, const char *name, bool create)
{
    char key[REMOTE_KEY_MAX];
    if (remote_key(key, ns, name) != 0)
        return NULL;
    remote_group *g = strmap_get(&c->groups, key);
    if (g != NULL || !create)
        return g;
    size_t namel = strlen(name) + 1;
    g = calloc(1, sizeof *g + namel);
    if (g == NULL)
        return NULL;
    memcpy(g->strs, name, namel);
    g->name = g->strs;
    g->ns = intern_get(ns, strlen(ns));
    if (g->ns == NULL || strmap_put(&c->groups, key, g, NULL) != 0) {
        remote_group_free(g);
        return NULL;
    }
    return g;
}

/* A group with neither Service nor slices is dropped, so churn leaves nothing behind. */
static void remote_group_maybe_drop(remote_cache *c, remote_group *g)
{
    if (g->svc != NULL || g->slices != NULL)
        return;
    char key[REMOTE_KEY_MAX];
    remote_key(key, g->ns, g->name);
    strmap_del(&c->groups, key);
    remote_group_free(g);
}

static void remote_mark_dirty(remote_cache *c, const remote_group *g)
{
    if (c->dirty != NULL)
        c->dirty(c->arg, g->ns, g->name);
}

/* ---- Services ---- */

static uint8_t remote_family(const json_doc *doc, int tok)
{
    return json_str_eq(doc, tok, "IPv4") ? 4 : json_str_eq(doc, tok, "IPv6") ? 6 : 0;
}

static uint64_t remote_svc_hash(const remote_svc *s)
{
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, &s->flags, 1);
    h = strmap_fnv(h, &s->ip_family_policy, 1);
    h = strmap_fnv(h, s->ip_families, 2);
    h = strmap_fnv(h, &s->mode, 1);
    uint64_t ph = svc_ports_hash(s->ports, s->nports);
    h = strmap_fnv(h, &ph, sizeof ph);
    return s->external_name != NULL ? strmap_fnv(h, s->external_name, strlen(s->external_name) + 1) : h;
}

static remote_svc *remote_parse_svc(const json_doc *doc, int obj)
{
    remote_svc *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    int spec = json_obj_get(doc, obj, "spec");
    s->mode = (uint8_t)svc_mode_of(doc, obj);
    if (json_str_eq(doc, json_obj_get(doc, spec, "clusterIP"), "None"))
        s->flags |= REMOTE_HEADLESS;
    if (json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName")) {
        s->flags |= REMOTE_EXTERNAL_NAME;
        /* A DNS name: the API server bounds it at 253; anything else is not copied. */
        int ext = json_obj_get(doc, spec, "externalName");
        size_t len = 0;
        if (json_is_string(doc, ext) && json_raw(doc, ext, &len) != NULL && len <= 255 &&
            (s->external_name = json_str_dup(doc, ext)) == NULL) {
            remote_svc_free(s);
            return NULL;
        }
    }
    int policy = json_obj_get(doc, spec, "ipFamilyPolicy");
    s->ip_family_policy = json_str_eq(doc, policy, "SingleStack")        ? 1
                          : json_str_eq(doc, policy, "PreferDualStack")  ? 2
                          : json_str_eq(doc, policy, "RequireDualStack") ? 3
                                                                         : 0;
    int fams = json_obj_get(doc, spec, "ipFamilies"), f = json_arr_first(doc, fams);
    for (int i = 0; i < 2 && f >= 0; i++, f = json_next(doc, f))
        s->ip_families[i] = remote_family(doc, f);
    if (svc_ports_parse(doc, json_obj_get(doc, spec, "ports"), &s->ports, &s->nports) != 0) {
        remote_svc_free(s);
        return NULL;
    }
    s->hash = remote_svc_hash(s);
    return s;
}

static int remote_meta(const json_doc *doc, int obj, char *ns, char *name)
{
    int meta = json_obj_get(doc, obj, "metadata");
    if (json_str_copy(doc, json_obj_get(doc, meta, "namespace"), ns, 64, NULL) != 0 || ns[0] == '\0' ||
        json_str_copy(doc, json_obj_get(doc, meta, "name"), name, 254, NULL) != 0 || name[0] == '\0')
        return -1;
    return 0;
}

static int remote_upsert_svc(remote_cache *c, const json_doc *doc, int obj, char *err, size_t errlen)
{
    char ns[64], name[254];
    if (remote_meta(doc, obj, ns, name) != 0) {
        text_errorf(err, errlen, "a Service without namespace or name");
        return -1;
    }
    const remote_group *had = remote_group_get(c, ns, name, false);
    bool fresh = had == NULL || had->svc == NULL;
    /* During a list, what counts is the Services that list restated so far. */
    bool counts = c->listing_svc ? fresh || had->svc->gen != c->gen_svc : fresh;
    uint64_t held = c->listing_svc ? c->listed_svc : c->services;
    if (counts && c->limits.max_services > 0 && held + 1 > c->limits.max_services) {
        text_errorf(err, errlen,
                   "Service %s/%s is over the budget of %llu Services per link (raise --max-services-per-link "
                   "or the link's spec.maxServices)",
                   ns, name, (unsigned long long)c->limits.max_services);
        return REMOTE_CACHE_OVER_BUDGET;
    }
    remote_svc *s = remote_parse_svc(doc, obj);
    remote_group *g = s != NULL ? remote_group_get(c, ns, name, true) : NULL;
    if (g == NULL) {
        remote_svc_free(s);
        text_errorf(err, errlen, "Service %s/%s: cannot decode its ports (or out of memory)", ns, name);
        return -1;
    }
    s->gen = c->gen_svc;
    bool changed = g->svc == NULL || g->svc->hash != s->hash;
    if (g->svc == NULL)
        c->services++;
    if (counts && c->listing_svc)
        c->listed_svc++;
    remote_svc_free(g->svc);
    g->svc = s;
    if (changed)
        remote_mark_dirty(c, g);
    return 0;
}

static void remote_drop_svc(remote_cache *c, remote_group *g)
{
    c->services--;
    if (c->listing_svc && g->svc->gen == c->gen_svc)
        c->listed_svc--;
    remote_svc_free(g->svc);
    g->svc = NULL;
    remote_mark_dirty(c, g);
    remote_group_maybe_drop(c, g);
}

/* ---- EndpointSlices ---- */

static uint64_t remote_slice_hash(const slice_data *d)
{
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, &d->addr_type, sizeof d->addr_type);
    uint64_t ph = slice_ports_hash(d->ports, d->nports);
    h = strmap_fnv(h, &ph, sizeof ph);
    h = strmap_fnv(h, &d->neps, sizeof d->neps);
    if (d->neps > 0)
        h = strmap_fnv(h, d->eps, d->neps * slice_ep_size(d->addr_type));
    for (uint32_t i = 0; d->hostnames != NULL && i < d->neps; i++) {
        const char *host = d->hostnames[i] != NULL ? d->hostnames[i] : "\x01";
        h = strmap_fnv(h, host, strlen(host) + 1);
    }
    return h;
}

static void remote_unlink_slice(remote_slice *s)
{
    remote_group *g = s->group;
    for (remote_slice **p = &g->slices; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            g->nslices--;
            return;
        }
    }
}

static void remote_drop_slice(remote_cache *c, const char *key, remote_slice *s)
{
    remote_group *g = s->group;
    if (c->listing_eps && s->gen == c->gen_slice)
        c->listed_eps -= s->data.neps;
    strmap_del(&c->slices, key);
    remote_unlink_slice(s);
    remote_slice_free(c, s);
    remote_mark_dirty(c, g);
    remote_group_maybe_drop(c, g);
}

/* Endpoints counted against the budget: all held, or during a list those it restated. */
static uint64_t remote_slice_counted(const remote_cache *c, const remote_slice *old)
{
    if (old == NULL || (c->listing_eps && old->gen != c->gen_slice))
        return 0;
    return old->data.neps;
}

static bool remote_slice_over_budget(const remote_cache *c, const remote_slice *old, const remote_slice *s, const char *ns,
                                 const char *name, char *err, size_t errlen)
{
    uint64_t held = (c->listing_eps ? c->listed_eps : c->endpoints) - remote_slice_counted(c, old);
    if (c->limits.max_endpoints == 0 || held + s->data.neps <= c->limits.max_endpoints)
        return false;
    text_errorf(err, errlen,
               "EndpointSlice %s/%s is over the budget of %llu endpoints per link (raise --max-endpoints-per-link "
               "or the link's spec.maxEndpoints)",
               ns, name, (unsigned long long)c->limits.max_endpoints);
    return true;
}

static int remote_upsert_slice(remote_cache *c, const json_doc *doc, int obj, char *err, size_t errlen)
{
    char ns[64], name[254], svc[64], key[REMOTE_KEY_MAX];
    int labels = json_path(doc, obj, "metadata", "labels", NULL);
    if (remote_meta(doc, obj, ns, name) != 0 || remote_key(key, ns, name) != 0) {
        text_errorf(err, errlen, "an EndpointSlice without namespace or name");
        return -1;
    }
    remote_slice *old = strmap_get(&c->slices, key);
    /* A slice of no Service, or one of ours that slipped past the selector, is not data. */
    if (json_str_copy(doc, json_obj_get(doc, labels, SLICE_LABEL_SERVICE), svc, sizeof svc, NULL) != 0 ||
        svc[0] == '\0' || json_str_eq(doc, json_obj_get(doc, labels, SLICE_LABEL_MANAGED_BY), SLICE_MANAGED_BY)) {
        if (old != NULL)
            remote_drop_slice(c, key, old);
        return 0;
    }
    remote_slice *s = calloc(1, sizeof *s);
    if (s == NULL || slice_parse(doc, obj, &s->data, err, errlen) != 0) {
        free(s);
        return -1;
    }
    slice_ports_sort(s->data.ports, s->data.nports);
    if (remote_slice_over_budget(c, old, s, ns, name, err, errlen)) {
        slice_data_free(&s->data);
        free(s);
        return REMOTE_CACHE_OVER_BUDGET;
    }
    s->hash = remote_slice_hash(&s->data);
    s->gen = c->gen_slice;
    if (old != NULL && old->hash == s->hash && strcmp(old->group->name, svc) == 0) {
        if (c->listing_eps && old->gen != s->gen)
            c->listed_eps += old->data.neps;
        old->gen = s->gen; /* a repeat (resync, relist): nothing changed */
        slice_data_free(&s->data);
        free(s);
        return 0;
    }
    /* The old slice goes first: it may be the last thing holding its group (a Service the
     * selector no longer sends), and dropping it after looking the group up would free the
     * group under us. */
    if (old != NULL)
        remote_drop_slice(c, key, old);
    remote_group *g = remote_group_get(c, ns, svc, true);
    if (g == NULL) {
        slice_data_free(&s->data);
        free(s);
        text_errorf(err, errlen, "out of memory");
        return -1;
    }
    if (strmap_put(&c->slices, key, s, NULL) != 0) {
        slice_data_free(&s->data);
        free(s);
        remote_group_maybe_drop(c, g);
        text_errorf(err, errlen, "out of memory");
        return -1;
    }
    s->group = g;
    s->next = g->slices;
    g->slices = s;
    g->nslices++;
    c->endpoints += s->data.neps;
    if (c->listing_eps)
        c->listed_eps += s->data.neps;
    remote_mark_dirty(c, g);
    return 0;
}

/* ---- reflector events ---- */

void remote_cache_list_begin(remote_cache *c, kube_kind kind)
{
    if (kind == KUBE_KIND_SERVICE) {
        c->gen_svc++;
        c->listing_svc = true;
        c->listed_svc = 0;
    } else if (kind == KUBE_KIND_ENDPOINT_SLICE) {
        c->gen_slice++;
        c->listing_eps = true;
        c->listed_eps = 0;
    }
}

void remote_cache_list_end(remote_cache *c, kube_kind kind)
{
    if (kind == KUBE_KIND_SERVICE)
        c->listing_svc = false;
    else if (kind == KUBE_KIND_ENDPOINT_SLICE)
        c->listing_eps = false;
    if (kind == KUBE_KIND_SERVICE) {
        for (strmap_iter it = strmap_iter_start(&c->groups); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            remote_group *g = it.e->value;
            if (g->svc != NULL && g->svc->gen != c->gen_svc)
                remote_drop_svc(c, g);
        }
    } else if (kind == KUBE_KIND_ENDPOINT_SLICE) {
        for (strmap_iter it = strmap_iter_start(&c->slices); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            remote_slice *s = it.e->value;
            if (s->gen != c->gen_slice)
                remote_drop_slice(c, it.e->key, s);
        }
    }
}

int remote_cache_upsert(remote_cache *c, kube_kind kind, const json_doc *doc, int obj, char *err, size_t errlen)
{
    if (kind == KUBE_KIND_SERVICE)
        return remote_upsert_svc(c, doc, obj, err, errlen);
    if (kind == KUBE_KIND_ENDPOINT_SLICE)
        return remote_upsert_slice(c, doc, obj, err, errlen);
    text_errorf(err, errlen, "the remote cache keeps no %s", kube_kind_resource(kind));
    return -1;
}

void remote_cache_delete(remote_cache *c, kube_kind kind, const json_doc *doc, int obj)
{
    char ns[64], name[254], key[REMOTE_KEY_MAX];
    if (remote_meta(doc, obj, ns, name) != 0)
        return;
    if (kind == KUBE_KIND_SERVICE) {
        remote_group *g = remote_group_get(c, ns, name, false);
        if (g != NULL && g->svc != NULL)
            remote_drop_svc(c, g);
        return;
    }
    if (kind != KUBE_KIND_ENDPOINT_SLICE || remote_key(key, ns, name) != 0)
        return;
    remote_slice *s = strmap_get(&c->slices, key);
    if (s != NULL)
        remote_drop_slice(c, key, s);
}

const remote_group *remote_cache_group(const remote_cache *c, const char *ns, const char *name)
{
    char key[REMOTE_KEY_MAX];
    if (remote_key(key, ns, name) != 0)
        return NULL;
    return strmap_get(&c->groups, key);
}

size_t remote_cache_bytes(const remote_cache *c)
{
    size_t b = (c->groups.nbuckets + c->slices.nbuckets) * sizeof(void *);
    b += strmap_count(&c->groups) * (sizeof(remote_group) + sizeof(strmap_entry) + 48 + sizeof(remote_svc));
    b += strmap_count(&c->slices) * (sizeof(remote_slice) + sizeof(strmap_entry) + 64);
    b += c->endpoints * slice_ep_size(SLICE_ADDR_IPV4); /* most are */
    return b;
}
