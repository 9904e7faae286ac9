/* probe: the answers of the health, readiness, leader and metrics endpoints, computed from a
 * read-only view of the engine, so the HTTP listener never reaches into engine state. */
#ifndef SVCLINK_CONTROLLER_PROBE_H
#define SVCLINK_CONTROLLER_PROBE_H

#include <stdbool.h>

#include "net/httpd.h"
#include "controller/lease.h"
#include "base/strmap.h"

typedef struct {
    bool leading;
    const lease *lease;          /* NULL when leader election is off */
    bool links_synced, svcs_synced, slices_synced;
    const bool *main_failing;    /* [3]: ClusterLinks, Services, our EndpointSlices */
    const strmap *links;           /* name -> cluster_link* */
    const char *blocked;         /* NULL, or why nothing can be written (a safety input is missing) */
    /* svclink mirror: /leader answers k8s-svc-sync's text ("Leader: <identity>" or
     * "Follower") unless the request's Accept names application/json. */
    bool leader_text;
    const char *identity;        /* this replica's name when lease is NULL (election off) */
} probe_view;

/* Fills reply for req->path ("/healthz", "/livez", "/readyz", "/leader", "/metrics", else 404;
 * k8s-svc-sync's "/health" is /healthz, its "/ready" is /readyz and every link Ready). */
void probe_reply(const probe_view *v, const httpd_request *req, httpd_reply *reply);
/* Readiness: false with text (one line, newline-terminated) saying why: a main-cluster
 * resource not synced, or the reason nothing can be written. */
bool probe_ready(const probe_view *v, char *text, size_t len);

#endif
