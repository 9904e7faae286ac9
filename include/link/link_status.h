/* link_status: what svclink says about a ClusterLink: its health (Ready reason and message),
 * the status subresource it writes, the Events of each change, and the cleanup finalizer. */
#ifndef SVCLINK_LINK_LINK_STATUS_H
#define SVCLINK_LINK_LINK_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "json/json.h"
#include "reconcile/plan.h"

typedef struct cluster_link cluster_link;

/* Status writes of one link: a change of the Ready condition (status, reason, message),
 * the generation, remoteVersion or lastSyncTime is written at the next batch (300 ms);
 * a change of counts alone (syncedServices, syncedEndpoints, the address-policy note) at
 * most once per env->status_interval_ms, so a stream of endpoint changes costs one
 * EndpointSlice write each and not a status write each. */
typedef struct {
    uint64_t last_write_ms; /* loop ms of the last status PATCH sent; 0: none yet */
    bool urgent;            /* the health changed since that write */
    bool deferred;          /* status_timer waits for the end of the interval */
    uint64_t settling_since_ms; /* loop ms since counts wait for the engine's queue; 0: not */
} link_status_pace;

/* A ClusterLink's status as written or observed; plain values, nothing owned. */
typedef struct {
    bool ready;
    char reason[32];
    char message[1024]; /* the link's message, and the address-policy note when Ready */
    char transition[32];
    char remote_version[64];
    char last_sync[32];
    int64_t observed_generation;
    int64_t services, endpoints;
    bool present; /* the object had a status at all */
} link_status;

/* Sets the link's health; a change is logged, becomes an Event (unless the object already
 * says so), and schedules a status write. */
void link_status_set_health(cluster_link *lk, bool ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Status writes are batched: many counts change during one pass. */
void link_status_schedule(cluster_link *lk);
/* The status the link would write now. */
void link_status_build(const cluster_link *lk, link_status *st);
/* Reads status from a ClusterLink object (zeroed when it has none). */
void link_status_parse(link_status *st, const json_doc *doc, int obj);
/* Records that key ("ns/svc") now gets neps endpoints from the link. */
void link_status_count(cluster_link *lk, const char *key, int64_t neps);
/* Records what the address policy refused of key for this link (its drops among
 * drops[0..n)): new ones are counted in svclink_endpoints_dropped_total{link,reason}, and
 * the Ready message names them (first few, with a count). */
void link_status_drops(cluster_link *lk, const char *key, const plan_drop *drops, size_t n);
/* Adds (add) or removes the cleanup finalizer, keeping the others; a compare-and-swap on
 * the link's resourceVersion. */
void link_status_patch_finalizers(cluster_link *lk, bool add);
/* The answer to a status or finalizer write of this link. */
void link_status_written(cluster_link *lk, bool finalizer, bool ok);
/* Current time as RFC 3339 UTC. */
void link_status_now(char out[32]);

#endif
