/* linkspec: a ClusterLink object (JSON from the API server) decoded and validated into
 * plain C, so the engine never reads raw JSON and bad specs get a message naming the field. */
#ifndef SVCLINK_SPEC_LINKSPEC_H
#define SVCLINK_SPEC_LINKSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/addrpol.h"
#include "json/json.h"

#define LINKSPEC_FINALIZER "svclink.cloudpilot.ai/cleanup"
/* Where the ClusterLink objects live on the main cluster's API server. */
#define LINKSPEC_API_PATH "/apis/svclink.cloudpilot.ai/v1alpha1/clusterlinks"
#define LINKSPEC_DEFAULT_STALE_TIMEOUT_S 300u
#define LINKSPEC_MAX_STALE_TIMEOUT_S 86400u
#define LINKSPEC_DEFAULT_SECRET_KEY "kubeconfig"

/* Limits, the same in the CRD's OpenAPI schema (manifests/crds/): a spec outside them is
 * refused with a message, so memory per link stays bounded whatever etcd holds. */
#define LINKSPEC_MAX_LIST 1024u            /* entries in each of the four lists */
#define LINKSPEC_MAX_NAME 63u              /* metadata.name: it becomes a label value */
#define LINKSPEC_MAX_SUBDOMAIN 253u        /* kubeconfigSecretRef.name (a DNS subdomain) */
#define LINKSPEC_MAX_SECRET_KEY 253u       /* kubeconfigSecretRef.key */
#define LINKSPEC_MAX_KUBECONFIG_B64 1572864u /* spec.kubeconfig: etcd's default request limit */
#define LINKSPEC_MAX_UID 128u
#define LINKSPEC_MAX_RESOURCE_VERSION 64u
#define LINKSPEC_MAX_BUDGET 100000000u    /* spec.maxServices, spec.maxEndpoints */

/* Every pointer is owned by the struct (linkspec_free); lists are arrays of owned strings. */
typedef struct {
    char **items;
    size_t count;
} linkspec_list;

/* spec.namespaceMapping: remote namespace `from` is written into local namespace `to`. */
typedef struct {
    char *from, *to;
} linkspec_map_entry;

typedef struct {
    linkspec_map_entry *items;
    size_t count;
} linkspec_nsmap;

#define LINKSPEC_UNSET (-1)

typedef struct {
    /* metadata */
    char *name;             /* a DNS subdomain of at most LINKSPEC_MAX_NAME characters */
    char *uid;              /* "" when absent, never NULL */
    char *resource_version; /* "" when absent, never NULL */
    int64_t generation;
    bool deleting;       /* metadata.deletionTimestamp is set */
    bool has_finalizer;  /* LINKSPEC_FINALIZER is in metadata.finalizers */
    /* spec */
    bool enabled;        /* default true */
    char *kubeconfig_b64;           /* spec.kubeconfig, or NULL */
    bool has_secret_ref;
    char *secret_namespace, *secret_name, *secret_key; /* key defaults to "kubeconfig" */
    linkspec_list included_namespaces;
    linkspec_list excluded_namespaces;
    linkspec_list excluded_services;      /* "namespace/name" */
    linkspec_list excluded_service_names;
    uint32_t stale_timeout_s;             /* default LINKSPEC_DEFAULT_STALE_TIMEOUT_S */
    char *service_selector;   /* spec.serviceSelector as a labelSelector query; NULL: every Service */
    linkspec_nsmap namespace_mapping; /* no two entries share a from or a to; never kube-system */
    int create_services;      /* spec.createServices: 0, 1, or LINKSPEC_UNSET (the global flag decides) */
    addrpol_set allowed_cidrs;            /* spec.allowedCIDRs; empty: no allow-list */
    /* Cache budgets of this link (1..LINKSPEC_MAX_BUDGET); 0 when absent: the flags
     * --max-services-per-link / --max-endpoints-per-link apply. */
    uint64_t max_services, max_endpoints;
} linkspec;

/* The local namespace a remote namespace is written into: its `to` when mapped, itself when
 * not, and NULL when it is not mapped but another entry maps into its name (it would
 * collide with that entry, so it is not synced). */
const char *linkspec_local_ns(const linkspec_nsmap *m, const char *remote_ns);
/* The inverse: the remote namespace whose Services land in local_ns, or NULL. */
const char *linkspec_remote_ns(const linkspec_nsmap *m, const char *local_ns);

/* Decodes the ClusterLink at token obj of doc. Returns 0 and fills *out (caller frees with
 * linkspec_free), or -1 with *out zeroed and err naming the field and what is wrong, e.g.
 * `spec.excludedServices[2]: "foo" is not namespace/name`. metadata.name must be present;
 * exactly one of spec.kubeconfig and spec.kubeconfigSecretRef must be set. */
int linkspec_parse(const json_doc *doc, int obj, linkspec *out, char *err, size_t errlen);

/* Only the name is needed to clean up after a link whose spec no longer parses. Copies
 * metadata.name into buf; 0, or -1 when absent or too long. */
int linkspec_name(const json_doc *doc, int obj, char *buf, size_t buflen);

void linkspec_free(linkspec *s);

/* True when a and b have the same spec (everything under spec, order of list items
 * included), so a metadata-only change (status, resourceVersion) can be ignored. */
bool linkspec_same_spec(const linkspec *a, const linkspec *b);
/* True when both name the same included and excluded namespaces (what a link caches). */
bool linkspec_same_namespaces(const linkspec *a, const linkspec *b);

#endif
