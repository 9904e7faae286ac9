/* cluster_link: one ClusterLink's life in svclink: its spec, its kubeconfig (inline or from a
 * Secret), the connection and reflectors to the remote, its cache, health and staleness. */
#ifndef SVCLINK_LINK_CLUSTER_LINK_H
#define SVCLINK_LINK_CLUSTER_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "link/link_secret.h"
#include "link/link_status.h"
#include "net/dns.h"
#include "reconcile/policy_drops.h"
#include "spec/filter.h"
#include "json/json.h"
#include "kubeconfig/kcfg.h"
#include "kube/cluster_client.h"
#include "spec/linkspec.h"
#include "net/loop.h"
#include "cache/ns_optout.h"
#include "cache/main_view.h"
#include "reconcile/plan.h"
#include "cache/remote_cache.h"
#include "kube/reflector.h"
#include "base/strmap.h"
#include "write/write_queue.h"

typedef struct cluster_link cluster_link;

/* What every link borrows from the engine that owns it. */
typedef struct {
    loop *l;
    dns_resolver *dns;
    apiclient_client *main_api;               /* the main cluster (Secrets are read there) */
    write_queue *writes;                          /* writes to the main cluster; ->leading gates them */
    main_view *view;                         /* the main cluster's Services and our slices */
    const linkspec_list *global_included; /* --included-namespaces */
    uint64_t status_interval_ms;         /* --status-interval (link_status_pace) */
    const linkspec_list *global_excluded; /* --excluded-namespaces */
    strmap *links;                         /* name -> cluster_link*, where links register themselves */
    void (*mark_dirty)(void *arg, const char *ns, const char *svc);
    void *arg;
    const strmap *pending;                 /* the engine's dirty Services, NULL: none kept */
    uint64_t max_services, max_endpoints; /* --max-*-per-link: a link's budgets unless its spec says */
} cluster_link_env;

/* One reflector of a link, so its callbacks know which link and which kind. */
typedef struct {
    cluster_link *lk;
    kube_kind kind; /* Services, EndpointSlices, or Namespaces (for the opt-outs) */
    reflector *r;
    bool synced;
    bool listing;
    bool over_budget; /* its cache refused an object: the failure is LimitExceeded */
} cluster_link_refl;

/* Owned by env->links (cluster_link_destroy frees it and unregisters it). */
struct cluster_link {
    const cluster_link_env *env;
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
    link_secret secret;        /* spec.kubeconfigSecretRef's watch */
    /* remote */
    kcfg_config kcfg;
    bool have_kcfg;
    cluster_client conn;
    bool connected;
    cluster_link_refl *refls;
    size_t nrefls;
    remote_cache cache;
    ns_optout optout;              /* remote namespaces labelled not to be synced */
    bool cache_ready;          /* every reflector has listed once since connecting */
    apiclient_req *version_req;
    filter_rules rules;
    /* health: how long it has failed, and whether its endpoints went stale */
    uint64_t failing_since;    /* loop ms; 0 when healthy */
    loop_timer_id stale_timer;
    bool stale;
    linkspec_list other_finalizers; /* metadata.finalizers except ours (owned) */
    link_status_state status;  /* its Ready condition, status writes, Events, finalizer */
};

/* A ClusterLink object seen (added or changed): creates the link when new, applies the
 * spec. Returns the link or NULL (no name, out of memory). */
cluster_link *cluster_link_upsert(const cluster_link_env *env, const json_doc *doc, int obj, uint32_t gen);
/* What a link that no ClusterLink describes is made from. kubeconfig text is copied. */
typedef struct {
    const char *kubeconfig;
    size_t kubeconfig_len;
    kcfg_trust trust;
    const char *context;   /* NULL: current-context */
    const char *base_dir;  /* NULL: none (untrusted) */
    bool no_namespace_optout; /* do not watch remote Namespaces for the opt-out labels */
} cluster_link_source;

/* Creates or updates the link `name` from spec (taken over; its name is set to name) and
 * src; reconnects only when the kubeconfig, context or spec changed. NULL when out of
 * memory, or when a ClusterLink of that name exists (it wins; logged). */
cluster_link *cluster_link_static_upsert(const cluster_link_env *env, const char *name, linkspec *spec, const cluster_link_source *src);
/* The static link goes: its slices are removed (mode EMPTY) and then it is destroyed by
 * cluster_link_release_if_clean. */
void cluster_link_static_remove(cluster_link *lk);
/* Disconnects, frees and unregisters the link. */
void cluster_link_destroy(cluster_link *lk);
/* How the reconcile step treats this link's slices now. */
plan_mode cluster_link_mode(const cluster_link *lk);
/* Every Service the link knows of, remotely or by a local slice, goes on the queue. */
void cluster_link_mark_all(cluster_link *lk);
/* A deleted link whose slices are all gone releases its finalizer; returns true when the
 * link is static and must now be destroyed by the caller. */
bool cluster_link_release_if_clean(cluster_link *lk);
/* Drops the link's metric series (its name may never come back). */
void cluster_link_forget_metrics(const char *name);

#endif
