/* lview: keeps the main cluster's Services (a few fields each) and svclink's own
 * EndpointSlices (name, labels, content hash, resourceVersion), with a per-Service index. */
#include "lview.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "istr.h"
#include "log.h"
#include "rcache.h"
#include "slice.h"
#include "svcmode.h"


void lview_init(lview *v, lview_dirty_cb dirty, void *arg)
{
    memset(v, 0, sizeof *v);
    smap_init(&v->svcs);
    smap_init(&v->slices);
    smap_init(&v->by_service);
    smap_init(&v->unknown);
    v->dirty = dirty;
    v->arg = arg;
}

/* The namespace, Service and link names repeat across slices: they are interned (one
 * reference each per slice); the slice's own name is stored with it. */
static void lv_slice_free(lview_slice *s)
{
    istr_put(s->ns);
    istr_put(s->service);
    istr_put(s->link);
    free(s);
}

static void lv_svc_free(lview_svc *s)
{
    if (s == NULL)
        return;
    free(s->selector);
    free(s->stash);
    free(s);
}

void lview_free(lview *v)
{
    for (smap_iter it = smap_iter_start(&v->svcs); smap_iter_ok(&it); smap_iter_next(&it))
        lv_svc_free(it.e->value);
    for (smap_iter it = smap_iter_start(&v->slices); smap_iter_ok(&it); smap_iter_next(&it))
        lv_slice_free(it.e->value);
    smap_free(&v->svcs);
    smap_free(&v->slices);
    smap_free(&v->by_service);
    smap_free(&v->unknown);
}

/* name must hold LV_NAME_MAX bytes: svclink (Go)'s slice names can be that long. */
#define LV_NAME_MAX 254

static int lv_meta(const json_doc *doc, int obj, char *ns, char *name, char *rv)
{
    int meta = json_obj_get(doc, obj, "metadata");
    if (json_str_copy(doc, json_obj_get(doc, meta, "namespace"), ns, 64, NULL) != 0 ||
        json_str_copy(doc, json_obj_get(doc, meta, "name"), name, LV_NAME_MAX, NULL) != 0 || ns[0] == '\0' ||
        name[0] == '\0')
        return -1;
    if (rv != NULL && json_str_copy(doc, json_obj_get(doc, meta, "resourceVersion"), rv, 32, NULL) != 0)
        rv[0] = '\0';
    return 0;
}

static void lv_dirty(lview *v, const char *ns, const char *service)
{
    if (v->dirty != NULL)
        v->dirty(v->arg, ns, service);
}

/* ---- Services ---- */

void lview_mark_created(const lview *v)
{
    for (smap_iter it = smap_iter_start(&v->svcs); smap_iter_ok(&it); smap_iter_next(&it)) {
        const lview_svc *ls = it.e->value;
        char ns[64];
        const char *name;
        if (ls->created_by_us && v->dirty != NULL && smap_key_split(it.e->key, ns, &name) == 0)
            v->dirty(v->arg, ns, name);
    }
}

uint64_t lview_external_hash(const char *external_name)
{
    if (external_name == NULL)
        return 0;
    return smap_fnv(SMAP_FNV_OFFSET, external_name, strlen(external_name) + 1) | 1u;
}

/* The mode, the selector (for a receiver) and the stash; false when out of memory. */
static bool lv_svc_modes(lview_svc *s, const json_doc *doc, int obj)
{
    int sel = json_path(doc, obj, "spec", "selector", NULL);
    int stash = json_path(doc, obj, "metadata", "annotations", SVCMODE_STASH_ANNOTATION, NULL);
    s->mode = (uint8_t)svcmode_of(doc, obj);
    s->has_selector = json_is_object(doc, sel) && json_len(doc, sel) > 0;
    size_t len = 0;
    /* Only a Service that may become a receiver keeps it (union does, meeting a source). */
    bool may_stash = s->mode == SVCMODE_RECEIVER || s->mode == SVCMODE_UNION;
    const char *raw = s->has_selector && may_stash ? json_raw(doc, sel, &len) : NULL;
    /* A selector too long to stash is not stashed (the plan reports it). */
    if (raw != NULL && len <= SVCMODE_MAX_STASH && (s->selector = strndup(raw, len)) == NULL)
        return false;
    if (json_is_string(doc, stash)) {
        /* The decoded value, at any length: the plan refuses what is too long. */
        s->stash = json_str_dup(doc, stash);
        if (s->stash == NULL)
            return false;
        s->stash_len = strlen(s->stash);
    }
    return true;
}

