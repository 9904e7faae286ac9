/* main_view: keeps the main cluster's Services (a few fields each) and svclink's own
 * EndpointSlices (name, labels, content hash, resourceVersion), with a per-Service index. */
#include "cache/main_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/intern.h"
#include "base/log.h"
#include "cache/svc_ports.h"
#include "cache/slice.h"
#include "cache/svc_mode.h"


void main_view_init(main_view *v, main_view_dirty_cb dirty, void *arg)
{
    memset(v, 0, sizeof *v);
    strmap_init(&v->svcs);
    strmap_init(&v->slices);
    strmap_init(&v->by_service);
    strmap_init(&v->unknown);
    strmap_init(&v->writing);
    v->dirty = dirty;
    v->arg = arg;
}

/* The namespace, Service and link names repeat across slices: they are interned (one
 * reference each per slice); the slice's own name is stored with it. */
static void lv_slice_free(main_view_slice *s)
{
    intern_put(s->ns);
    intern_put(s->service);
    intern_put(s->link);
    free(s);
}

static void lv_svc_free(main_view_svc *s)
{
    if (s == NULL)
        return;
    free(s->selector);
    free(s->stash);
    free(s);
}

void main_view_free(main_view *v)
{
    for (strmap_iter it = strmap_iter_start(&v->svcs); strmap_iter_ok(&it); strmap_iter_next(&it))
        lv_svc_free(it.e->value);
    for (strmap_iter it = strmap_iter_start(&v->slices); strmap_iter_ok(&it); strmap_iter_next(&it))
        lv_slice_free(it.e->value);
    strmap_free(&v->svcs);
    strmap_free(&v->slices);
    strmap_free(&v->by_service);
    strmap_free(&v->unknown);
    strmap_free(&v->writing);
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

static void lv_dirty(main_view *v, const char *ns, const char *service)
{
    if (v->dirty != NULL)
        v->dirty(v->arg, ns, service);
}

/* ---- Services ---- */

void main_view_mark_created(const main_view *v)
{
    for (strmap_iter it = strmap_iter_start(&v->svcs); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        const main_view_svc *ls = it.e->value;
        char ns[64];
        const char *name;
        if (ls->created_by_us && v->dirty != NULL && strmap_key_split(it.e->key, ns, &name) == 0)
            v->dirty(v->arg, ns, name);
    }
}

uint64_t main_view_external_hash(const char *external_name)
{
    if (external_name == NULL)
        return 0;
    return strmap_fnv(STRMAP_FNV_OFFSET, external_name, strlen(external_name) + 1) | 1u;
}

/* The mode, the selector (for a receiver) and the stash; false when out of memory. */
static bool lv_svc_modes(main_view_svc *s, const json_doc *doc, int obj)
{
    int sel = json_path(doc, obj, "spec", "selector", NULL);
    int stash = json_path(doc, obj, "metadata", "annotations", SVC_MODE_STASH_ANNOTATION, NULL);
    s->mode = (uint8_t)svc_mode_of(doc, obj);
    s->has_selector = json_is_object(doc, sel) && json_len(doc, sel) > 0;
    size_t len = 0;
    /* Only a Service that may become a receiver keeps it (union does, meeting a source). */
    bool may_stash = s->mode == SVC_MODE_RECEIVER || s->mode == SVC_MODE_UNION;
    const char *raw = s->has_selector && may_stash ? json_raw(doc, sel, &len) : NULL;
    /* A selector too long to stash is not stashed (the plan reports it). */
    if (raw != NULL && len <= SVC_MODE_MAX_STASH && (s->selector = strndup(raw, len)) == NULL)
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

static void lv_upsert_svc(main_view *v, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], rv[32], key[STRMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, rv) != 0 || strmap_key(key, ns, name) != 0)
        return;
    main_view_svc fresh = {.gen = v->gen_svc};
    memcpy(fresh.rv, rv, sizeof fresh.rv);
    int meta = json_obj_get(doc, obj, "metadata"), spec = json_obj_get(doc, obj, "spec");
    json_str_copy(doc, json_obj_get(doc, meta, "uid"), fresh.uid, sizeof fresh.uid, NULL);
    fresh.created_by_us =
        json_str_eq(doc, json_path(doc, meta, "labels", MAIN_VIEW_CREATED_BY_LABEL, NULL), "svclink");
    fresh.unsyncable = json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName");
    fresh.headless = json_str_eq(doc, json_obj_get(doc, spec, "clusterIP"), "None");
    int td = json_obj_get(doc, spec, "trafficDistribution");
    fresh.prefer_close = json_str_eq(doc, td, "PreferClose") || json_str_eq(doc, td, "PreferSameZone");
    if (svc_ports_hash_json(doc, obj, &fresh.ports_hash) != 0)
        fresh.ports_hash = 0;
    fresh.external = json_str_eq(doc, json_obj_get(doc, spec, "type"), "ExternalName");
    char ext[256] = "";
    if (fresh.external && json_str_copy(doc, json_obj_get(doc, spec, "externalName"), ext, sizeof ext, NULL) == 0)
        fresh.external_hash = main_view_external_hash(ext);
    json_str_copy(doc, json_path(doc, meta, "labels", MAIN_VIEW_SOURCE_CLUSTER_LABEL, NULL), fresh.source,
                  sizeof fresh.source, NULL);
    /* svclink mirror shares namespaces with other instances: it owns only what it made. */
    if (v->only_source != NULL && strcmp(fresh.source, v->only_source) != 0)
        fresh.created_by_us = false;
    if (!lv_svc_modes(&fresh, doc, obj)) {
        free(fresh.selector);
        free(fresh.stash);
        return;
    }
    main_view_svc *old = strmap_get(&v->svcs, key);
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
    main_view_svc *s = malloc(sizeof *s);
    if (s == NULL) {
        free(fresh.selector);
        free(fresh.stash);
        return;
    }
    *s = fresh;
    if (strmap_put(&v->svcs, key, s, NULL) != 0) {
        lv_svc_free(s);
        return;
    }
    lv_dirty(v, ns, name);
}

