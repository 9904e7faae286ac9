/* refl: a list-then-watch reflector for one resource of one cluster: pages through a
 * LIST, watches from its resourceVersion, resumes, relists on 410, and backs off on failure. */
#ifndef SVCLINK_REFL_H
#define SVCLINK_REFL_H

#include <stdint.h>

#include "json.h"
#include "kapi.h"
#include "loop.h"

typedef struct refl refl;

typedef enum {
    REFL_CONNECTING = 0, /* no complete list yet */
    REFL_SYNCED,         /* the owner holds the full set and receives every change */
    REFL_FAILING         /* the last attempt failed; retrying with backoff */
} refl_state;

typedef enum { REFL_UPSERT, REFL_DELETE } refl_op;

typedef struct {
    /* A (re)list starts: every live object will be restated by on_object(UPSERT). */
    void (*on_list_begin)(void *arg);
    /* An object was added or changed (UPSERT) or deleted (DELETE). doc and obj are valid
     * only during the call. It may call refl_refuse to stop there. */
    void (*on_object)(void *arg, refl_op op, const json_doc *doc, int obj);
    /* The list is complete: objects not restated since on_list_begin no longer exist. */
    void (*on_list_end)(void *arg);
    /* State changes; reason is "" when synced, else the error (cluster, verb, path, status,
     * server message); status is the HTTP status (0: transport failure). */
    void (*on_state)(void *arg, refl_state state, int status, conn_error transport, const char *reason);
} refl_handlers;

typedef struct {
    const char *path;           /* collection path, e.g. "/api/v1/services" */
    const char *label_selector; /* NULL: none; sent percent-encoded */
    const char *field_selector; /* NULL: none; sent percent-encoded */
    uint32_t page_limit;        /* LIST page size; 0: 500 */
    uint32_t watch_timeout_s;   /* server-side timeoutSeconds; 0: 300 (with jitter) */
    uint32_t backoff_max_ms;    /* 0: 30000 */
    bool list_only;             /* stop after one complete list (no watch) */
} refl_config;

typedef struct {
    uint64_t lists;         /* LIST requests (pages) sent */
    uint64_t relists;       /* full relists after the first */
    uint64_t gone;          /* 410 Gone answers (HTTP or ERROR event) */
    uint64_t watches;       /* watch streams opened */
    uint64_t events;        /* watch events delivered */
    uint64_t failures;
} refl_stats;

/* Strings in cfg are copied. The reflector starts on refl_start. Caller owns it. */
refl *refl_new(loop *l, kapi_client *api, const refl_config *cfg, const refl_handlers *h, void *arg);
void refl_start(refl *r);
/* Starts by watching from rv, as a restarted owner that kept its state would; an expired
 * rv answers 410 and leads to a full list. */
void refl_start_from(refl *r, const char *rv);
/* Stops everything; no callback runs after this. Not to be called from inside a callback
 * of this reflector (use a 0-delay timer). */
void refl_free(refl *r);
/* Only from inside on_object: stops at this object (over a budget, say). The list or
 * watch in progress is abandoned once on_object returns; on_list_end does not run for
 * it, so what the owner holds stays as it was; the reflector reports REFL_FAILING
 * (status 0, transport CONN_OK) with "cluster: VERB path: reason" and retries later with
 * backoff. reason is copied. */
void refl_refuse(refl *r, const char *reason);
refl_state refl_get_state(const refl *r);
const char *refl_resource_version(const refl *r);
const refl_stats *refl_get_stats(const refl *r);

#endif
