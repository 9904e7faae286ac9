/* polwatch: the main cluster's own addresses, watched, for the address policy: Service
 * CIDRs (ServiceCIDR objects, the kubernetes Service, --service-cidrs), nodes, API servers. */
#ifndef SVCLINK_POLWATCH_H
#define SVCLINK_POLWATCH_H

#include <stdbool.h>

#include "addrpol.h"
#include "json.h"
#include "kapi.h"
#include "loop.h"
#include "refl.h"
#include "url.h"

typedef struct polwatch polwatch;

/* Called (from the loop) when a deny set changed or the sources became ready: everything
 * must be planned again. */
typedef void (*polwatch_changed_cb)(void *arg);

typedef struct {
    const addrpol_set *service_cidrs; /* --service-cidrs (borrowed; may be NULL) */
    const url_host *server;           /* the main API server as configured; an IP literal is denied */
    polwatch_changed_cb changed;
    void *arg;
} polwatch_config;

/* Watches Nodes, the `kubernetes` EndpointSlices in `default` and ServiceCIDRs
 * (networking.k8s.io/v1, else v1beta1; an API server serving neither, or refusing them,
 * leaves the kubernetes Service's ClusterIPs and --service-cidrs). Owned by the caller
 * (polwatch_free); starts at polwatch_start. NULL when out of memory. */
polwatch *polwatch_new(loop *l, kapi_client *api, const polwatch_config *cfg);
void polwatch_start(polwatch *pw);
void polwatch_free(polwatch *pw);

/* A Service seen by the engine's own Service reflector: only default/kubernetes is used
 * (its ClusterIPs are Service addresses even where no ServiceCIDR API exists). */
void polwatch_service(polwatch *pw, refl_op op, const json_doc *doc, int obj);

/* True once Nodes and the API server slices are listed and ServiceCIDRs are listed or
 * known to be unavailable: before that, nothing may be written. */
bool polwatch_ready(const polwatch *pw);
/* Fills p->deny with the current sets (borrowed from pw until the next change callback). */
void polwatch_policy(const polwatch *pw, addrpol *p);

#endif