static void lv_drop_svc(main_view *v, const char *key)
{
    lv_svc_free(strmap_del(&v->svcs, key));
    char ns[64];
    const char *name;
    if (strmap_key_split(key, ns, &name) == 0)
        lv_dirty(v, ns, name);
}

/* ---- slices ---- */

static void lv_unindex(main_view *v, main_view_slice *s)
{
    char key[STRMAP_KEY_MAX];
    if (strmap_key(key, s->ns, s->service) != 0)
        return;
    main_view_slice *head = strmap_get(&v->by_service, key);
    main_view_slice **p = &head;
    while (*p != NULL && *p != s)
        p = &(*p)->next;
    if (*p == s)
        *p = s->next;
    s->next = NULL;
    if (head == NULL)
        strmap_del(&v->by_service, key);
    else
        strmap_put(&v->by_service, key, head, NULL);
}

static void lv_index(main_view *v, main_view_slice *s)
{
    char key[STRMAP_KEY_MAX];
    if (strmap_key(key, s->ns, s->service) != 0)
        return;
    s->next = strmap_get(&v->by_service, key);
    if (strmap_put(&v->by_service, key, s, NULL) != 0)
        s->next = NULL;
}

static void lv_drop_slice(main_view *v, const char *key, main_view_slice *s)
{
    lv_unindex(v, s);
    strmap_del(&v->slices, key);
    lv_dirty(v, s->ns, s->service);
    lv_slice_free(s);
}

/* A slice with our managed-by value that is in neither layout is not touched; saying so
 * once per slice (not at every relist) keeps the log readable. */
static void lv_note_unknown(main_view *v, const char *ns, const char *name, const char *key)
{
    bool known = strmap_get(&v->unknown, key) != NULL;
    if (strmap_put(&v->unknown, key, (void *)(uintptr_t)(v->gen_slice + 1u), NULL) != 0 || known)
        return;
    log_kv(LOG_WARN, "EndpointSlice has svclink's managed-by label but neither svclink's labels nor svclink (Go)'s "
                     "name and labels: leaving it alone",
           "ns", ns, "name", name, NULL);
}

/* What lv_upsert_slice keeps of a slice: ours are hashed (slice_observe); svclink (Go)'s
 * only need their Service and link, since they are never kept as they are. 0, or -1 when
 * the slice is not one svclink manages. */
static int lv_observe(main_view *v, const json_doc *doc, int obj, const char *ns, const char *name, const char *key,
                      slice_observed *o, bool *foreign)
{
    char service[64], link[64];
    slice_class c = slice_classify(doc, obj, service, link);
    *foreign = c == SLICE_CLASS_GO;
    if (c == SLICE_CLASS_UNKNOWN)
        lv_note_unknown(v, ns, name, key);
    else
        strmap_del(&v->unknown, key);
    if (c == SLICE_CLASS_OURS)
        return slice_observe(doc, obj, ns, name, o);
    if (c != SLICE_CLASS_GO)
        return -1;
    memset(o, 0, sizeof *o);
    memcpy(o->service, service, sizeof o->service);
    memcpy(o->link, link, sizeof o->link);
    return 0;
}

static void lv_upsert_slice(main_view *v, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], rv[32], key[STRMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, rv) != 0 || strmap_key(key, ns, name) != 0)
        return;
    main_view_slice *old = strmap_get(&v->slices, key);
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
    main_view_slice *s = calloc(1, sizeof *s + name_len);
    if (s == NULL)
        return;
    memcpy(s->strs, name, name_len);
    s->name = s->strs;
    s->ns = intern_get(ns, strlen(ns));
    s->service = intern_get(o.service, strlen(o.service));
    s->link = intern_get(o.link, strlen(o.link));
    if (s->ns == NULL || s->service == NULL || s->link == NULL) {
        lv_slice_free(s);
        return;
    }
    memcpy(s->rv, rv, sizeof s->rv);
    s->hash = o.hash;
    s->neps = o.neps;
    s->gen = v->gen_slice;
    s->foreign = foreign;
    if (strmap_put(&v->slices, key, s, NULL) != 0) {
        lv_slice_free(s);
        return;
    }
    lv_index(v, s);
    lv_dirty(v, ns, s->service);
}

