/* apply: runs a plan's actions as writes to the main cluster (one write per slice and per
 * Service at a time) and books their answers: the view, retries, propagation. */
#include "write/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "write/svc_write.h"

static void apply_requeue(apply *ap, const char *key)
{
    char ns[64];
    const char *svc;
    if (strmap_key_split(key, ns, &svc) == 0)
        ap->requeue(ap->arg, ns, svc);
}

void apply_init(apply *ap, loop *l, write_queue *writes, main_view *view, void (*requeue)(void *, const char *, const char *),
                void *arg)
{
    memset(ap, 0, sizeof *ap);
    ap->l = l;
    ap->writes = writes;
    ap->view = view;
    ap->requeue = requeue;
    ap->arg = arg;
    strmap_init(&ap->pending_svc);
    strmap_init(&ap->inflight);
    strmap_init(&ap->retry);
    strmap_init(&ap->cleared);
    json_doc_init(&ap->scratch);
}

void apply_free(apply *ap)
{
    if (ap->retry_timer != 0)
        loop_timer_cancel(ap->l, ap->retry_timer);
    strmap_free(&ap->pending_svc);
    strmap_free(&ap->inflight);
    strmap_free(&ap->retry);
    strmap_free(&ap->cleared);
    json_doc_free(&ap->scratch);
}

/* One write per slice at a time: a second reconcile before the answer must not repeat it. */
static bool apply_slice_busy(apply *ap, const char *ns, const char *name, bool claim)
{
    char skey[WRITE_QUEUE_KEY_MAX];
    if (strmap_key(skey, ns, name) != 0)
        return true;
    if (strmap_get(&ap->inflight, skey) != NULL)
        return true;
    if (claim)
        strmap_put(&ap->inflight, skey, (void *)1, NULL);
    return false;
}

static void apply_write_slice(apply *ap, const plan_action *a, const char *key)
{
    const slice_desc *d = &a->desc;
    if (apply_slice_busy(ap, d->ns, d->name, true))
        return;
    char *body = NULL;
    size_t len = 0;
    if (slice_desc_write(d, a->observed != NULL ? a->observed->rv : NULL, &body, &len) != 0)
        return;
    char path[600];
    if (a->observed == NULL)
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", d->ns);
    else
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", d->ns, d->name);
    if (a->observed != NULL)
        a->observed->pending = true;
    write_queue_request r = {.what = WRITE_QUEUE_SLICE, .method = a->observed == NULL ? "POST" : "PUT", .path = path,
                    .ctype = "application/json", .kind = "EndpointSlice", .ns = d->ns, .name = d->name, .key = key,
                    .link = d->link};
    write_queue_write(ap->writes, &r, body, len);
}

static void apply_delete_slice(apply *ap, main_view_slice *s, const char *key)
{
    if (apply_slice_busy(ap, s->ns, s->name, true))
        return;
    char path[600];
    snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", s->ns, s->name);
    s->pending = true;
    write_queue_request r = {.what = WRITE_QUEUE_SLICE, .method = "DELETE", .path = path, .kind = "EndpointSlice", .ns = s->ns,
                    .name = s->name, .key = key, .link = s->link};
    write_queue_write(ap->writes, &r, NULL, 0);
}

static void apply_slice_written(apply *ap, const write_queue_op *op, const apiclient_response *resp, bool ok)
{
    char skey[WRITE_QUEUE_KEY_MAX];
    if (strmap_key(skey, op->ns, op->name) == 0)
        strmap_del(&ap->inflight, skey);
    main_view_slice *s = main_view_slice_get(ap->view, op->ns, op->name);
    if (s != NULL)
        s->pending = false;
    bool deleted = strcmp(op->method, "DELETE") == 0;
    if ((ok || resp->status == 404) && deleted) {
        main_view_record_slice(ap->view, op->ns, op->name, NULL, -1);
    } else if (ok) {
        char jerr[64];
        if (json_parse(&ap->scratch, resp->body, resp->body_len, jerr, sizeof jerr) == 0)
            main_view_record_slice(ap->view, op->ns, op->name, &ap->scratch, 0);
    }
    if (ok && op->since_ms != 0)
        metrics_observe(METRICS_PROPAGATION, "", (double)(loop_now_ms() - op->since_ms) / 1000.0);
}

