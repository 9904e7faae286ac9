/* rcache: keeps a remote cluster's Services and EndpointSlices as compact structs grouped
 * by Service; a relist marks entries with a generation and drops the unmarked at its end. */
#include "rcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "istr.h"
#include "svcmode.h"
#include "txt.h"

#define RC_KEY_MAX 320

void rcache_init(rcache *c, rcache_dirty_cb dirty, void *arg)
{
    memset(c, 0, sizeof *c);
    smap_init(&c->groups);
    smap_init(&c->slices);
    c->dirty = dirty;
    c->arg = arg;
}

void rcache_set_limits(rcache *c, const rcache_limits *lim)
{
    c->limits = *lim;
}

static void rc_svc_free(rc_svc *s)
{
    if (s == NULL)
        return;
    for (uint16_t i = 0; i < s->nports; i++) {
        istr_put(s->ports[i].name);
        istr_put(s->ports[i].app_protocol);
        istr_put(s->ports[i].target_port_name);
    }
    free(s->ports);
    free(s->external_name);
    free(s);
}

static void rc_group_free(rc_group *g)
{
    istr_put(g->ns);
    free(g);
}

static void rc_slice_free(rcache *c, rc_slice *s)
{
    c->endpoints -= s->data.neps;
    slice_data_free(&s->data);
    free(s);
}

void rcache_free(rcache *c)
{
    for (smap_iter it = smap_iter_start(&c->slices); smap_iter_ok(&it); smap_iter_next(&it))
        rc_slice_free(c, it.e->value);
    for (smap_iter it = smap_iter_start(&c->groups); smap_iter_ok(&it); smap_iter_next(&it)) {
        rc_group *g = it.e->value;
        rc_svc_free(g->svc);
        rc_group_free(g);
    }
    smap_free(&c->slices);
    smap_free(&c->groups);
}

static int rc_key(char *key, const char *ns, const char *name)
{
    int n = snprintf(key, RC_KEY_MAX, "%s/%s", ns, name);
    return n > 0 && n < RC_KEY_MAX ? 0 : -1;
}

static rc_group *rc_group_get(rcache *c, const char *ns, const char *name, bool create)
{
    char key[RC_KEY_MAX];
    if (rc_key(key, ns, name) != 0)
        return NULL;
    rc_group *g = smap_get(&c->groups, key);
    if (g != NULL || !create)
        return g;
    size_t namel = strlen(name) + 1;
    g = calloc(1, sizeof *g + namel);
    if (g == NULL)
        return NULL;
    memcpy(g->strs, name, namel);
    g->name = g->strs;
    g->ns = istr_get(ns, strlen(ns));
    if (g->ns == NULL || smap_put(&c->groups, key, g, NULL) != 0) {
        rc_group_free(g);
        return NULL;
    }
    return g;
}

/* A group with neither Service nor slices is dropped, so churn leaves nothing behind. */
static void rc_group_maybe_drop(rcache *c, rc_group *g)
{
    if (g->svc != NULL || g->slices != NULL)
        return;
    char key[RC_KEY_MAX];
    rc_key(key, g->ns, g->name);
    smap_del(&c->groups, key);
    rc_group_free(g);
}

static void rc_mark_dirty(rcache *c, const rc_group *g)
{
    if (c->dirty != NULL)
        c->dirty(c->arg, g->ns, g->name);
}

/* ---- Services ---- */

static uint8_t rc_family(const json_doc *doc, int tok)
{
    return json_str_eq(doc, tok, "IPv4") ? 4 : json_str_eq(doc, tok, "IPv6") ? 6 : 0;
}

static int rc_parse_svc_ports(const json_doc *doc, int arr, rc_svc *s)
{
    int n = json_len(doc, arr);
    if (n <= 0)
        return 0;
    if (n > SLICE_MAX_PORTS)
        return -1;
    s->ports = calloc((size_t)n, sizeof *s->ports);
    if (s->ports == NULL)
        return -1;
    for (int t = json_arr_first(doc, arr); t >= 0; t = json_next(doc, t)) {
        rc_svc_port *p = &s->ports[s->nports++];
        int64_t v = 0;
        int name = json_obj_get(doc, t, "name"), app = json_obj_get(doc, t, "appProtocol");
        int proto = json_obj_get(doc, t, "protocol"), target = json_obj_get(doc, t, "targetPort");
        if (json_int64(doc, json_obj_get(doc, t, "port"), &v) != 0 || v < 1 || v > 65535)
            return -1;
        p->port = (int32_t)v;
        p->protocol = slice_protocol_parse(doc, proto);
        p->name = json_is_string(doc, name) ? istr_json(doc, name) : istr_get("", 0);
        if (p->name == NULL)
            return -1;
        if (json_is_string(doc, app) && (p->app_protocol = istr_json(doc, app)) == NULL)
            return -1;
        if (json_is_string(doc, target)) {
            if ((p->target_port_name = istr_json(doc, target)) == NULL)
                return -1;
        } else if (json_int64(doc, target, &v) == 0 && v > 0 && v <= 65535) {
            p->target_port = (int32_t)v;
        }
    }
    return 0;
}

