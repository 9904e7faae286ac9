/* remote_cache: what svclink knows of one remote cluster: its Services and EndpointSlices in
 * compact form, grouped by Service, fed by two reflectors and telling which Services changed. */
#ifndef SVCLINK_CACHE_REMOTE_CACHE_H
#define SVCLINK_CACHE_REMOTE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"
#include "cache/slice.h"
#include "cache/svc_ports.h"
#include "kube/kube_kind.h"
#include "base/strmap.h"

enum { REMOTE_HEADLESS = 1, REMOTE_EXTERNAL_NAME = 2 };

/* A remote Service: only what filtering and local Service creation need. */
typedef struct {
    uint8_t flags;          /* RC_* */
    uint8_t ip_family_policy; /* 0 unset, 1 SingleStack, 2 PreferDualStack, 3 RequireDualStack */
    uint8_t ip_families[2]; /* 4 or 6, 0 unset */
    uint8_t mode;           /* svc_mode of its mode annotation (only that is kept) */
    svc_port *ports;        /* owned (svc_ports_free) */
    uint16_t nports;
    char *external_name;    /* owned; spec.externalName of an ExternalName Service, else NULL */
    uint64_t hash;          /* of everything above, to see real changes */
    uint32_t gen;
} remote_svc;

typedef struct remote_slice remote_slice;

/* Everything about one Service name (namespace/name) in this cluster. */
typedef struct {
    const char *ns;         /* interned (intern), one reference owned: it repeats */
    const char *name;       /* points into strs, allocated with the group */
    remote_svc *svc;            /* NULL when the Service is not (or no longer) there */
    remote_slice *slices;       /* its EndpointSlices */
    uint32_t nslices;
    char strs[];
} remote_group;

struct remote_slice {
    remote_slice *next;         /* in its group */
    remote_group *group;
    uint64_t hash;          /* of the data, to ignore no-op updates */
    uint32_t gen;
    slice_data data;
};

/* Called for every Service whose view changed (a real change, not a repeat). */
typedef void (*remote_cache_dirty_cb)(void *arg, const char *ns, const char *name);

/* Budgets of one link's cache; 0 means none. A change that would take the cache over
 * one is refused (REMOTE_CACHE_OVER_BUDGET) and leaves the cache as it was. During a (re)list
 * only the objects restated by that list count, so a relist that replaces objects is
 * not refused for holding old and new ones until its end sweeps the old. */
typedef struct {
    uint64_t max_services;
    uint64_t max_endpoints;
} remote_cache_limits;

#define REMOTE_CACHE_OVER_BUDGET (-2)

typedef struct {
    strmap groups;            /* "ns/name" -> remote_group* */
    strmap slices;            /* "ns/slice" -> remote_slice* */
    uint32_t gen_svc, gen_slice;
    remote_cache_dirty_cb dirty;
    void *arg;
    uint64_t endpoints;     /* endpoints held, for accounting */
    uint64_t services;      /* Services held */
    remote_cache_limits limits;
    bool listing_svc, listing_eps;  /* between list_begin and list_end */
    uint64_t listed_svc, listed_eps; /* Services / endpoints restated by that list so far */
} remote_cache;

void remote_cache_init(remote_cache *c, remote_cache_dirty_cb dirty, void *arg);
void remote_cache_free(remote_cache *c);
/* Sets the budgets (the cache starts with none); applies to changes from now on. */
void remote_cache_set_limits(remote_cache *c, const remote_cache_limits *lim);

/* Reflector events for Services and EndpointSlices; any other kind is not kept here:
 * ignored, or refused by remote_cache_upsert. */
void remote_cache_list_begin(remote_cache *c, kube_kind kind);
void remote_cache_list_end(remote_cache *c, kube_kind kind);
/* Applies one object. 0; -1 when it could not be decoded; REMOTE_CACHE_OVER_BUDGET when it
 * would take the cache over a budget (err names the budget and the flag that raises it).
 * On failure nothing changed. */
int remote_cache_upsert(remote_cache *c, kube_kind kind, const json_doc *doc, int obj, char *err, size_t errlen);
void remote_cache_delete(remote_cache *c, kube_kind kind, const json_doc *doc, int obj);

const remote_group *remote_cache_group(const remote_cache *c, const char *ns, const char *name);

/* Heap bytes held, roughly, for the footprint figures. */
size_t remote_cache_bytes(const remote_cache *c);

#endif
