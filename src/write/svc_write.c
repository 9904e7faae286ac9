/* svcwrite: turns a plan's Service actions into queued API writes: the bodies come from
 * svcbody, the one-at-a-time rule from the pending map, and clearing from the cleared map. */
#include "svcwrite.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "slice.h"
#include "svcbody.h"

/* Deletes a Service svclink created, only that very object (uid precondition): one made
 * again meanwhile by someone else is left alone. */
static void svcwrite_delete(const svcwrite_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    char *body = svcbody_delete(a->local->uid, NULL);
    if (body == NULL)
        return;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    smap_put(c->pending, key, (void *)1, NULL);
    wq_request r = {.what = WQ_SERVICE, .method = "DELETE", .path = path, .ctype = "application/json",
                    .kind = "Service", .ns = ns, .name = svc, .key = key, .link = a->link};
    wq_write(c->writes, &r, body, strlen(body));
}

/* A receiver's selector into the stash, or back: a merge patch at the resourceVersion the
 * plan saw. Only ever on a Service whose mode asks for it (the plan decides). */
static void svcwrite_selector(const svcwrite_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    size_t len = 0;
    bool stash = a->kind == PLAN_STASH_SELECTOR;
    char *body = stash ? svcbody_selector_stash(a->local->rv, a->local->selector, &len)
                       : svcbody_selector_restore(a->local->rv, a->local->stash, a->local->stash_len, &len);
    if (body == NULL)
        return;
    char path[600];
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    smap_put(c->pending, key, (void *)1, NULL);
    log_kv(LOG_INFO, stash ? "receiver: holding the selector off (stashed)" : "restoring the stashed selector", "ns",
           ns, "service", svc, NULL);
    wq_request r = {.what = WQ_SERVICE, .method = "PATCH", .path = path, .ctype = "application/merge-patch+json",
                    .kind = "Service", .ns = ns, .name = svc, .key = key, .link = ""};
    wq_write(c->writes, &r, body, len);
}

/* The endpointslice controller leaves its slices when a selector goes: for a receiver whose
 * selector svclink holds off they are stale, so they are deleted, once per stash (and once
 * per process for one already stashed). Only slices the controller manages, of this Service. */
static void svcwrite_clear_controller_slices(const svcwrite_ctx *c, const char *ns, const char *svc, const char *key)
{
    if (smap_get(c->cleared, key) != NULL || smap_put(c->cleared, key, (void *)1, NULL) != 0)
        return;
    char path[800];
    snprintf(path, sizeof path,
             "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices?labelSelector=" SLICE_LABEL_SERVICE
             "%%3D%s%%2C" SLICE_LABEL_MANAGED_BY "%%3Dendpointslice-controller.k8s.io",
             ns, svc);
    wq_request r = {.what = WQ_SLICE_COLLECTION, .method = "DELETE", .path = path, .kind = "EndpointSlice",
                    .ns = ns, .name = "", .key = key, .link = ""};
    wq_write(c->writes, &r, NULL, 0);
}

/* Creates the Namespace (409 AlreadyExists is fine) and then the Service, patches one
 * svclink created, or deletes it. One Service write at a time per Service. */
void svcwrite_run(const svcwrite_ctx *c, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    if (smap_get(c->pending, key) != NULL)
        return;
    if (a->kind == PLAN_DELETE_SERVICE) {
        svcwrite_delete(c, a, ns, svc, key);
        return;
    }
    if (a->kind == PLAN_CLEAR_CONTROLLER_SLICES) {
        svcwrite_clear_controller_slices(c, ns, svc, key);
        return;
    }
    if (a->kind == PLAN_RESTORE_SELECTOR)
        smap_del(c->cleared, key); /* a later stash clears again */
    if (a->kind == PLAN_STASH_SELECTOR || a->kind == PLAN_RESTORE_SELECTOR) {
        svcwrite_selector(c, a, ns, svc, key);
        return;
    }
    size_t len = 0;
    char path[600];
    if (a->kind == PLAN_CREATE_SERVICE) {
        char *nsbody = svcbody_namespace(ns, &len);
        if (nsbody == NULL)
            return;
        smap_put(c->pending, key, (void *)1, NULL);
        wq_request nr = {.what = WQ_NAMESPACE, .method = "POST", .path = "/api/v1/namespaces",
                         .ctype = "application/json", .kind = "Namespace", .name = ns, .link = a->link};
        wq_write(c->writes, &nr, nsbody, len);
    }
    bool patch = a->kind == PLAN_PATCH_SERVICE;
    svcbody_source src = {.link = a->link, .ns = a->remote_ns, .extra_key = c->label_key,
                          .extra_value = c->label_value};
    char *body = svcbody_service(ns, svc, a->rsvc, &src, patch, &len);
    if (body == NULL)
        return;
    smap_put(c->pending, key, (void *)1, NULL);
    if (patch)
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services/%s", ns, svc);
    else
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/services", ns);
    wq_request r = {.what = WQ_SERVICE, .method = patch ? "PATCH" : "POST", .path = path,
                    .ctype = patch ? "application/merge-patch+json" : "application/json", .kind = "Service",
                    .ns = ns, .name = svc, .key = key, .link = a->link};
    wq_write(c->writes, &r, body, len);
}

