/* plan: the reconcile step as a pure function: from the links (mode, filters, remote cache)
 * and the local view of one Service, the writes that make the main cluster what it should be. */
#ifndef SVCLINK_RECONCILE_PLAN_H
#define SVCLINK_RECONCILE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/addrpol.h"
#include "spec/filter.h"
#include "spec/linkspec.h"
#include "cache/main_view.h"
#include "cache/ns_optout.h"
#include "cache/remote_cache.h"
#include "cache/slice.h"

/* How one link's slices of a Service are treated. */
typedef enum {
    PLAN_KEEP,   /* leave them exactly as they are (disabled, not yet synced, partitioned) */
    PLAN_MANAGE, /* make them equal to the remote view */
    PLAN_EMPTY   /* remove them (link deleted, or its endpoints went stale) */
} plan_mode;

/* One link as the reconcile step sees it; everything borrowed. */
typedef struct {
    const char *name;
    plan_mode mode;
    const filter_rules *rules;
    const remote_cache *cache;
    bool create_services;   /* create (and keep in line) missing local Services */
    const linkspec_nsmap *nsmap; /* remote -> local namespaces; NULL: names kept */
    const addrpol *policy;  /* endpoints it refuses are left out (plan_drop); NULL: none */
    const ns_optout *optout;         /* remote namespaces that opt out by label; NULL: none */
} plan_link;

typedef struct {
    const char *ns, *svc;       /* the local Service */
    const main_view *view;
    const plan_link *links;     /* every link known, sorted by name */
    size_t nlinks;
    bool links_known;           /* ClusterLinks are listed: a slice of an unknown link is an orphan */
} plan_input;

typedef enum {
    PLAN_WRITE_SLICE,   /* create (observed NULL) or update a slice to desc */
    PLAN_DELETE_SLICE,  /* delete observed */
    PLAN_CREATE_SERVICE,/* create the Namespace (if need be) and the Service from rsvc */
    PLAN_PATCH_SERVICE, /* bring a Service svclink created in line with rsvc (ports, externalName) */
    PLAN_DELETE_SERVICE,/* delete a Service svclink created (uid local->uid): nothing wants it,
                           or its type must change (it is made again on the next pass) */
    PLAN_STASH_SELECTOR,/* a receiver: move local->selector into the stash annotation */
    PLAN_RESTORE_SELECTOR,/* no longer a receiver: put local->stash back as spec.selector */
    PLAN_CLEAR_CONTROLLER_SLICES /* a held receiver: the built-in controller leaves its slices
                           when the selector goes; they are stale and must go (the engine
                           does it once per stash, not every pass) */
} plan_kind;

typedef struct {
    plan_kind kind;
    const char *link;        /* the link the write is made for */
    slice_desc desc;         /* PLAN_WRITE_SLICE; pointers into the plan_output */
    const main_view_slice *observed;   /* the slice as it is (NULL: create) */
    const remote_svc *rsvc;      /* PLAN_CREATE_SERVICE, PLAN_PATCH_SERVICE */
    const char *remote_ns;   /* the namespace rsvc lives in remotely */
    const main_view_svc *local;  /* PLAN_PATCH_SERVICE, PLAN_DELETE_SERVICE */
    char name[64];           /* storage for desc.name */
} plan_action;

/* Endpoints a link now contributes to this Service (for status counts); only for links in
 * PLAN_MANAGE (what it wants) or PLAN_EMPTY (0). */
typedef struct {
    const char *link;
    int64_t endpoints;
} plan_count;

/* An endpoint of a link that the address policy refused; the engine reports these (metric,
 * status message). One per remote endpoint: the same address in two remote slices twice. */
typedef struct {
    const char *link;
    uint8_t family;  /* 4 or 6 */
    uint8_t reason;  /* addrpol_reason */
    uint8_t addr[16];
} plan_drop;

typedef struct plan_sets plan_sets;

/* Owns its arrays and the endpoint pointer arrays the descs borrow (plan_output_free). */
typedef struct {
    plan_action *actions;
    size_t nactions, cap;
    plan_count *counts;
    size_t ncounts;
    plan_sets *sets;         /* one per link: the gathered endpoints the descs point into */
    size_t nsets;
    const char *ignored_link; /* a link whose differing externalName lost to the creator's, or NULL */
    plan_drop *drops;        /* refused by the address policy, links in order */
    size_t ndrops, dcap;
    /* Something about the Service's mode the operator must hear of (a static phrase, and
     * a detail such as why a stash is refused), or NULL. */
    const char *mode_note;
    char mode_detail[160];
} plan_output;

/* Computes what to write for in->ns/in->svc. Slices with a write in flight (pending) are
 * left alone. 0, or -1 when out of memory (out is then empty but must still be freed). */
int plan_service(const plan_input *in, plan_output *out);
void plan_output_free(plan_output *out);

/* The remote Service a link exports into local ns/svc, or NULL: the namespace does not map
 * there, the filters refuse it, or it is absent. *remote_ns is set to the
 * remote namespace when not NULL. */
const remote_group *plan_exported(const plan_link *lk, const char *ns, const char *svc, const char **remote_ns);
/* The local namespace a link writes a remote namespace into (NULL: not synced). */
const char *plan_local_ns(const plan_link *lk, const char *remote_ns);

#endif
