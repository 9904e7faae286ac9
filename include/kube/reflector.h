/* reflector: a list-then-watch reflector for one resource of one cluster: pages through a
 * LIST, watches from its resourceVersion, resumes, relists on 410, and backs off on failure. */
#ifndef SVCLINK_KUBE_REFLECTOR_H
#define SVCLINK_KUBE_REFLECTOR_H

#include <stdint.h>

#include "json/json.h"
#include "kube/apiclient.h"
#include "net/loop.h"

typedef struct reflector reflector;

typedef enum {
    REFLECTOR_CONNECTING = 0, /* no complete list yet */
    REFLECTOR_SYNCED,         /* the owner holds the full set and a watch brings every change
                                 (reported when the server accepts the watch; a list_only
                                 reflector: when its list is complete) */
    REFLECTOR_FAILING         /* the last attempt failed; retrying with backoff */
} reflector_state;

typedef enum { REFLECTOR_UPSERT, REFLECTOR_DELETE } reflector_op;

typedef struct {
    /* A (re)list starts: every live object will be restated by on_object(UPSERT). */
    void (*on_list_begin)(void *arg);
    /* An object was added or changed (UPSERT) or deleted (DELETE). doc and obj are valid
     * only during the call. It may call reflector_refuse to stop there. */
    void (*on_object)(void *arg, reflector_op op, const json_doc *doc, int obj);
    /* The list is complete: objects not restated since on_list_begin no longer exist. */
    void (*on_list_end)(void *arg);
    /* State changes; reason is "" when synced, else the error (cluster, verb, path, status,
     * server message); status is the HTTP status (0: transport failure). */
    void (*on_state)(void *arg, reflector_state state, int status, conn_error transport, const char *reason);
} reflector_handlers;

typedef struct {
    const char *path;           /* collection path, e.g. "/api/v1/services" */
    const char *label_selector; /* NULL: none; sent percent-encoded */
    const char *field_selector; /* NULL: none; sent percent-encoded */
    uint32_t page_limit;        /* LIST page size; 0: 500 */
    uint32_t watch_timeout_s;   /* server-side timeoutSeconds; 0: 60 (with jitter) */
    uint32_t backoff_max_ms;    /* 0: 30000 */
    bool list_only;             /* stop after one complete list (no watch) */
} reflector_config;

typedef struct {
    uint64_t lists;         /* LIST requests (pages) sent */
    uint64_t relists;       /* full relists after the first */
    uint64_t gone;          /* 410 Gone answers (HTTP or ERROR event) */
    uint64_t watches;       /* watch streams opened */
    uint64_t events;        /* watch events delivered */
    uint64_t failures;
} reflector_stats;

/* Strings in cfg are copied. The reflector starts on reflector_start. Caller owns it. */
reflector *reflector_new(loop *l, apiclient_client *api, const reflector_config *cfg, const reflector_handlers *h, void *arg);
void reflector_start(reflector *r);
/* Starts by watching from rv, as a restarted owner that kept its state would; an expired
 * rv answers 410 and leads to a full list. */
void reflector_start_from(reflector *r, const char *rv);
/* Stops everything; no callback runs after this. Not to be called from inside a callback
 * of this reflector (use a 0-delay timer). */
void reflector_free(reflector *r);
/* Drops the open watch and watches again from rv at once, as when the connection broke:
 * for an owner who learnt that a sibling's connection to the same server died, so this
 * one is suspect too. The state goes to CONNECTING without a callback; SYNCED (or
 * FAILING) follows. -1 (nothing done) when no watch is open. Not from inside this
 * reflector's own callbacks. */
int reflector_rewatch(reflector *r);
/* Only from inside on_object: stops at this object (over a budget, say). The list or
 * watch in progress is abandoned once on_object returns; on_list_end does not run for
 * it, so what the owner holds stays as it was; the reflector reports REFLECTOR_FAILING
 * (status 0, transport CONN_OK) with "cluster: VERB path: reason" and retries later with
 * backoff. reason is copied. */
void reflector_refuse(reflector *r, const char *reason);
reflector_state reflector_get_state(const reflector *r);
const char *reflector_resource_version(const reflector *r);
const reflector_stats *reflector_get_stats(const reflector *r);

#endif