#define APPLY_RETRY_MIN_MS 500
#define APPLY_RETRY_MAX_MS 30000

static void apply_on_retry(loop *l, void *arg)
{
    (void)l;
    apply *ap = arg;
    ap->retry_timer = 0;
    while (strmap_count(&ap->retry) > 0) {
        strmap_iter it = strmap_iter_start(&ap->retry);
        char key[WRITE_QUEUE_KEY_MAX];
        snprintf(key, sizeof key, "%s", it.e->key);
        strmap_del(&ap->retry, key);
        apply_requeue(ap, key);
    }
}

/* A write the server refused (403, 422, 5xx, no answer) is not resent at once: that would
 * be a tight loop against a server that says no. Its Service is tried again after a delay
 * that doubles while failures go on (0.5 s to 30 s) and resets after a success. */
static void apply_retry_later(apply *ap, const char *key)
{
    if (key[0] == '\0' || strmap_put(&ap->retry, key, (void *)1, NULL) != 0)
        return;
    if (ap->retry_timer == 0) {
        ap->retry_ms = ap->retry_ms == 0 ? APPLY_RETRY_MIN_MS
                                       : (ap->retry_ms * 2 > APPLY_RETRY_MAX_MS ? APPLY_RETRY_MAX_MS : ap->retry_ms * 2);
        ap->retry_timer = loop_timer_add(ap->l, ap->retry_ms, apply_on_retry, ap);
    }
}

void apply_written(apply *ap, const write_queue_op *op, const apiclient_response *resp)
{
    bool ok = resp->status >= 200 && resp->status < 300;
    if (op->what == WRITE_QUEUE_SLICE) {
        apply_slice_written(ap, op, resp, ok);
    } else if (op->what == WRITE_QUEUE_SERVICE || op->what == WRITE_QUEUE_NAMESPACE) {
        if (op->what == WRITE_QUEUE_SERVICE || !ok)
            strmap_del(&ap->pending_svc, op->key);
    } else if (op->what == WRITE_QUEUE_SLICE_COLLECTION && !ok) {
        strmap_del(&ap->cleared, op->key); /* tried again on the next pass */
    }
    if (!ok && !(resp->status == 409 && op->what == WRITE_QUEUE_NAMESPACE) &&
        !(resp->status == 404 && strcmp(op->method, "DELETE") == 0)) {
        /* 409 on a slice or Service: the watch brings the newer state, then we retry. */
        log_kv(resp->status == 409 ? LOG_INFO : LOG_WARN, "write failed", "verb", op->method, "kind", op->kind,
               "ns", op->ns, "name", op->name, "error", resp->error, NULL);
    }
    /* Success, a conflict (the watch brings the newer object) or a delete of something gone:
     * look again now. Anything else: later. */
    bool again_now = ok || resp->status == 409 || (resp->status == 404 && strcmp(op->method, "DELETE") == 0);
    if (ok && strmap_count(&ap->retry) == 0)
        ap->retry_ms = 0;
    if (again_now)
        apply_requeue(ap, op->key);
    else
        apply_retry_later(ap, op->key);
}

void apply_action(apply *ap, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    if (a->kind == PLAN_WRITE_SLICE)
        apply_write_slice(ap, a, key);
    else if (a->kind == PLAN_DELETE_SLICE)
        apply_delete_slice(ap, a->observed, key);
    else
        svc_write_run(&(svc_write_ctx){.writes = ap->writes, .pending = &ap->pending_svc, .cleared = &ap->cleared,
                                     .label_key = ap->label_key, .label_value = ap->label_value},
                     a, ns, svc, key);
}
