/* apply: runs a plan's actions as writes to the main cluster (one write per slice and per
 * Service at a time) and books their answers: the view, retries, propagation. */
#include "write/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"
#include "write/svc_write.h"

static void apply_requeue(apply_state *ap, const char *key)
{
    char ns[64];
    const char *svc;
    if (strmap_key_split(key, ns, &svc) == 0)
        ap->requeue(ap->arg, ns, svc);
}

void apply_init(apply_state *ap, loop *l, write_queue *writes, main_view *view,
                void (*requeue)(void *, const char *, const char *), void *arg)
{
    memset(ap, 0, sizeof *ap);
    ap->l = l;
    ap->writes = writes;
    ap->view = view;
    ap->requeue = requeue;
    ap->arg = arg;
    ap->steps = (apply_steps){.encode_slice = slice_desc_write, .enqueue = write_queue_write};
    strmap_init(&ap->pending_svc);
    strmap_init(&ap->retry);
    strmap_init(&ap->cleared);
    json_doc_init(&ap->scratch);
}

void apply_free(apply_state *ap)
{
    if (ap->retry_timer != 0)
        loop_timer_cancel(ap->l, ap->retry_timer);
    strmap_free(&ap->pending_svc);
    strmap_free(&ap->retry);
    strmap_free(&ap->cleared);
    json_doc_free(&ap->scratch);
}

size_t apply_retries(const apply_state *ap)
{
    return strmap_count(&ap->retry);
}

static void apply_on_retry(loop *l, void *arg)
{
    (void)l;
    apply_state *ap = arg;
    ap->retry_timer = 0;
    while (strmap_count(&ap->retry) > 0) {
        strmap_iter it = strmap_iter_start(&ap->retry);
        char key[WRITE_QUEUE_KEY_MAX];
        snprintf(key, sizeof key, "%s", it.e->key);
        strmap_del(&ap->retry, key);
        apply_requeue(ap, key);
    }
}

#define APPLY_RETRY_MIN_MS 500
#define APPLY_RETRY_MAX_MS 30000

/* A write the server refused (403, 422, 5xx, no answer), or one that could not even be
 * queued, is not tried again at once: that would be a tight loop. Its Service is tried
 * again after a delay that doubles while failures go on (0.5 s to 30 s) and resets after a
 * success. */
static void apply_retry_later(apply_state *ap, const char *key)
{
    if (key[0] == '\0')
        return;
    if (strmap_put(&ap->retry, key, (void *)1, NULL) != 0) {
        log_kv(LOG_ERROR, "cannot remember a Service to retry (out of memory); the next resync tries it", "service",
               key, NULL);
        return;
    }
    if (ap->retry_timer == 0) {
        ap->retry_ms = ap->retry_ms == 0 ? APPLY_RETRY_MIN_MS
                                         : (ap->retry_ms * 2 > APPLY_RETRY_MAX_MS ? APPLY_RETRY_MAX_MS : ap->retry_ms * 2);
        ap->retry_timer = loop_timer_add(ap->l, ap->retry_ms, apply_on_retry, ap);
    }
}

/* A write that never reached the queue: logged once with the object, retried later. */
static int apply_not_queued(apply_state *ap, const char *why, const char *kind, const char *ns, const char *name,
                            const char *key)
{
    log_kv(LOG_ERROR, why, "kind", kind, "ns", ns, "name", name, "service", key, NULL);
    apply_retry_later(ap, key);
    return -1;
}

/* Claims the slice, queues the request and releases the claim again if the queue refuses.
 * body is taken over. */
static int apply_queue_slice(apply_state *ap, const write_queue_request *r, char *body, size_t len)
{
    int claim = main_view_slice_write_begin(ap->view, r->ns, r->name);
    if (claim != 0) {
        free(body);
        /* Busy: the answer to the write in flight requeues the Service. */
        return claim > 0 ? 0
                         : apply_not_queued(ap, "cannot record the slice's write (name too long or out of memory)",
                                            r->kind, r->ns, r->name, r->key);
    }
    if (ap->steps.enqueue(ap->writes, r, body, len) != 0) {
        main_view_slice_write_end(ap->view, r->ns, r->name);
        return apply_not_queued(ap, "cannot queue the write (out of memory)", r->kind, r->ns, r->name, r->key);
    }
    return 0;
}

