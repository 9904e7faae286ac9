/* wq: the main cluster's write queue: in order, a bounded number in flight, only while
 * leading; every write is logged as one "write" line (the tests count them) and counted. */
#include "wq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

/* One write in flight; listed in its queue so that wq_free can free what the client never
 * answers (kapi_free cancels requests without calling back, as on exit after a lost lease). */
struct wq_ctx {
    wq *q;
    wq_op *op;
    wq_ctx *prev, *next;
};

static void wq_unlist(wq *q, wq_ctx *ctx)
{
    if (ctx->prev != NULL)
        ctx->prev->next = ctx->next;
    else
        q->sent = ctx->next;
    if (ctx->next != NULL)
        ctx->next->prev = ctx->prev;
}

static void wq_op_free(wq_op *op)
{
    free(op->path);
    free(op->body);
    free(op);
}

static void wq_pump(wq *q);

static void wq_on_answer(void *arg, const kapi_response *resp)
{
    wq_ctx *ctx = arg;
    wq *q = ctx->q;
    wq_op *op = ctx->op;
    wq_unlist(q, ctx);
    free(ctx);
    q->in_flight--;
    char labels[128];
    metrics_labels(labels, sizeof labels, "kind", op->kind, "verb", op->method, NULL);
    metrics_add(METRICS_WRITES, labels, 1);
    q->done(q->arg, op, resp);
    wq_op_free(op);
    wq_pump(q);
}

static void wq_send(wq *q, wq_op *op)
{
    wq_ctx *ctx = malloc(sizeof *ctx);
    if (ctx == NULL) {
        kapi_response fail = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        q->done(q->arg, op, &fail);
        wq_op_free(op);
        return;
    }
    ctx->q = q;
    ctx->op = op;
    ctx->prev = NULL;
    ctx->next = q->sent;
    if (q->sent != NULL)
        q->sent->prev = ctx;
    q->sent = ctx;
    q->in_flight++;
    /* key is "ns/service" for writes made for a Service; "" for link status and Events. */
    const char *slash = strchr(op->key, '/');
    log_kv(LOG_INFO, "write", "verb", op->method, "kind", op->kind, "ns", op->ns, "name", op->name, "service",
           slash != NULL ? slash + 1 : "", "link", op->link, NULL);
    if (kapi_request(q->api, op->method, op->path, op->ctype, op->body, op->body_len, wq_on_answer, ctx) == NULL) {
        kapi_response fail = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        wq_on_answer(ctx, &fail);
    }
}

static void wq_pump(wq *q)
{
    /* A replica that does not lead sends nothing, whatever was queued before. */
    while (q->leading && q->in_flight < WQ_MAX_IN_FLIGHT && q->head != NULL) {
        wq_op *op = q->head;
        q->head = op->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->queued--;
        wq_send(q, op);
    }
}

void wq_init(wq *q, kapi_client *api, wq_done_fn done, void *arg)
{
    memset(q, 0, sizeof *q);
    q->api = api;
    q->done = done;
    q->arg = arg;
}

void wq_free(wq *q)
{
    while (q->head != NULL) {
        wq_op *op = q->head;
        q->head = op->next;
        wq_op_free(op);
    }
    q->tail = NULL;
    while (q->sent != NULL) {
        wq_ctx *ctx = q->sent;
        q->sent = ctx->next;
        wq_op_free(ctx->op);
        free(ctx);
    }
    q->in_flight = 0;
    q->queued = 0;
}

static void wq_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

int wq_write(wq *q, const wq_request *r, char *body, size_t body_len)
{
    wq_op *op = calloc(1, sizeof *op);
    char *path = strdup(r->path);
    if (op == NULL || path == NULL) {
        free(op);
        free(path);
        free(body);
        log_kv(LOG_ERROR, "out of memory queueing a write", "kind", r->kind, "name", r->name, NULL);
        return -1;
    }
    op->what = r->what;
    wq_copy(op->method, sizeof op->method, r->method);
    op->path = path;
    op->body = body;
    op->body_len = body_len;
    op->ctype = r->ctype;
    wq_copy(op->kind, sizeof op->kind, r->kind);
    wq_copy(op->ns, sizeof op->ns, r->ns);
    wq_copy(op->name, sizeof op->name, r->name);
    wq_copy(op->key, sizeof op->key, r->key);
    wq_copy(op->link, sizeof op->link, r->link);
    op->since_ms = q->since_ms;
    if (q->tail != NULL)
        q->tail->next = op;
    else
        q->head = op;
    q->tail = op;
    q->queued++;
    wq_pump(q);
    return 0;
}

void wq_set_leading(wq *q, bool leading)
{
    q->leading = leading;
    wq_pump(q);
}

void wq_set_since(wq *q, uint64_t since_ms)
{
    q->since_ms = since_ms;
}

bool wq_idle(const wq *q)
{
    return q->in_flight == 0;
}

size_t wq_queued(const wq *q)
{
    return q->queued;
}