uint64_t rcache_ports_hash(const rc_svc_port *ports, size_t n)
{
    uint64_t h = SMAP_FNV_OFFSET;
    for (size_t i = 0; i < n; i++) {
        const rc_svc_port *p = &ports[i];
        h = smap_fnv(h, p->name, strlen(p->name) + 1);
        h = smap_fnv(h, p->app_protocol ? p->app_protocol : "\x01", p->app_protocol ? strlen(p->app_protocol) + 1 : 2);
        h = smap_fnv(h, p->target_port_name ? p->target_port_name : "\x01",
                     p->target_port_name ? strlen(p->target_port_name) + 1 : 2);
        h = smap_fnv(h, &p->port, sizeof p->port);
        h = smap_fnv(h, &p->target_port, sizeof p->target_port);
        h = smap_fnv(h, &p->protocol, 1);
    }
    return h;
}

static uint64_t rc_svc_hash(const rc_svc *s)
{
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, &s->flags, 1);
    h = smap_fnv(h, &s->ip_family_policy, 1);
    h = smap_fnv(h, s->ip_families, 2);
    h = smap_fnv(h, &s->mode, 1);
    uint64_t ph = rcache_ports_hash(s->ports, s->nports);
    h = smap_fnv(h, &ph, sizeof ph);
    return s->external_name != NULL ? smap_fnv(h, s->external_name, strlen(s->external_name) + 1) : h;
}

static rc_svc *rc_parse_svc(const json_doc *doc, int obj)
{
    rc_svc *s = calloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    int spec = json_obj_get(doc, obj, "spec");
    s->mode = (uint8_t)svcmode_of(doc, obj);
    if (json_str_eq(doc, json_obj_get(doc, spec, "clusterIP"), "None"))
        s->flags |= RC_HEADLESS;
    if (json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName")) {
        s->flags |= RC_EXTERNAL_NAME;
        /* A DNS name: the API server bounds it at 253; anything else is not copied. */
        int ext = json_obj_get(doc, spec, "externalName");
        size_t len = 0;
        if (json_is_string(doc, ext) && json_raw(doc, ext, &len) != NULL && len <= 255 &&
            (s->external_name = json_str_dup(doc, ext)) == NULL) {
            rc_svc_free(s);
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
        s->ip_families[i] = rc_family(doc, f);
    if (rc_parse_svc_ports(doc, json_obj_get(doc, spec, "ports"), s) != 0) {
        rc_svc_free(s);
        return NULL;
    }
    s->hash = rc_svc_hash(s);
    return s;
}

static int rc_meta(const json_doc *doc, int obj, char *ns, char *name)
{
    int meta = json_obj_get(doc, obj, "metadata");
    if (json_str_copy(doc, json_obj_get(doc, meta, "namespace"), ns, 64, NULL) != 0 || ns[0] == '\0' ||
        json_str_copy(doc, json_obj_get(doc, meta, "name"), name, 254, NULL) != 0 || name[0] == '\0')
        return -1;
    return 0;
}

static int rc_upsert_svc(rcache *c, const json_doc *doc, int obj, char *err, size_t errlen)
{
    char ns[64], name[254];
    if (rc_meta(doc, obj, ns, name) != 0) {
        txt_errorf(err, errlen, "a Service without namespace or name");
        return -1;
    }
    const rc_group *had = rc_group_get(c, ns, name, false);
    bool fresh = had == NULL || had->svc == NULL;
    /* During a list, what counts is the Services that list restated so far. */
    bool counts = c->listing_svc ? fresh || had->svc->gen != c->gen_svc : fresh;
    uint64_t held = c->listing_svc ? c->listed_svc : c->services;
    if (counts && c->limits.max_services > 0 && held + 1 > c->limits.max_services) {
        txt_errorf(err, errlen,
                   "Service %s/%s is over the budget of %llu Services per link (raise --max-services-per-link "
                   "or the link's spec.maxServices)",
                   ns, name, (unsigned long long)c->limits.max_services);
        return RCACHE_OVER_BUDGET;
    }
    rc_svc *s = rc_parse_svc(doc, obj);
    rc_group *g = s != NULL ? rc_group_get(c, ns, name, true) : NULL;
    if (g == NULL) {
        rc_svc_free(s);
        txt_errorf(err, errlen, "Service %s/%s: cannot decode its ports (or out of memory)", ns, name);
        return -1;
    }
    s->gen = c->gen_svc;
    bool changed = g->svc == NULL || g->svc->hash != s->hash;
    if (g->svc == NULL)
        c->services++;
    if (counts && c->listing_svc)
        c->listed_svc++;
    rc_svc_free(g->svc);
    g->svc = s;
    if (changed)
        rc_mark_dirty(c, g);
    return 0;
}

static void rc_drop_svc(rcache *c, rc_group *g)
{
    c->services--;
    if (c->listing_svc && g->svc->gen == c->gen_svc)
        c->listed_svc--;
    rc_svc_free(g->svc);
    g->svc = NULL;
    rc_mark_dirty(c, g);
    rc_group_maybe_drop(c, g);
}

/* ---- EndpointSlices ---- */

static uint64_t rc_slice_hash(const slice_data *d)
{
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, &d->addr_type, sizeof d->addr_type);
    uint64_t ph = slice_ports_hash(d->ports, d->nports);
    h = smap_fnv(h, &ph, sizeof ph);
    h = smap_fnv(h, &d->neps, sizeof d->neps);
    if (d->neps > 0)
        h = smap_fnv(h, d->eps, d->neps * slice_ep_size(d->addr_type));
    for (uint32_t i = 0; d->hostnames != NULL && i < d->neps; i++) {
        const char *host = d->hostnames[i] != NULL ? d->hostnames[i] : "\x01";
        h = smap_fnv(h, host, strlen(host) + 1);
    }
    return h;
}

static void rc_unlink_slice(rc_slice *s)
{
    rc_group *g = s->group;
    for (rc_slice **p = &g->slices; *p != NULL; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            g->nslices--;
            return;
        }
    }
}

