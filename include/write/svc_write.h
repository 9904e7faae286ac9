/* svc_write: the writes of a plan that are about a local Service rather than a slice:
 * create (with its Namespace), patch, delete, a receiver's selector stash and restore. */
#ifndef SVCLINK_WRITE_SVC_WRITE_H
#define SVCLINK_WRITE_SVC_WRITE_H

#include "reconcile/plan.h"
#include "base/strmap.h"
#include "write/write_queue.h"

/* Borrowed from the engine. */
typedef struct {
    write_queue *writes;
    /* write_queue_write, or a failing stand-in in the unit tests */
    int (*enqueue)(write_queue *q, const write_queue_request *r, char *body, size_t body_len);
    strmap *pending;  /* "ns/svc" -> 1 while a Service or Namespace write is in flight */
    strmap *cleared;  /* "ns/svc" -> 1 once a held receiver's controller slices were deleted */
    const char *label_key, *label_value; /* an extra label on created Services (svclink mirror), or NULL */
} svc_write_ctx;

/* Queues the write for action a (any kind but PLAN_WRITE_SLICE and PLAN_DELETE_SLICE) on
 * Service ns/svc; key ("ns/svc") is reconciled again when it is answered. One Service
 * write at a time per Service. 0 (queued, or skipped while one is in flight), or -1 when
 * the body could not be encoded or the queue refused it: logged, nothing left claimed. */
int svc_write_run(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key);

#endif