static bool lv_str_same(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

static void lv_upsert_svc(lview *v, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], rv[32], key[SMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, rv) != 0 || smap_key(key, ns, name) != 0)
        return;
    lview_svc fresh = {.gen = v->gen_svc};
    memcpy(fresh.rv, rv, sizeof fresh.rv);
    int meta = json_obj_get(doc, obj, "metadata"), spec = json_obj_get(doc, obj, "spec");
    json_str_copy(doc, json_obj_get(doc, meta, "uid"), fresh.uid, sizeof fresh.uid, NULL);
    fresh.created_by_us =
        json_str_eq(doc, json_path(doc, meta, "labels", LVIEW_CREATED_BY_LABEL, NULL), "svclink");
    fresh.unsyncable = json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName");
    fresh.headless = json_str_eq(doc, json_obj_get(doc, spec, "clusterIP"), "None");
    int td = json_obj_get(doc, spec, "trafficDistribution");
    fresh.prefer_close = json_str_eq(doc, td, "PreferClose") || json_str_eq(doc, td, "PreferSameZone");
    if (rcache_ports_hash_json(doc, obj, &fresh.ports_hash) != 0)
        fresh.ports_hash = 0;
    fresh.external = json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName");
    char ext[256] = "";
    if (fresh.external && json_str_copy(doc, json_obj_get(doc, spec, "externalName"), ext, sizeof ext, NULL) == 0)
        fresh.external_hash = lview_external_hash(ext);
    json_str_copy(doc, json_path(doc, meta, "labels", LVIEW_SOURCE_CLUSTER_LABEL, NULL), fresh.source,
                  sizeof fresh.source, NULL);
    /* svclink mirror shares namespaces with other instances: it owns only what it made. */
    if (v->only_source != NULL && strcmp(fresh.source, v->only_source) != 0)
        fresh.created_by_us = false;
    if (!lv_svc_modes(&fresh, doc, obj)) {
        free(fresh.selector);
        free(fresh.stash);
        return;
    }
    lview_svc *old = smap_get(&v->svcs, key);
    if (old != NULL) {
        bool changed = strcmp(old->uid, fresh.uid) != 0 || old->unsyncable != fresh.unsyncable ||
                       old->headless != fresh.headless || old->prefer_close != fresh.prefer_close ||
                       old->created_by_us != fresh.created_by_us || old->ports_hash != fresh.ports_hash ||
                       old->external != fresh.external || old->external_hash != fresh.external_hash ||
                       strcmp(old->source, fresh.source) != 0 || old->mode != fresh.mode ||
                       old->has_selector != fresh.has_selector || !lv_str_same(old->selector, fresh.selector) ||
                       !lv_str_same(old->stash, fresh.stash);
        free(old->selector);
        free(old->stash);
        *old = fresh;
        if (changed)
            lv_dirty(v, ns, name);
        return;
    }
    lview_svc *s = malloc(sizeof *s);
    if (s == NULL) {
        free(fresh.selector);
        free(fresh.stash);
        return;
    }
    *s = fresh;
    if (smap_put(&v->svcs, key, s, NULL) != 0) {
        lv_svc_free(s);
        return;
    }
    lv_dirty(v, ns, name);
}

static void lv_drop_svc(lview *v, const char *key)
{
    lv_svc_free(smap_del(&v->svcs, key));
    char ns[64];
    const char *name;
    if (smap_key_split(key, ns, &name) == 0)
        lv_dirty(v, ns, name);
}

/* ---- slices ---- */

