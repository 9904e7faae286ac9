/* policy_watch: the main cluster's own addresses, watched, for the address policy: Service
 * CIDRs (ServiceCIDR objects, the kubernetes Service, --service-cidrs), nodes, API servers. */
#ifndef SVCLINK_RECONCILE_POLICY_WATCH_H
#define SVCLINK_RECONCILE_POLICY_WATCH_H

#include <stdbool.h>

#include "spec/addrpol.h"
#include "json/json.h"
#include "kube/apiclient.h"
#include "net/loop.h"
#include "kube/reflector.h"
#include "kubeconfig/url.h"

typedef struct policy_watch policy_watch;

/* Called (from the loop) when a deny set changed or the sources became ready: everything
 * must be planned again. */
typedef void (*policy_watch_changed_cb)(void *arg);

typedef struct {
    const addrpol_set *service_cidrs; /* --service-cidrs (borrowed; may be NULL) */
    const url_host *server;           /* the main API server as configured; an IP literal is denied */
    policy_watch_changed_cb changed;
    void *arg;
} policy_watch_config;

/* Watches Nodes, the `kubernetes` EndpointSlices in `default` and ServiceCIDRs
 * (networking.k8s.io/v1, else v1beta1; an API server serving neither, or refusing them,
 * leaves the kubernetes Service's ClusterIPs and --service-cidrs). Owned by the caller
 * (policy_watch_free); starts at policy_watch_start. NULL when out of memory. */
policy_watch *policy_watch_new(loop *l, apiclient_client *api, const policy_watch_config *cfg);
void policy_watch_start(policy_watch *pw);
void policy_watch_free(policy_watch *pw);

/* A Service seen by the engine's own Service reflector: only default/kubernetes is used
 * (its ClusterIPs are Service addresses even where no ServiceCIDR API exists). */
void policy_watch_service(policy_watch *pw, reflector_op op, const json_doc *doc, int obj);

/* True once Nodes and the API server slices are listed and ServiceCIDRs are listed or
 * known to be unavailable: before that, nothing may be written. */
bool policy_watch_ready(const policy_watch *pw);
/* True while a source the policy cannot do without (Nodes, the API server slices) has failed
 * before its first list, with why naming the resource, the status and what to grant. The
 * engine writes nothing meanwhile, so readiness must say so rather than answer 200. */
bool policy_watch_blocked(const policy_watch *pw, char *why, size_t len);
/* Fills p->deny with the current sets (borrowed from pw until the next change callback). */
void policy_watch_policy(const policy_watch *pw, addrpol *p);

#endif