static void rc_drop_slice(rcache *c, const char *key, rc_slice *s)
{
    rc_group *g = s->group;
    if (c->listing_eps && s->gen == c->gen_slice)
        c->listed_eps -= s->data.neps;
    smap_del(&c->slices, key);
    rc_unlink_slice(s);
    rc_slice_free(c, s);
    rc_mark_dirty(c, g);
    rc_group_maybe_drop(c, g);
}

/* Endpoints counted against the budget: all held, or during a list those it restated. */
static uint64_t rc_slice_counted(const rcache *c, const rc_slice *old)
{
    if (old == NULL || (c->listing_eps && old->gen != c->gen_slice))
        return 0;
    return old->data.neps;
}

static bool rc_slice_over_budget(const rcache *c, const rc_slice *old, const rc_slice *s, const char *ns,
                                 const char *name, char *err, size_t errlen)
{
    uint64_t held = (c->listing_eps ? c->listed_eps : c->endpoints) - rc_slice_counted(c, old);
    if (c->limits.max_endpoints == 0 || held + s->data.neps <= c->limits.max_endpoints)
        return false;
    txt_errorf(err, errlen,
               "EndpointSlice %s/%s is over the budget of %llu endpoints per link (raise --max-endpoints-per-link "
               "or the link's spec.maxEndpoints)",
               ns, name, (unsigned long long)c->limits.max_endpoints);
    return true;
}