static void lv_unindex(lview *v, lview_slice *s)
{
    char key[SMAP_KEY_MAX];
    if (smap_key(key, s->ns, s->service) != 0)
        return;
    lview_slice *head = smap_get(&v->by_service, key);
    lview_slice **p = &head;
    while (*p != NULL && *p != s)
        p = &(*p)->next;
    if (*p == s)
        *p = s->next;
    s->next = NULL;
    if (head == NULL)
        smap_del(&v->by_service, key);
    else
        smap_put(&v->by_service, key, head, NULL);
}

static void lv_index(lview *v, lview_slice *s)
{
    char key[SMAP_KEY_MAX];
    if (smap_key(key, s->ns, s->service) != 0)
        return;
    s->next = smap_get(&v->by_service, key);
    if (smap_put(&v->by_service, key, s, NULL) != 0)
        s->next = NULL;
}

static void lv_drop_slice(lview *v, const char *key, lview_slice *s)
{
    lv_unindex(v, s);
    smap_del(&v->slices, key);
    lv_dirty(v, s->ns, s->service);
    lv_slice_free(s);
}

/* A slice with our managed-by value that is in neither layout is not touched; saying so
 * once per slice (not at every relist) keeps the log readable. */
static void lv_note_unknown(lview *v, const char *ns, const char *name, const char *key)
{
    bool known = smap_get(&v->unknown, key) != NULL;
    if (smap_put(&v->unknown, key, (void *)(uintptr_t)(v->gen_slice + 1u), NULL) != 0 || known)
        return;
    log_kv(LOG_WARN, "EndpointSlice has svclink's managed-by label but neither svclink's labels nor svclink (Go)'s "
                     "name and labels: leaving it alone",
           "ns", ns, "name", name, NULL);
}

/* What lv_upsert_slice keeps of a slice: ours are hashed (slice_observe); svclink (Go)'s
 * only need their Service and link, since they are never kept as they are. 0, or -1 when
 * the slice is not one svclink manages. */
static int lv_observe(lview *v, const json_doc *doc, int obj, const char *ns, const char *name, const char *key,
                      slice_observed *o, bool *foreign)
{
    char service[64], link[64];
    slice_class c = slice_classify(doc, obj, service, link);
    *foreign = c == SLICE_CLASS_GO;
    if (c == SLICE_CLASS_UNKNOWN)
        lv_note_unknown(v, ns, name, key);
    else
        smap_del(&v->unknown, key);
    if (c == SLICE_CLASS_OURS)
        return slice_observe(doc, obj, ns, name, o);
    if (c != SLICE_CLASS_GO)
        return -1;
    memset(o, 0, sizeof *o);
    memcpy(o->service, service, sizeof o->service);
    memcpy(o->link, link, sizeof o->link);
    return 0;
}

static void lv_upsert_slice(lview *v, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], rv[32], key[SMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, rv) != 0 || smap_key(key, ns, name) != 0)
        return;
    lview_slice *old = smap_get(&v->slices, key);
    slice_observed o;
    bool foreign = false;
    if (lv_observe(v, doc, obj, ns, name, key, &o, &foreign) != 0) {
        /* No longer one of ours (labels edited away): forget it. */
        if (old != NULL)
            lv_drop_slice(v, key, old);
        return;
    }
    if (old != NULL && strcmp(old->service, o.service) == 0 && strcmp(old->link, o.link) == 0 &&
        old->foreign == foreign) {
        bool changed = old->hash != o.hash;
        old->hash = o.hash;
        old->neps = o.neps;
        old->gen = v->gen_slice;
        memcpy(old->rv, rv, sizeof old->rv);
        if (changed)
            lv_dirty(v, ns, o.service);
        return;
    }
    if (old != NULL)
        lv_drop_slice(v, key, old);
    size_t name_len = strlen(name) + 1;
    lview_slice *s = calloc(1, sizeof *s + name_len);
    if (s == NULL)
        return;
    memcpy(s->strs, name, name_len);
    s->name = s->strs;
    s->ns = istr_get(ns, strlen(ns));
    s->service = istr_get(o.service, strlen(o.service));
    s->link = istr_get(o.link, strlen(o.link));
    if (s->ns == NULL || s->service == NULL || s->link == NULL) {
        lv_slice_free(s);
        return;
    }
    memcpy(s->rv, rv, sizeof s->rv);
    s->hash = o.hash;
    s->neps = o.neps;
    s->gen = v->gen_slice;
    s->foreign = foreign;
    if (smap_put(&v->slices, key, s, NULL) != 0) {
        lv_slice_free(s);
        return;
    }
    lv_index(v, s);
    lv_dirty(v, ns, s->service);
}

