/* svc_write: turns a plan's Service actions into queued API writes: the bodies come from
 * svc_body, the one-at-a-time rule from the pending map, and clearing from the cleared map. */
#include "write/svc_write.h"

#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cache/slice.h"
#include "write/svc_body.h"

/* Deletes a Service svclink created, only that very object (uid precondition): one made
 * again meanwhile by someone else is left alone. */
static void svc_write_delete(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    char *body = svc_body_delete(a->local->uid, NULL);
    if (body == NULL)
        return;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    strmap_put(c->pending, key, (void *)1, NULL);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = "DELETE", .path = path, .ctype = "application/json",
                    .kind = "Service", .ns = ns, .name = svc, .key = key, .link = a->link};
    write_queue_write(c->writes, &r, body, strlen(body));
}

/* A receiver's selector into the stash, or back: a merge patch at the resourceVersion the
 * plan saw. Only ever on a Service whose mode asks for it (the plan decides). */
static void svc_write_selector(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    size_t len = 0;
    bool stash = a->kind == PLAN_STASH_SELECTOR;
    char *body = stash ? svc_body_selector_stash(a->local->rv, a->local->selector, &len)
                       : svc_body_selector_restore(a->local->rv, a->local->stash, a->local->stash_len, &len);
    if (body == NULL)
        return;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    strmap_put(c->pending, key, (void *)1, NULL);
    log_kv(LOG_INFO, stash ? "receiver: holding the selector off (stashed)" : "restoring the stashed selector", "ns",
           ns, "service", svc, NULL);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = "PATCH", .path = path, .ctype = "application/merge-patch+json",
                    .kind = "Service", .ns = ns, .name = svc, .key = key, .link = ""};
    write_queue_write(c->writes, &r, body, len);
}

/* The endpointslice controller leaves its slices when a selector goes: for a receiver whose
 * selector svclink holds off they are stale, so they are deleted, once per stash (and once
 * per process for one already stashed). Only slices the controller manages, of this Service. */
static void svc_write_clear_controller_slices(const svc_write_ctx *c, const char *ns, const char *svc, const char *key)
{
    if (strmap_get(c->cleared, key) != NULL || strmap_put(c->cleared, key, (void *)1, NULL) != 0)
        return;
    char path[800];
    snprintf(path, sizeof path,
             "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?labelSelector=" SLICE_LABEL_SERVICE
             "%%3D%s%%2C" SLICE_LABEL_MANAGED_BY "%%3Dendpointslice-controller.k8s.io",
             ns, svc);
    write_queue_request r = {.what = WRITE_QUEUE_SLICE_COLLECTION, .method = "DELETE", .path = path, .kind = "EndpointSlice",
                    .ns = ns, .name = "", .key = key, .link = ""};
    write_queue_write(c->writes, &r, NULL, 0);
}

/* Creates the Namespace (409 AlreadyExists is fine) and then the Service, patches one
 * svclink created, or deletes it. One Service write at a time per Service. */
void svc_write_run(const svc_write_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    if (strmap_get(c->pending, key) != NULL)
        return;
    if (a->kind == PLAN_DELETE_SERVICE) {
        svc_write_delete(c, a, ns, svc, key);
        return;
    }
    if (a->kind == PLAN_CLEAR_CONTROLLER_SLICES) {
        svc_write_clear_controller_slices(c, ns, svc, key);
        return;
    }
    if (a->kind == PLAN_RESTORE_SELECTOR)
        strmap_del(c->cleared, key); /* a later stash clears again */
    if (a->kind == PLAN_STASH_SELECTOR || a->kind == PLAN_RESTORE_SELECTOR) {
        svc_write_selector(c, a, ns, svc, key);
        return;
    }
    size_t len = 0;
    char path[600];
    if (a->kind == PLAN_CREATE_SERVICE) {
        char *nsbody = svc_body_namespace(ns, &len);
        if (nsbody == NULL)
            return;
        strmap_put(c->pending, key, (void *)1, NULL);
        write_queue_request nr = {.what = WRITE_QUEUE_NAMESPACE, .method = "POST", .path = "/api/v1/namespaces",
                         .ctype = "application/json", .kind = "Namespace", .name = ns, .link = a->link};
        write_queue_write(c->writes, &nr, nsbody, len);
    }
    bool patch = a->kind == PLAN_PATCH_SERVICE;
    svc_body_source src = {.link = a->link, .ns = a->remote_ns, .extra_key = c->label_key,
                          .extra_value = c->label_value};
    char *body = svc_body_service(ns, svc, a->rsvc, &src, patch, &len);
    if (body == NULL)
        return;
    strmap_put(c->pending, key, (void *)1, NULL);
    if (patch)
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    else
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
    write_queue_request r = {.what = WRITE_QUEUE_SERVICE, .method = patch ? "PATCH" : "POST", .path = path,
                    .ctype = patch ? "application/merge-patch+json" : "application/json", .kind = "Service",
                    .ns = ns, .name = svc, .key = key, .link = a->link};
    write_queue_write(c->writes, &r, body, len);
}

