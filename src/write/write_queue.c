/* write_queue: the main cluster's write queue: in order, a bounded number in flight, only while
 * leading; every write is logged as one "write" line (the tests count them) and counted. */
#include "write/write_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/metrics.h"

/* One write in flight; listed in its queue so that write_queue_free can free what the client never
 * answers (apiclient_free cancels requests without calling back, as on exit after a lost lease). */
struct write_queue_ctx {
    write_queue *q;
    write_queue_op *op;
    write_queue_ctx *prev, *next;
};

static void write_queue_unlist(write_queue *q, write_queue_ctx *ctx)
{
    if (ctx->prev != NULL)
        ctx->prev->next = ctx->next;
    else
        q->sent = ctx->next;
    if (ctx->next != NULL)
        ctx->next->prev = ctx->prev;
}

static void write_queue_op_free(write_queue_op *op)
{
    free(op->path);
    free(op->body);
    free(op);
}

static void write_queue_pump(write_queue *q);

static void write_queue_on_answer(void *arg, const apiclient_response *resp)
{
    write_queue_ctx *ctx = arg;
    write_queue *q = ctx->q;
    write_queue_op *op = ctx->op;
    write_queue_unlist(q, ctx);
    free(ctx);
    q->in_flight--;
    char labels[128];
    metrics_labels(labels, sizeof labels, "kind", op->kind, "verb", op->method, NULL);
    metrics_add(METRICS_WRITES, labels, 1);
    q->done(q->arg, op, resp);
    write_queue_op_free(op);
    write_queue_pump(q);
}

static void write_queue_send(write_queue *q, write_queue_op *op)
{
    write_queue_ctx *ctx = malloc(sizeof *ctx);
    if (ctx == NULL) {
        apiclient_response fail = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        q->done(q->arg, op, &fail);
        write_queue_op_free(op);
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
    if (apiclient_request(q->api, op->method, op->path, op->ctype, op->body, op->body_len, write_queue_on_answer, ctx) == NULL) {
        apiclient_response fail = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        write_queue_on_answer(ctx, &fail);
    }
}

static void write_queue_pump(write_queue *q)
{
    /* A replica that does not lead sends nothing, whatever was queued before. */
    while (q->leading && q->in_flight < WRITE_QUEUE_MAX_IN_FLIGHT && q->head != NULL) {
        write_queue_op *op = q->head;
        q->head = op->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->queued--;
        write_queue_send(q, op);
    }
}

void write_queue_init(write_queue *q, apiclient_client *api, write_queue_done_fn done, void *arg)
{
    memset(q, 0, sizeof *q);
    q->api = api;
    q->done = done;
    q->arg = arg;
}

void write_queue_free(write_queue *q)
{
    while (q->head != NULL) {
        write_queue_op *op = q->head;
        q->head = op->next;
        write_queue_op_free(op);
    }
    q->tail = NULL;
    while (q->sent != NULL) {
        write_queue_ctx *ctx = q->sent;
        q->sent = ctx->next;
        write_queue_op_free(ctx->op);
        free(ctx);
    }
    q->in_flight = 0;
    q->queued = 0;
}

static void write_queue_copy(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src != NULL ? src : "");
}

int write_queue_write(write_queue *q, const write_queue_request *r, char *body, size_t body_len)
{
    write_queue_op *op = calloc(1, sizeof *op);
    char *path = strdup(r->path);
    if (op == NULL || path == NULL) {
        free(op);
        free(path);
        free(body);
        return -1; /* the caller logs it, with what it was for */
    }
    op->what = r->what;
    write_queue_copy(op->method, sizeof op->method, r->method);
    op->path = path;
    op->body = body;
    op->body_len = body_len;
    op->ctype = r->ctype;
    write_queue_copy(op->kind, sizeof op->kind, r->kind);
    write_queue_copy(op->ns, sizeof op->ns, r->ns);
    write_queue_copy(op->name, sizeof op->name, r->name);
    write_queue_copy(op->key, sizeof op->key, r->key);
    write_queue_copy(op->link, sizeof op->link, r->link);
    op->since_ms = q->since_ms;
    if (q->tail != NULL)
        q->tail->next = op;
    else
        q->head = op;
    q->tail = op;
    q->queued++;
    write_queue_pump(q);
    return 0;
}

void write_queue_set_leading(write_queue *q, bool leading)
{
    q->leading = leading;
    write_queue_pump(q);
}

void write_queue_set_since(write_queue *q, uint64_t since_ms)
{
    q->since_ms = since_ms;
}

bool write_queue_idle(const write_queue *q)
{
    return q->in_flight == 0;
}

size_t write_queue_queued(const write_queue *q)
{
    return q->queued;
}
