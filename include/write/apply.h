/* apply: runs the actions of a plan as writes to the main cluster, one at a time per slice
 * and per Service, and books each answer (the local view, retries with backoff, metrics). */
#ifndef SVCLINK_WRITE_APPLY_H
#define SVCLINK_WRITE_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "base/strmap.h"
#include "cache/main_view.h"
#include "cache/slice.h"
#include "json/json.h"
#include "net/loop.h"
#include "reconcile/plan.h"
#include "write/write_queue.h"
#include "write/write_refusals.h"

/* The two steps of a write that can fail before the server is asked: encoding the body and
 * queueing the request. The unit tests swap in failing ones; apply_init sets the real ones
 * (slice_desc_write and write_queue_write). */
typedef struct {
    int (*encode_slice)(const slice_desc *d, const char *rv, char **body, size_t *len);
    int (*enqueue)(write_queue *q, const write_queue_request *r, char *body, size_t body_len);
} apply_steps;

typedef struct {
    loop *l;              /* borrowed */
    write_queue *writes;  /* borrowed: the main cluster's write queue */
    main_view *view;      /* borrowed: updated from our own answers without waiting for the
                           * watch; it also holds which slices are being written */
    void (*requeue)(void *arg, const char *ns, const char *svc); /* reconcile ns/svc again */
    void *arg;
    strmap pending_svc;   /* "ns/svc" -> 1 while a Service or Namespace write is in flight */
    strmap retry;         /* "ns/svc" -> 1: a write for it failed; tried again by the retry timer */
    strmap cleared;       /* "ns/svc" -> 1 once a held receiver's controller slices were deleted */
    loop_timer_id retry_timer;
    uint64_t retry_ms;    /* the retry delay: doubles while writes keep failing */
    json_doc scratch;     /* owned: decodes answers */
    apply_steps steps;
    /* Borrowed, NULL or set after apply_init: one more label on the Services it creates
     * (svclink mirror's KEY=VALUE-external, see svc_body_source). */
    const char *label_key, *label_value;
    write_refusals refusals; /* which writes the main cluster refuses now (readiness) */
} apply_state;

/* Everything is borrowed except the maps and scratch, which apply_free releases. */
void apply_init(apply_state *ap, loop *l, write_queue *writes, main_view *view,
                void (*requeue)(void *, const char *, const char *), void *arg);
void apply_free(apply_state *ap);
/* Queues the write for one action of the plan for ns/svc (key "ns/svc"); an action whose
 * object has a write in flight is skipped (its answer requeues the Service). A write that
 * cannot be encoded or queued releases what it claimed, is logged once with the object's
 * name, and its Service is tried again with the retry backoff; -1 then, else 0. */
int apply_action(apply_state *ap, const plan_action *a, const char *ns, const char *svc, const char *key);
/* The answer to a write: books it, and requeues the Service now (success, 409, a 404 on
 * delete) or after a delay (anything else). True when it was a refusal (write_refusals). */
bool apply_written(apply_state *ap, const write_queue_op *op, const apiclient_response *resp);
/* Services waiting for the retry timer (tests and metrics). */
size_t apply_retries(const apply_state *ap);

#endif
