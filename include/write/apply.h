/* apply: runs the actions of a plan as writes to the main cluster, one at a time per slice
 * and per Service, and books each answer (the local view, retries with backoff, metrics). */
#ifndef SVCLINK_WRITE_APPLY_H
#define SVCLINK_WRITE_APPLY_H

#include <stdint.h>

#include "json/json.h"
#include "net/loop.h"
#include "cache/main_view.h"
#include "reconcile/plan.h"
#include "base/strmap.h"
#include "write/write_queue.h"

typedef struct {
    loop *l;              /* borrowed */
    write_queue *writes;           /* borrowed: the main cluster's write queue */
    main_view *view;          /* borrowed: updated from our own answers without waiting for the watch */
    void (*requeue)(void *arg, const char *ns, const char *svc); /* reconcile ns/svc again */
    void *arg;
    strmap pending_svc;     /* "ns/svc" -> 1 while a Service or Namespace write is in flight */
    strmap inflight;        /* "ns/slice" -> 1 while a write of that slice is in flight */
    strmap retry;           /* "ns/svc" -> 1: a write for it failed; tried again by the retry timer */
    strmap cleared;         /* "ns/svc" -> 1 once a held receiver's controller slices were deleted */
    loop_timer_id retry_timer;
    uint64_t retry_ms;    /* the retry delay: doubles while writes keep failing */
    json_doc scratch;     /* owned: decodes answers */
    /* Borrowed, NULL or set after apply_init: one more label on the Services it creates
     * (svclink mirror's KEY=VALUE-external, see svc_body_source). */
    const char *label_key, *label_value;
} apply;

/* Everything is borrowed except the maps and scratch, which apply_free releases. */
void apply_init(apply *ap, loop *l, write_queue *writes, main_view *view, void (*requeue)(void *, const char *, const char *),
                void *arg);
void apply_free(apply *ap);
/* Queues the write for one action of the plan for ns/svc (key "ns/svc"); an action whose
 * object has a write in flight is skipped (its answer requeues the Service). */
void apply_action(apply *ap, const plan_action *a, const char *ns, const char *svc, const char *key);
/* The answer to a write: books it, and requeues the Service now (success, 409, a 404 on
 * delete) or after a delay (anything else). */
void apply_written(apply *ap, const write_queue_op *op, const apiclient_response *resp);

#endif