/* ---- public ---- */

void lview_list_begin(lview *v, char kind)
{
    if (kind == 's')
        v->gen_svc++;
    else
        v->gen_slice++;
}

void lview_list_end(lview *v, char kind)
{
    if (kind == 's') {
        for (smap_iter it = smap_iter_start(&v->svcs); smap_iter_ok(&it); smap_iter_next(&it)) {
            if (((lview_svc *)it.e->value)->gen != v->gen_svc)
                lv_drop_svc(v, it.e->key);
        }
        v->svcs_synced = true;
    } else {
        for (smap_iter it = smap_iter_start(&v->slices); smap_iter_ok(&it); smap_iter_next(&it)) {
            lview_slice *s = it.e->value;
            if (s->gen != v->gen_slice && !s->pending)
                lv_drop_slice(v, it.e->key, s);
        }
        for (smap_iter it = smap_iter_start(&v->unknown); smap_iter_ok(&it); smap_iter_next(&it)) {
            if ((uintptr_t)it.e->value != (uintptr_t)(v->gen_slice + 1u))
                smap_del(&v->unknown, it.e->key);
        }
        v->slices_synced = true;
    }
}

void lview_upsert(lview *v, char kind, const json_doc *doc, int obj)
{
    if (kind == 's')
        lv_upsert_svc(v, doc, obj);
    else
        lv_upsert_slice(v, doc, obj);
}

void lview_delete(lview *v, char kind, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], key[SMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, NULL) != 0 || smap_key(key, ns, name) != 0)
        return;
    if (kind == 's') {
        if (smap_get(&v->svcs, key) != NULL)
            lv_drop_svc(v, key);
        return;
    }
    smap_del(&v->unknown, key);
    lview_slice *s = smap_get(&v->slices, key);
    if (s != NULL)
        lv_drop_slice(v, key, s);
}

const lview_svc *lview_service(const lview *v, const char *ns, const char *name)
{
    char key[SMAP_KEY_MAX];
    return smap_key(key, ns, name) == 0 ? smap_get(&v->svcs, key) : NULL;
}

lview_slice *lview_slice_get(const lview *v, const char *ns, const char *name)
{
    char key[SMAP_KEY_MAX];
    return smap_key(key, ns, name) == 0 ? smap_get(&v->slices, key) : NULL;
}

lview_slice *lview_slices_of(const lview *v, const char *ns, const char *service)
{
    char key[SMAP_KEY_MAX];
    return smap_key(key, ns, service) == 0 ? smap_get(&v->by_service, key) : NULL;
}

void lview_record_slice(lview *v, const char *ns, const char *name, const json_doc *doc, int obj)
{
    char key[SMAP_KEY_MAX];
    if (smap_key(key, ns, name) != 0)
        return;
    if (doc == NULL) {
        lview_slice *s = smap_get(&v->slices, key);
        if (s != NULL) {
            /* Deleting our own write's slice must not make the Service dirty again. */
            lview_dirty_cb saved = v->dirty;
            v->dirty = NULL;
            lv_drop_slice(v, key, s);
            v->dirty = saved;
        }
        return;
    }
    lview_dirty_cb saved = v->dirty;
    v->dirty = NULL;
    uint32_t gen = v->gen_slice;
    lv_upsert_slice(v, doc, obj);
    v->gen_slice = gen;
    v->dirty = saved;
}