static int apply_write_slice(apply_state *ap, const plan_action *a, const char *key)
{
    const slice_desc *d = &a->desc;
    if (main_view_slice_writing(ap->view, d->ns, d->name))
        return 0;
    char *body = NULL;
    size_t len = 0;
    if (ap->steps.encode_slice(d, a->observed != NULL ? a->observed->rv : NULL, &body, &len) != 0)
        return apply_not_queued(ap, "cannot encode the EndpointSlice (out of memory)", "EndpointSlice", d->ns, d->name,
                                key);
    char path[600];
    if (a->observed == NULL)
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices", d->ns);
    else
        snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", d->ns, d->name);
    write_queue_request r = {.what = WRITE_QUEUE_SLICE, .method = a->observed == NULL ? "POST" : "PUT", .path = path,
                             .ctype = "application/json", .kind = "EndpointSlice", .ns = d->ns, .name = d->name,
                             .key = key, .link = d->link};
    return apply_queue_slice(ap, &r, body, len);
}

static int apply_delete_slice(apply_state *ap, const main_view_slice *s, const char *key)
{
    char path[600];
    snprintf(path, sizeof path, "/apis/discovery.k8s.io/v1/namespaces/%s/endpointslices/%s", s->ns, s->name);
    write_queue_request r = {.what = WRITE_QUEUE_SLICE, .method = "DELETE", .path = path, .kind = "EndpointSlice",
                             .ns = s->ns, .name = s->name, .key = key, .link = s->link};
    return apply_queue_slice(ap, &r, NULL, 0);
}

static void apply_slice_written(apply_state *ap, const write_queue_op *op, const apiclient_response *resp, bool ok)
{
    main_view_slice_write_end(ap->view, op->ns, op->name);
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

bool apply_written(apply_state *ap, const write_queue_op *op, const apiclient_response *resp)
{
    bool ok = resp->status >= 200 && resp->status < 300;
    bool refused = write_refusals_record(&ap->refusals, op->kind, op->method, op->ns, resp->status, resp->body,
                                         loop_now_ms());
    if (refused) {
        char labels[128];
        metrics_labels(labels, sizeof labels, "kind", op->kind, "verb", op->method, NULL);
        metrics_add(METRICS_WRITES_REFUSED, labels, 1);
    }
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
    /* Success or a delete of something gone: look again now. Anything else, a conflict too,
     * later: a newer object comes by watch and marks its Service dirty anyway, and a 409
     * looked at again at once repeats for as long as the view lags (a same-named slice the
     * watch cannot see got hundreds of POSTs a second under chaos). */
    bool again_now = ok || (resp->status == 404 && strcmp(op->method, "DELETE") == 0);
    if (ok && strmap_count(&ap->retry) == 0)
        ap->retry_ms = 0;
    if (again_now)
        apply_requeue(ap, op->key);
    else
        apply_retry_later(ap, op->key);
    return refused;
}

int apply_action(apply_state *ap, const plan_action *a, const char *ns, const char *svc, const char *key)
{
    if (a->kind == PLAN_WRITE_SLICE)
        return apply_write_slice(ap, a, key);
    if (a->kind == PLAN_DELETE_SLICE)
        return apply_delete_slice(ap, a->observed, key);
    svc_write_ctx c = {.writes = ap->writes, .enqueue = ap->steps.enqueue, .pending = &ap->pending_svc,
                       .cleared = &ap->cleared, .label_key = ap->label_key, .label_value = ap->label_value};
    if (svc_write_run(&c, a, ns, svc, key) != 0) {
        apply_retry_later(ap, key);
        return -1;
    }
    return 0;
}