static int rc_upsert_slice(rcache *c, const json_doc *doc, int obj, char *err, size_t errlen)
{
    char ns[64], name[254], svc[64], key[RC_KEY_MAX];
    int labels = json_path(doc, obj, "metadata", "labels", NULL);
    if (rc_meta(doc, obj, ns, name) != 0 || rc_key(key, ns, name) != 0) {
        txt_errorf(err, errlen, "an EndpointSlice without namespace or name");
        return -1;
    }
    rc_slice *old = smap_get(&c->slices, key);
    /* A slice of no Service, or one of ours that slipped past the selector, is not data. */
    if (json_str_copy(doc, json_obj_get(doc, labels, SLICE_LABEL_SERVICE), svc, sizeof svc, NULL) != 0 ||
        svc[0] == '\0' || json_str_eq(doc, json_obj_get(doc, labels, SLICE_LABEL_MANAGED_BY), SLICE_MANAGED_BY)) {
        if (old != NULL)
            rc_drop_slice(c, key, old);
        return 0;
    }
    rc_slice *s = calloc(1, sizeof *s);
    if (s == NULL || slice_parse(doc, obj, &s->data, err, errlen) != 0) {
        free(s);
        return -1;
    }
    slice_ports_sort(s->data.ports, s->data.nports);
    if (rc_slice_over_budget(c, old, s, ns, name, err, errlen)) {
        slice_data_free(&s->data);
        free(s);
        return RCACHE_OVER_BUDGET;
    }
    s->hash = rc_slice_hash(&s->data);
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
        rc_drop_slice(c, key, old);
    rc_group *g = rc_group_get(c, ns, svc, true);
    if (g == NULL) {
        slice_data_free(&s->data);
        free(s);
        txt_errorf(err, errlen, "out of memory");
        return -1;
    }
    if (smap_put(&c->slices, key, s, NULL) != 0) {
        slice_data_free(&s->data);
        free(s);
        rc_group_maybe_drop(c, g);
        txt_errorf(err, errlen, "out of memory");
        return -1;
    }
    s->group = g;
    s->next = g->slices;
    g->slices = s;
    g->nslices++;
    c->endpoints += s->data.neps;
    if (c->listing_eps)
        c->listed_eps += s->data.neps;
    rc_mark_dirty(c, g);
    return 0;
}

/* ---- reflector events ---- */

void rcache_list_begin(rcache *c, char kind)
{
    if (kind == 's') {
        c->gen_svc++;
        c->listing_svc = true;
        c->listed_svc = 0;
    } else {
        c->gen_slice++;
        c->listing_eps = true;
        c->listed_eps = 0;
    }
}

void rcache_list_end(rcache *c, char kind)
{
    if (kind == 's')
        c->listing_svc = false;
    else
        c->listing_eps = false;
    if (kind == 's') {
        for (smap_iter it = smap_iter_start(&c->groups); smap_iter_ok(&it); smap_iter_next(&it)) {
            rc_group *g = it.e->value;
            if (g->svc != NULL && g->svc->gen != c->gen_svc)
                rc_drop_svc(c, g);
        }
    } else {
        for (smap_iter it = smap_iter_start(&c->slices); smap_iter_ok(&it); smap_iter_next(&it)) {
            rc_slice *s = it.e->value;
            if (s->gen != c->gen_slice)
                rc_drop_slice(c, it.e->key, s);
        }
    }
}

int rcache_upsert(rcache *c, char kind, const json_doc *doc, int obj, char *err, size_t errlen)
{
    return kind == 's' ? rc_upsert_svc(c, doc, obj, err, errlen) : rc_upsert_slice(c, doc, obj, err, errlen);
}

void rcache_delete(rcache *c, char kind, const json_doc *doc, int obj)
{
    char ns[64], name[254], key[RC_KEY_MAX];
    if (rc_meta(doc, obj, ns, name) != 0)
        return;
    if (kind == 's') {
        rc_group *g = rc_group_get(c, ns, name, false);
        if (g != NULL && g->svc != NULL)
            rc_drop_svc(c, g);
        return;
    }
    if (rc_key(key, ns, name) != 0)
        return;
    rc_slice *s = smap_get(&c->slices, key);
    if (s != NULL)
        rc_drop_slice(c, key, s);
}

int rcache_ports_hash_json(const json_doc *doc, int svc_obj, uint64_t *out)
{
    rc_svc *s = rc_parse_svc(doc, svc_obj);
    if (s == NULL)
        return -1;
    *out = rcache_ports_hash(s->ports, s->nports);
    rc_svc_free(s);
    return 0;
}

const rc_group *rcache_group(const rcache *c, const char *ns, const char *name)
{
    char key[RC_KEY_MAX];
    if (rc_key(key, ns, name) != 0)
        return NULL;
    return smap_get(&c->groups, key);
}

size_t rcache_bytes(const rcache *c)
{
    size_t b = (c->groups.nbuckets + c->slices.nbuckets) * sizeof(void *);
    b += smap_count(&c->groups) * (sizeof(rc_group) + sizeof(smap_entry) + 48 + sizeof(rc_svc));
    b += smap_count(&c->slices) * (sizeof(rc_slice) + sizeof(smap_entry) + 64);
    b += c->endpoints * slice_ep_size(SLICE_ADDR_IPV4); /* most are */
    return b;
}
