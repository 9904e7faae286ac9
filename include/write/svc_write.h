/* svcwrite: the writes of a plan that are about a local Service rather than a slice:
 * create (with its Namespace), patch, delete, a receiver's selector stash and restore. */
#ifndef SVCLINK_SVCWRITE_H
#define SVCLINK_SVCWRITE_H

#include "plan.h"
#include "smap.h"
#include "wq.h"

/* Borrowed from the engine. */
typedef struct {
    wq *writes;
    smap *pending;  /* "ns/svc" -> 1 while a Service or Namespace write is in flight */
    smap *cleared;  /* "ns/svc" -> 1 once a held receiver's controller slices were deleted */
    const char *label_key, *label_value; /* an extra label on created Services (svclink mirror), or NULL */
} svcwrite_ctx;

/* Queues the write for action a (any kind but PLAN_WRITE_SLICE and PLAN_DELETE_SLICE) on
 * Service ns/svc; key ("ns/svc") is reconciled again when it is answered. One Service
 * write at a time per Service. */
void svcwrite_run(const svcwrite_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key);

#endif