/* ---- public ---- */

void main_view_list_begin(main_view *v, kube_kind kind)
{
    if (kind == KUBE_KIND_SERVICE)
        v->gen_svc++;
    else if (kind == KUBE_KIND_ENDPOINT_SLICE)
        v->gen_slice++;
}

void main_view_list_end(main_view *v, kube_kind kind)
{
    if (kind == KUBE_KIND_SERVICE) {
        for (strmap_iter it = strmap_iter_start(&v->svcs); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            if (((main_view_svc *)it.e->value)->gen != v->gen_svc)
                lv_drop_svc(v, it.e->key);
        }
        v->svcs_synced = true;
    } else if (kind == KUBE_KIND_ENDPOINT_SLICE) {
        for (strmap_iter it = strmap_iter_start(&v->slices); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            main_view_slice *s = it.e->value;
            if (s->gen != v->gen_slice && !main_view_slice_writing(v, s->ns, s->name))
                lv_drop_slice(v, it.e->key, s);
        }
        for (strmap_iter it = strmap_iter_start(&v->unknown); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            if ((uintptr_t)it.e->value != (uintptr_t)(v->gen_slice + 1u))
                strmap_del(&v->unknown, it.e->key);
        }
        v->slices_synced = true;
    }
}

void main_view_upsert(main_view *v, kube_kind kind, const json_doc *doc, int obj)
{
    if (kind == KUBE_KIND_SERVICE)
        lv_upsert_svc(v, doc, obj);
    else if (kind == KUBE_KIND_ENDPOINT_SLICE)
        lv_upsert_slice(v, doc, obj);
}

void main_view_delete(main_view *v, kube_kind kind, const json_doc *doc, int obj)
{
    char ns[64], name[LV_NAME_MAX], key[STRMAP_KEY_MAX];
    if (lv_meta(doc, obj, ns, name, NULL) != 0 || strmap_key(key, ns, name) != 0)
        return;
    if (kind == KUBE_KIND_SERVICE) {
        if (strmap_get(&v->svcs, key) != NULL)
            lv_drop_svc(v, key);
        return;
    }
    if (kind != KUBE_KIND_ENDPOINT_SLICE)
        return;
    strmap_del(&v->unknown, key);
    main_view_slice *s = strmap_get(&v->slices, key);
    if (s != NULL)
        lv_drop_slice(v, key, s);
}

const main_view_svc *main_view_service(const main_view *v, const char *ns, const char *name)
{
    char key[STRMAP_KEY_MAX];
    return strmap_key(key, ns, name) == 0 ? strmap_get(&v->svcs, key) : NULL;
}

const main_view_slice *main_view_slice_get(const main_view *v, const char *ns, const char *name)
{
    char key[STRMAP_KEY_MAX];
    return strmap_key(key, ns, name) == 0 ? strmap_get(&v->slices, key) : NULL;
}

const main_view_slice *main_view_slices_of(const main_view *v, const char *ns, const char *service)
{
    char key[STRMAP_KEY_MAX];
    return strmap_key(key, ns, service) == 0 ? strmap_get(&v->by_service, key) : NULL;
}

void main_view_record_slice(main_view *v, const char *ns, const char *name, const json_doc *doc, int obj)
{
    char key[STRMAP_KEY_MAX];
    if (strmap_key(key, ns, name) != 0)
        return;
    if (doc == NULL) {
        main_view_slice *s = strmap_get(&v->slices, key);
        if (s != NULL) {
            /* Deleting our own write's slice must not make the Service dirty again. */
            main_view_dirty_cb saved = v->dirty;
            v->dirty = NULL;
            lv_drop_slice(v, key, s);
            v->dirty = saved;
        }
        return;
    }
    main_view_dirty_cb saved = v->dirty;
    v->dirty = NULL;
    uint32_t gen = v->gen_slice;
    lv_upsert_slice(v, doc, obj);
    v->gen_slice = gen;
    v->dirty = saved;
}

bool main_view_slice_writing(const main_view *v, const char *ns, const char *name)
{
    char key[STRMAP_KEY_MAX];
    /* A name too long for a key was never claimed; writing it is refused at claim time. */
    return strmap_key(key, ns, name) == 0 && strmap_get(&v->writing, key) != NULL;
}

int main_view_slice_write_begin(main_view *v, const char *ns, const char *name)
{
    char key[STRMAP_KEY_MAX];
    if (strmap_key(key, ns, name) != 0)
        return -1;
    if (strmap_get(&v->writing, key) != NULL)
        return 1;
    return strmap_put(&v->writing, key, (void *)1, NULL) == 0 ? 0 : -1;
}

void main_view_slice_write_end(main_view *v, const char *ns, const char *name)
{
    char key[STRMAP_KEY_MAX];
    if (strmap_key(key, ns, name) == 0)
        strmap_del(&v->writing, key);
}
