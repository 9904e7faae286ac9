/* main_view: the main cluster as svclink needs to see it: its Services (uid, whether svclink
 * created them) and the EndpointSlices svclink manages (its own and svclink (Go)'s),
 * indexed by Service. */
#ifndef SVCLINK_CACHE_MAIN_VIEW_H
#define SVCLINK_CACHE_MAIN_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"
#include "kube/kube_kind.h"
#include "base/strmap.h"

#define MAIN_VIEW_CREATED_BY_LABEL "svclink.cloudpilot.ai/created-by"
/* On Services svclink created: the link and remote namespace it mirrors. */
#define MAIN_VIEW_SOURCE_CLUSTER_LABEL "svclink.cloudpilot.ai/source-cluster"
#define MAIN_VIEW_SOURCE_NAMESPACE_LABEL "svclink.cloudpilot.ai/source-namespace"
/* The vmware controller's marker, also set on Services svclink created. */
#define MAIN_VIEW_REPLICATED_LABEL "replicated"

typedef struct {
    char uid[64];
    char rv[32];
    bool created_by_us;     /* carries MAIN_VIEW_CREATED_BY_LABEL=svclink (and, with only_source
                               set, MAIN_VIEW_SOURCE_CLUSTER_LABEL=only_source) */
    bool unsyncable;        /* ExternalName: never gets slices */
    bool headless;          /* clusterIP None: slices get per-link hostnames */
    bool prefer_close;      /* spec.trafficDistribution PreferClose: remote endpoints are hinted
                               for SLICE_REMOTE_ZONE, so local ones are preferred */
    uint64_t ports_hash;    /* of spec.ports as svclink would write them */
    bool external;          /* type ExternalName */
    uint64_t external_hash; /* of spec.externalName; 0 when none */
    char source[64];        /* MAIN_VIEW_SOURCE_CLUSTER_LABEL, "" when absent */
    uint8_t mode;           /* svc_mode of its mode annotation */
    bool has_selector;      /* spec.selector is a non-empty object */
    /* Owned, NULL unless needed: spec.selector as JSON text (kept only for a receiver or a
     * union Service, to stash it), and the stash annotation's value (kept whenever present). */
    char *selector;
    char *stash;
    size_t stash_len;
    uint32_t gen;
} main_view_svc;

typedef struct main_view_slice {
    struct main_view_slice *next; /* in its Service's list */
    /* name points into strs, allocated with the struct; ns, service and link, which
     * repeat across thousands of slices, are interned (intern, one reference each owned). */
    const char *ns;
    const char *name;
    const char *service;
    const char *link;         /* link names are at most 63 characters (a label value) */
    char rv[32];
    uint64_t hash;            /* slice_observe's hash of what is there */
    uint32_t neps;
    uint32_t gen;
    bool foreign;             /* svclink (Go)'s layout (SLICE_CLASS_GO): hash is 0, and it
                               * goes once this link's own slices for the Service are written */
    char strs[];
} main_view_slice;

typedef void (*main_view_dirty_cb)(void *arg, const char *ns, const char *service);

typedef struct {
    strmap svcs;       /* "ns/name" -> main_view_svc* */
    strmap slices;     /* "ns/name" -> main_view_slice* */
    strmap by_service; /* "ns/service" -> main_view_slice* (list head) */
    strmap unknown;    /* "ns/name" -> list generation: slices with our managed-by value in
                      * neither layout, remembered so each is logged once */
    strmap writing;    /* "ns/name" -> 1 while a write of ours for that slice is queued or in
                      * flight: the one record of it (apply claims and releases, plan reads) */
    uint32_t gen_svc, gen_slice;
    bool svcs_synced, slices_synced;
    main_view_dirty_cb dirty;
    void *arg;
    /* NULL, or (svclink mirror) the one link whose created Services count as ours: a
     * Service another svclink created is then never patched or deleted. Borrowed. */
    const char *only_source;
} main_view;

void main_view_init(main_view *v, main_view_dirty_cb dirty, void *arg);
void main_view_free(main_view *v);

void main_view_list_begin(main_view *v, kube_kind kind);
void main_view_list_end(main_view *v, kube_kind kind);
void main_view_upsert(main_view *v, kube_kind kind, const json_doc *doc, int obj);
void main_view_delete(main_view *v, kube_kind kind, const json_doc *doc, int obj);

const main_view_svc *main_view_service(const main_view *v, const char *ns, const char *name);
const main_view_slice *main_view_slice_get(const main_view *v, const char *ns, const char *name);
/* Marks every Service svclink created dirty (through the view's callback). */
void main_view_mark_created(const main_view *v);
/* The hash main_view keeps of an externalName (0 for NULL), to compare with a remote's. */
uint64_t main_view_external_hash(const char *external_name);
/* The first of the Service's managed slices (follow ->next). */
const main_view_slice *main_view_slices_of(const main_view *v, const char *ns, const char *service);
/* After a successful write of ours: record what the server returned (the object) or,
 * for a delete (doc NULL), forget the slice, without waiting for the watch. */
void main_view_record_slice(main_view *v, const char *ns, const char *name, const json_doc *doc, int obj);

/* One write of ours per slice at a time, created or not yet: a second reconcile before the
 * answer must not repeat it, and a relist must not forget a slice being written. */
bool main_view_slice_writing(const main_view *v, const char *ns, const char *name);
/* Claims the slice for a write: 0 claimed, 1 already being written, -1 when the name is
 * too long or memory runs out (nothing claimed). */
int main_view_slice_write_begin(main_view *v, const char *ns, const char *name);
/* Releases the claim (the write was answered, or never queued); unclaimed is fine. */
void main_view_slice_write_end(main_view *v, const char *ns, const char *name);

#endif
