/* write_queue: the main cluster's write queue: writes go out in order, at most WRITE_QUEUE_MAX_IN_FLIGHT at a
 * time and only while this replica leads; each answer goes to one completion callback. */
#ifndef SVCLINK_WRITE_WRITE_QUEUE_H
#define SVCLINK_WRITE_WRITE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/apiclient.h"
#include "base/strmap.h"

#define WRITE_QUEUE_MAX_IN_FLIGHT 8
#define WRITE_QUEUE_KEY_MAX STRMAP_KEY_MAX

/* What a write is for: the completion callback dispatches on it. */
typedef enum { WRITE_QUEUE_SLICE, WRITE_QUEUE_SERVICE, WRITE_QUEUE_NAMESPACE, WRITE_QUEUE_STATUS, WRITE_QUEUE_FINALIZER, WRITE_QUEUE_EVENT, WRITE_QUEUE_SLICE_COLLECTION } write_queue_what;

typedef struct write_queue_op {
    struct write_queue_op *next;
    write_queue_what what;
    char method[8];
    char *path;               /* owned */
    char *body;               /* owned, may be NULL */
    size_t body_len;
    const char *ctype;        /* static string or NULL */
    char kind[24];
    char ns[64];
    char name[254];
    char key[WRITE_QUEUE_KEY_MAX];     /* "ns/service" to reconcile again once answered; "" none */
    char link[254];           /* the link the write is made for (logs, status, finalizers) */
    uint64_t since_ms;        /* when the change behind it was seen (loop ms); 0: unknown */
} write_queue_op;

/* Called once per write with the server's answer (status 0: no answer). The op is freed
 * after the callback returns. */
typedef void (*write_queue_done_fn)(void *arg, const write_queue_op *op, const apiclient_response *resp);

typedef struct write_queue_ctx write_queue_ctx;

typedef struct {
    apiclient_client *api;         /* borrowed: the main cluster's client */
    write_queue_done_fn done;
    void *arg;
    bool leading;             /* only a leader sends; a follower keeps what is queued */
    int in_flight;
    size_t queued;            /* waiting in head..tail, not yet sent */
    uint64_t since_ms;        /* stamped on writes queued from now on (see write_queue_set_since) */
    write_queue_op *head, *tail;
    write_queue_ctx *sent;             /* writes in flight (owned: freed by write_queue_free if never answered) */
} write_queue;

/* One write to queue. Strings are copied; key, ns, name and link may be NULL. */
typedef struct {
    write_queue_what what;
    const char *method, *path, *ctype, *kind, *ns, *name, *key, *link;
} write_queue_request;

void write_queue_init(write_queue *q, apiclient_client *api, write_queue_done_fn done, void *arg);
/* Drops what is queued and what is in flight; call it before the client is freed (the
 * client cancels in-flight requests without calling back). */
void write_queue_free(write_queue *q);
/* Queues a write and sends what may be sent. body is taken over (freed with the op, also
 * on failure). 0, or -1 when out of memory (nothing queued, nothing logged: the caller
 * knows what the write was for and logs it). */
int write_queue_write(write_queue *q, const write_queue_request *r, char *body, size_t body_len);
/* Leadership gained sends the queue; lost keeps it for nobody (the process exits). */
void write_queue_set_leading(write_queue *q, bool leading);
/* The propagation start stamped on writes queued until the next call (0: unknown). */
void write_queue_set_since(write_queue *q, uint64_t since_ms);
bool write_queue_idle(const write_queue *q);
/* Writes waiting to be sent (not counting those in flight). */
size_t write_queue_queued(const write_queue *q);

#endif
