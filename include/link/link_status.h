/* link_status: what svclink says about a ClusterLink: its health (Ready reason and message),
 * the status subresource it writes, the Events of each change, and the cleanup finalizer. */
#ifndef SVCLINK_LINK_LINK_STATUS_H
#define SVCLINK_LINK_LINK_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/strmap.h"
#include "json/json.h"
#include "net/loop.h"
#include "reconcile/plan.h"
#include "reconcile/policy_drops.h"
#include "spec/linkspec.h"
#include "write/write_queue.h"

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

/* What link_status needs to know of the ClusterLink it speaks for, asked from its owner
 * whenever it acts (a timer may fire after the spec changed). Strings are borrowed. */
typedef struct {
    const char *name;
    bool is_static;        /* no ClusterLink object: no status, finalizer or Events */
    bool have_spec;        /* the spec parsed (else only a SpecInvalid status is written) */
    bool deleting;         /* the object is being deleted: its status is left alone */
    const char *uid;       /* the object's, for Events; NULL: unknown */
    const char *resource_version;            /* for the finalizer's compare-and-swap */
    const linkspec_list *other_finalizers;   /* metadata.finalizers except ours */
    int64_t generation;    /* metadata.generation, even when the spec is refused */
} link_status_facts;

/* A link's health and the state of its status writes. Embedded in its owner (the
 * cluster_link), which calls link_status_init and link_status_free. */
typedef struct {
    /* Borrowed, set by link_status_init. */
    loop *l;
    write_queue *writes;     /* ->leading gates every write */
    const strmap *pending;   /* the engine's dirty Services, NULL: none kept */
    uint64_t status_interval_ms;
    void (*facts)(const void *owner, link_status_facts *out);
    const void *owner;
    /* Health. */
    char reason[32];
    char message[512];
    bool ready;
    bool ever_synced;
    char remote_version[64];
    char last_sync[32];
    /* Status writes. */
    link_status observed;       /* what the object says */
    link_status written;        /* what our last PATCH said (valid when status_written) */
    bool status_written;
    loop_timer_id status_timer;
    bool status_inflight;
    bool finalizer_inflight;
    link_status_pace pace;      /* when status may be written again */
    policy_drops drops;         /* what the address policy refused, per Service */
    strmap counts;              /* "ns/svc" -> endpoints written from this link (+1) */
    int64_t total_endpoints;
    uint64_t refused_event_ms;  /* loop ms of the last WriteRefused Event; 0: none */
} link_status_state;

void link_status_init(link_status_state *st, loop *l, write_queue *writes, const strmap *pending,
                      uint64_t status_interval_ms, void (*facts)(const void *owner, link_status_facts *out),
                      const void *owner);
/* Cancels the timer and releases the maps; safe on a zeroed state. */
void link_status_free(link_status_state *st);

/* Sets the link's health; a change is logged, becomes an Event (unless the object already
 * says so), and schedules a status write. */
void link_status_set_health(link_status_state *st, bool ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The main cluster refused a write made for this link (what: "create endpointslices in
 * namespace demo"): a Warning Event WriteRefused on the ClusterLink and a log line, at most
 * once per LINK_STATUS_REFUSED_EVENT_MS; /readyz says it meanwhile (write_refusals). */
#define LINK_STATUS_REFUSED_EVENT_MS 600000
void link_status_write_refused(link_status_state *st, const char *what);
/* Status writes are batched: many counts change during one pass. */
void link_status_schedule(link_status_state *st);
/* The status the link would write now. */
void link_status_build(const link_status_state *st, link_status *out);
/* Reads status from a ClusterLink object (zeroed when it has none). */
void link_status_parse(link_status *st, const json_doc *doc, int obj);
/* Records that key ("ns/svc") now gets neps endpoints from the link. */
void link_status_count(link_status_state *st, const char *key, int64_t neps);
/* Records what the address policy refused of key for this link (its drops among
 * drops[0..n)): new ones are counted in svclink_endpoints_dropped_total{link,reason}, and
 * the Ready message names them (first few, with a count). */
void link_status_drops(link_status_state *st, const char *key, const plan_drop *drops, size_t n);
/* Adds (add) or removes the cleanup finalizer, keeping the others; a compare-and-swap on
 * the link's resourceVersion. */
void link_status_patch_finalizers(link_status_state *st, bool add);
/* The answer to a status or finalizer write of this link. */
void link_status_written(link_status_state *st, bool finalizer, bool ok);
/* Current time as RFC 3339 UTC. */
void link_status_now(char out[32]);

#endif
