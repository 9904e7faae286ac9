/* lview: the main cluster as svclink needs to see it: its Services (uid, whether svclink
 * created them) and the EndpointSlices svclink manages (its own and svclink (Go)'s),
 * indexed by Service. */
#ifndef SVCLINK_LVIEW_H
#define SVCLINK_LVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"
#include "smap.h"

#define LVIEW_CREATED_BY_LABEL "svclink.cloudpilot.ai/created-by"
/* On Services svclink created: the link and remote namespace it mirrors. */
#define LVIEW_SOURCE_CLUSTER_LABEL "svclink.cloudpilot.ai/source-cluster"
#define LVIEW_SOURCE_NAMESPACE_LABEL "svclink.cloudpilot.ai/source-namespace"
/* The vmware controller's marker, also set on Services svclink created. */
#define LVIEW_REPLICATED_LABEL "replicated"

typedef struct {
    char uid[64];
    char rv[32];
    bool created_by_us;     /* carries LVIEW_CREATED_BY_LABEL=svclink (and, with only_source
                               set, LVIEW_SOURCE_CLUSTER_LABEL=only_source) */
    bool unsyncable;        /* ExternalName: never gets slices */
    bool headless;          /* clusterIP None: slices get per-link hostnames */
    bool prefer_close;      /* spec.trafficDistribution PreferClose: remote endpoints are hinted
                               for SLICE_REMOTE_ZONE, so local ones are preferred */
    uint64_t ports_hash;    /* of spec.ports as svclink would write them */
    bool external;          /* type ExternalName */
    uint64_t external_hash; /* of spec.externalName; 0 when none */
    char source[64];        /* LVIEW_SOURCE_CLUSTER_LABEL, "" when absent */
    uint8_t mode;           /* svcmode of its mode annotation */
    bool has_selector;      /* spec.selector is a non-empty object */
    /* Owned, NULL unless needed: spec.selector as JSON text (kept only for a receiver or a
     * union Service, to stash it), and the stash annotation's value (kept whenever present). */
    char *selector;
    char *stash;
    size_t stash_len;
    uint32_t gen;
} lview_svc;

typedef struct lview_slice {
    struct lview_slice *next; /* in its Service's list */
    /* name points into strs, allocated with the struct; ns, service and link, which
     * repeat across thousands of slices, are interned (istr, one reference each owned). */
    const char *ns;
    const char *name;
    const char *service;
    const char *link;         /* link names are at most 63 characters (a label value) */
    char rv[32];
    uint64_t hash;            /* slice_observe's hash of what is there */
    uint32_t neps;
    uint32_t gen;
    bool pending;             /* a write of ours for it is in flight */
    bool foreign;             /* svclink (Go)'s layout (SLICE_CLASS_GO): hash is 0, and it
                               * goes once this link's own slices for the Service are written */
    char strs[];
} lview_slice;

typedef void (*lview_dirty_cb)(void *arg, const char *ns, const char *service);

typedef struct {
    smap svcs;       /* "ns/name" -> lview_svc* */
    smap slices;     /* "ns/name" -> lview_slice* */
    smap by_service; /* "ns/service" -> lview_slice* (list head) */
    smap unknown;    /* "ns/name" -> list generation: slices with our managed-by value in
                      * neither layout, remembered so each is logged once */
    uint32_t gen_svc, gen_slice;
    bool svcs_synced, slices_synced;
    lview_dirty_cb dirty;
    void *arg;
    /* NULL, or (svclink mirror) the one link whose created Services count as ours: a
     * Service another svclink created is then never patched or deleted. Borrowed. */
    const char *only_source;
} lview;

void lview_init(lview *v, lview_dirty_cb dirty, void *arg);
void lview_free(lview *v);

void lview_list_begin(lview *v, char kind);
void lview_list_end(lview *v, char kind);
void lview_upsert(lview *v, char kind, const json_doc *doc, int obj);
void lview_delete(lview *v, char kind, const json_doc *doc, int obj);

const lview_svc *lview_service(const lview *v, const char *ns, const char *name);
lview_slice *lview_slice_get(const lview *v, const char *ns, const char *name);
/* Marks every Service svclink created dirty (through the view's callback). */
void lview_mark_created(const lview *v);
/* The hash lview keeps of an externalName (0 for NULL), to compare with a remote's. */
uint64_t lview_external_hash(const char *external_name);
/* The first of the Service's managed slices (follow ->next). */
lview_slice *lview_slices_of(const lview *v, const char *ns, const char *service);
/* After a successful write of ours: record what the server returned (the object) or,
 * for a delete (doc NULL), forget the slice, without waiting for the watch. */
void lview_record_slice(lview *v, const char *ns, const char *name, const json_doc *doc, int obj);

#endif
