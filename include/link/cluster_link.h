/* clink: one ClusterLink's life in svclink: its spec, its kubeconfig (inline or from a
 * Secret), the connection and reflectors to the remote, its cache, health and staleness. */
#ifndef SVCLINK_CLINK_H
#define SVCLINK_CLINK_H

#include <stdbool.h>
#include <stdint.h>

#include "clstatus.h"
#include "dns.h"
#include "dropnote.h"
#include "filter.h"
#include "json.h"
#include "kcfg.h"
#include "kconn.h"
#include "linkspec.h"
#include "loop.h"
#include "nsopt.h"
#include "lview.h"
#include "plan.h"
#include "rcache.h"
#include "refl.h"
#include "smap.h"
#include "wq.h"

#define CLINK_API_PATH "/apis/svclink.cloudpilot.ai/v1alpha1/clusterlinks"

/* What every link borrows from the engine that owns it. */
typedef struct {
    loop *l;
    dns_resolver *dns;
    kapi_client *main_api;               /* the main cluster (Secrets are read there) */
    wq *writes;                          /* writes to the main cluster; ->leading gates them */
    lview *view;                         /* the main cluster's Services and our slices */
    const linkspec_list *global_included; /* --included-namespaces */
    uint64_t status_interval_ms;         /* --status-interval (clstatus_pace) */
    const linkspec_list *global_excluded; /* --excluded-namespaces */
    smap *links;                         /* name -> clink*, where links register themselves */
    void (*mark_dirty)(void *arg, const char *ns, const char *svc);
    void *arg;
    const smap *pending;                 /* the engine's dirty Services, NULL: none kept */
    uint64_t max_services, max_endpoints; /* --max-*-per-link: a link's budgets unless its spec says */
} clink_env;

/* One reflector of a link, so its callbacks know which link and which kind. */
typedef struct {
    clink *lk;
    char kind; /* 's' Services, 'e' EndpointSlices, 'n' Namespaces (for the opt-outs) */
    refl *r;
    bool synced;
    bool listing;
    bool over_budget; /* its cache refused an object: the failure is LimitExceeded */
} clink_refl;

/* Owned by env->links (clink_destroy frees it and unregisters it). */
struct clink {
    const clink_env *env;
    char *name;
    linkspec spec;
    bool have_spec;
    uint32_t gen;              /* the ClusterLink list generation it was last seen in */
    int64_t generation;        /* metadata.generation of the object, even when its spec is refused */
    /* A link no ClusterLink object describes (svclink mirror, --kubeconfig-dir): it has no
     * status subresource, finalizer or Events; its kubeconfig is given as text. */
    bool is_static;
    bool no_optout;            /* no Namespace opt-out watches (svclink mirror names its namespace) */
    char *static_text;         /* owned, wiped on free: the kubeconfig in use */
    size_t static_len;
    kcfg_trust trust;          /* how the kubeconfig is read (ClusterLinks: untrusted) */
    char *context;             /* owned or NULL: the kubeconfig context to use */
    char *base_dir;            /* owned or NULL: where relative file paths are resolved (trusted) */
    /* kubeconfig source */
    uint64_t kubeconfig_hash;  /* of the decoded text in use; 0: none */
    refl *secret_refl;
    char secret_target[600];   /* "ns/name/key" the secret reflector serves */
    bool secret_seen;
    /* remote */
    kcfg_config kcfg;
    bool have_kcfg;
    kconn conn;
    bool connected;
    clink_refl *refls;
    size_t nrefls;
    rcache cache;
    nsopt optout;              /* remote namespaces labelled not to be synced */
    bool cache_ready;          /* every reflector has listed once since connecting */
    kapi_req *version_req;
    filter_rules rules;
    /* health */
    char reason[32];
    char message[512];
    bool ready;
    uint64_t failing_since;    /* loop ms; 0 when healthy */
    loop_timer_id stale_timer;
    bool stale;
    bool ever_synced;
    char remote_version[64];
    char last_sync[32];
    /* status */
    clstatus observed;
    clstatus written;          /* what our last PATCH said (valid when status_written) */
    bool status_written;
    loop_timer_id status_timer;
    bool status_inflight;
    bool finalizer_inflight;
    clstatus_pace pace;        /* when status may be written again (clstatus) */
    dropnote drops;            /* what the address policy refused, per Service (clstatus) */
    smap counts;               /* "ns/svc" -> endpoints written from this link (+1) */
    linkspec_list other_finalizers; /* metadata.finalizers except ours (owned) */
    int64_t total_endpoints;
};

/* A ClusterLink object seen (added or changed): creates the link when new, applies the
 * spec. Returns the link or NULL (no name, out of memory). */
clink *clink_upsert(const clink_env *env, const json_doc *doc, int obj, uint32_t gen);
/* What a link that no ClusterLink describes is made from. kubeconfig text is copied. */
typedef struct {
    const char *kubeconfig;
    size_t kubeconfig_len;
    kcfg_trust trust;
    const char *context;   /* NULL: current-context */
    const char *base_dir;  /* NULL: none (untrusted) */
    bool no_namespace_optout; /* do not watch remote Namespaces for the opt-out labels */
} clink_source;

/* Creates or updates the link `name` from spec (taken over; its name is set to name) and
 * src; reconnects only when the kubeconfig, context or spec changed. NULL when out of
 * memory, or when a ClusterLink of that name exists (it wins; logged). */
clink *clink_static_upsert(const clink_env *env, const char *name, linkspec *spec, const clink_source *src);
/* The static link goes: its slices are removed (mode EMPTY) and then it is destroyed by
 * clink_release_if_clean. */
void clink_static_remove(clink *lk);
/* Disconnects, frees and unregisters the link. */
void clink_destroy(clink *lk);
/* How the reconcile step treats this link's slices now. */
plan_mode clink_mode(const clink *lk);
/* Every Service the link knows of, remotely or by a local slice, goes on the queue. */
void clink_mark_all(clink *lk);
/* A deleted link whose slices are all gone releases its finalizer; returns true when the
 * link is static and must now be destroyed by the caller. */
bool clink_release_if_clean(clink *lk);
/* Drops the link's metric series (its name may never come back). */
void clink_forget_metrics(const char *name);

#endif
