/* svc_write: turns a plan's Service actions into queued API writes: the bodies come from
 * svc_body, the one-at-a-time rule from the pending map, and clearing from the cleared map. */
#include "write/svc_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cache/slice.h"
#include "write/svc_body.h"

/* Logs a write that never reached the queue, once, with the object it was for. */
static int svc_write_failed(const char *why, const char *kind, const char *ns, const char *name)
{
    log_kv(LOG_ERROR, why, "kind", kind, "ns", ns, "name", name, NULL);
    return -1;
}

/* Queues r with body (taken over). With pending_key set, the Service's one-at-a-time slot
 * is claimed first and released again when the queue refuses. 0, or -1 logged. */
static int svc_write_queue(const svc_write_ctx *c, const write_queue_request *r, char *body, size_t len,
                           const char *pending_key)
{
    if (pending_key != NULL && strmap_put(c->pending, pending_key, (void *)1, NULL) != 0) {
        free(body);
        return svc_write_failed("cannot record the write (out of memory)", r->kind, r->ns, r->name);
    }
    if (c->enqueue(c->writes, r, body, len) != 0) {
        if (pending_key != NULL)
            strmap_del(c->pending, pending_key);
        return svc_write_failed("cannot queue the write (out of memory)", r->kind, r->ns, r->name);
    }
    return 0;
}

/* Deletes a Service svclink created, only that very object (uid precondition): one made
 * again meanwhile by someone else is left alone. */
static int svc_write_delete(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc,
                            const char *key)
{
    char *body = svc_body_delete(a->local->uid, NULL);
    if (body == NULL)
        return svc_write_failed("cannot encode the delete options (out of memory)", "Service", ns, svc);
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = "DELETE", .path = path, .ctype = "application/json",
                             .kind = "Service", .ns = ns, .name = svc, .key = key, .link = a->link};
    return svc_write_queue(c, &r, body, strlen(body), key);
}

/* A receiver's selector into the stash, or back: a merge patch at the resourceVersion the
 * plan saw. Only ever on a Service whose mode asks for it (the plan decides). */
static int svc_write_selector(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc,
                              const char *key)
{
    size_t len = 0;
    bool stash = a->kind == PLAN_STASH_SELECTOR;
    char *body = stash ? svc_body_selector_stash(a->local->rv, a->local->selector, &len)
                       : svc_body_selector_restore(a->local->rv, a->local->stash, a->local->stash_len, &len);
    if (body == NULL)
        return svc_write_failed("cannot encode the selector patch (out of memory or a bad stash)", "Service", ns, svc);
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    log_kv(LOG_INFO, stash ? "receiver: holding the selector off (stashed)" : "restoring the stashed selector", "ns",
           ns, "service", svc, NULL);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = "PATCH", .path = path,
                             .ctype = "application/merge-patch+json", .kind = "Service", .ns = ns, .name = svc,
                             .key = key, .link = ""};
    return svc_write_queue(c, &r, body, len, key);
}

/* The endpointslice controller leaves its slices when a selector goes: for a receiver whose
 * selector svclink holds off they are stale, so they are deleted, once per stash (and once
 * per process for one already stashed). Only slices the controller manages, of this Service. */
static int svc_write_clear_controller_slices(const svc_write_ctx *c, const char *ns, const char *svc, const char *key)
{
    if (strmap_get(c->cleared, key) != NULL)
        return 0;
    if (strmap_put(c->cleared, key, (void *)1, NULL) != 0)
        return svc_write_failed("cannot record the clearing (out of memory)", "EndpointSlice", ns, svc);
    char path[800];
    snprintf(path, sizeof path,
             "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?labelSelector=" SLICE_LABEL_SERVICE
             "%%3D%s%%2C" SLICE_LABEL_MANAGED_BY "%%3Dendpointslice-controller.k8s.io",
             ns, svc);
    write_queue_request r = {.what = WRITE_QUEUE_SLICE_COLLECTION, .method = "DELETE", .path = path,
                             .kind = "EndpointSlice", .ns = ns, .name = "", .key = key, .link = ""};
    if (svc_write_queue(c, &r, NULL, 0, NULL) != 0) {
        strmap_del(c->cleared, key); /* not sent: the next pass clears again */
        return -1;
    }
    return 0;
}

/* Creates the Namespace (409 AlreadyExists is fine) and then the Service, or patches one
 * svclink created. */
static int svc_write_service(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc,
                             const char *key)
{
    size_t len = 0;
    if (a->kind == PLAN_CREATE_SERVICE) {
        char *nsbody = svc_body_namespace(ns, &len);
        if (nsbody == NULL)
            return svc_write_failed("cannot encode the Namespace (out of memory)", "Namespace", "", ns);
        write_queue_request nr = {.what = WRITE_QUEUE_NAMESPACE, .method = "POST", .path = "/api/v1/namespaces",
                                  .ctype = "application/json", .kind = "Namespace", .name = ns, .link = a->link};
        if (svc_write_queue(c, &nr, nsbody, len, NULL) != 0)
            return -1;
    }
    bool patch = a->kind == PLAN_PATCH_SERVICE;
    svc_body_source src = {.link = a->link, .ns = a->remote_ns, .extra_key = c->label_key,
                           .extra_value = c->label_value};
    char *body = svc_body_service(ns, svc, a->rsvc, &src, patch, &len);
    if (body == NULL)
        return svc_write_failed("cannot encode the Service (out of memory)", "Service", ns, svc);
    char path[600];
    if (patch)
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    else
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = patch ? "PATCH" : "POST", .path = path,
                             .ctype = patch ? "application/merge-patch+json" : "application/json", .kind = "Service",
                             .ns = ns, .name = svc, .key = key, .link = a->link};
    return svc_write_queue(c, &r, body, len, key);
}

int svc_write_run(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    if (strmap_get(c->pending, key) != NULL)
        return 0; /* the answer to the write in flight requeues the Service */
    switch (a->kind) {
    case PLAN_DELETE_SERVICE:
        return svc_write_delete(c, a, ns, svc, key);
    case PLAN_CLEAR_CONTROLLER_SLICES:
        return svc_write_clear_controller_slices(c, ns, svc, key);
    case PLAN_RESTORE_SELECTOR:
        strmap_del(c->cleared, key); /* a later stash clears again */
        return svc_write_selector(c, a, ns, svc, key);
    case PLAN_STASH_SELECTOR:
        return svc_write_selector(c, a, ns, svc, key);
    case PLAN_CREATE_SERVICE:
    case PLAN_PATCH_SERVICE:
        return svc_write_service(c, a, ns, svc, key);
    case PLAN_WRITE_SLICE:
    case PLAN_DELETE_SLICE:
        break;
    }
    return svc_write_failed("not a Service action (a slice action reached svc_write)", "Service", ns, svc);
}
