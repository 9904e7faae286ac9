/* clstatus: what svclink says about a ClusterLink: its health (Ready reason and message),
 * the status subresource it writes, the Events of each change, and the cleanup finalizer. */
#ifndef SVCLINK_CLSTATUS_H
#define SVCLINK_CLSTATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "json.h"

typedef struct clink clink;

/* A ClusterLink's status as written or observed; plain values, nothing owned. */
typedef struct {
    bool ready;
    char reason[32];
    char message[512];
    char transition[32];
    char remote_version[64];
    char last_sync[32];
    int64_t observed_generation;
    int64_t services, endpoints;
    bool present; /* the object had a status at all */
} clstatus;

/* Sets the link's health; a change is logged, becomes an Event (unless the object already
 * says so), and schedules a status write. */
void clstatus_set_health(clink *lk, bool ready, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Status writes are batched: many counts change during one pass. */
void clstatus_schedule(clink *lk);
/* The status the link would write now. */
void clstatus_build(const clink *lk, clstatus *st);
/* Reads status from a ClusterLink object (zeroed when it has none). */
void clstatus_parse(clstatus *st, const json_doc *doc, int obj);
/* Records that key ("ns/svc") now gets neps endpoints from the link. */
void clstatus_count(clink *lk, const char *key, int64_t neps);
/* Adds (add) or removes the cleanup finalizer, keeping the others; a compare-and-swap on
 * the link's resourceVersion. */
void clstatus_patch_finalizers(clink *lk, bool add);
/* The answer to a status or finalizer write of this link. */
void clstatus_written(clink *lk, bool finalizer, bool ok);
/* Current time as RFC 3339 UTC. */
void clstatus_now(char out[32]);

#endif
