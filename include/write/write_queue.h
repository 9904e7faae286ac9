/* wq: the main cluster's write queue: writes go out in order, at most WQ_MAX_IN_FLIGHT at a
 * time and only while this replica leads; each answer goes to one completion callback. */
#ifndef SVCLINK_WQ_H
#define SVCLINK_WQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kapi.h"
#include "smap.h"

#define WQ_MAX_IN_FLIGHT 8
#define WQ_KEY_MAX SMAP_KEY_MAX

/* What a write is for: the completion callback dispatches on it. */
typedef enum { WQ_SLICE, WQ_SERVICE, WQ_NAMESPACE, WQ_STATUS, WQ_FINALIZER, WQ_EVENT, WQ_SLICE_COLLECTION } wq_what;

typedef struct wq_op {
    struct wq_op *next;
    wq_what what;
    char method[8];
    char *path;               /* owned */
    char *body;               /* owned, may be NULL */
    size_t body_len;
    const char *ctype;        /* static string or NULL */
    char kind[24];
    char ns[64];
    char name[254];
    char key[WQ_KEY_MAX];     /* "ns/service" to reconcile again once answered; "" none */
    char link[254];           /* the link the write is made for (logs, status, finalizers) */
    uint64_t since_ms;        /* when the change behind it was seen (loop ms); 0: unknown */
} wq_op;

/* Called once per write with the server's answer (status 0: no answer). The op is freed
 * after the callback returns. */
typedef void (*wq_done_fn)(void *arg, const wq_op *op, const kapi_response *resp);

typedef struct wq_ctx wq_ctx;

typedef struct {
    kapi_client *api;         /* borrowed: the main cluster's client */
    wq_done_fn done;
    void *arg;
    bool leading;             /* only a leader sends; a follower keeps what is queued */
    int in_flight;
    size_t queued;            /* waiting in head..tail, not yet sent */
    uint64_t since_ms;        /* stamped on writes queued from now on (see wq_set_since) */
    wq_op *head, *tail;
    wq_ctx *sent;             /* writes in flight (owned: freed by wq_free if never answered) */
} wq;

/* One write to queue. Strings are copied; key, ns, name and link may be NULL. */
typedef struct {
    wq_what what;
    const char *method, *path, *ctype, *kind, *ns, *name, *key, *link;
} wq_request;

void wq_init(wq *q, kapi_client *api, wq_done_fn done, void *arg);
/* Drops what is queued and what is in flight; call it before the client is freed (the
 * client cancels in-flight requests without calling back). */
void wq_free(wq *q);
/* Queues a write and sends what may be sent. body is taken over (freed with the op, also
 * on failure). 0, or -1 when out of memory (nothing queued). */
int wq_write(wq *q, const wq_request *r, char *body, size_t body_len);
/* Leadership gained sends the queue; lost keeps it for nobody (the process exits). */
void wq_set_leading(wq *q, bool leading);
/* The propagation start stamped on writes queued until the next call (0: unknown). */
void wq_set_since(wq *q, uint64_t since_ms);
bool wq_idle(const wq *q);
/* Writes waiting to be sent (not counting those in flight). */
size_t wq_queued(const wq *q);

#endif
