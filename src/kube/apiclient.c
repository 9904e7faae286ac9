/* kapi: the request layer of the API client. A request borrows an idle keep-alive
 * connection or opens one, writes its head, parses the response with http, and frees or
 * returns the connection; a stream splits its body into lines as they arrive. */
#include "kapi.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hbody.h"
#include "hbuf.h"
#include "hreq.h"
#include "http.h"
#include "json.h"
#include "metrics.h"
#include "txt.h"
#include "version.h"

/* A one-shot answer is one object (the API server stores at most about 1.5 MiB each);
 * lists go through kapi_get_body and are framed as they arrive, never held whole. */
#define KAPI_BODY_MAX ((uint64_t)4 * 1024 * 1024)
/* Error answers carry a metav1.Status: a few hundred bytes. */
#define KAPI_ERROR_BODY_MAX ((uint64_t)64 * 1024)
/* A line buffer grown for one large event is released after it. */
#define KAPI_LINE_KEEP ((size_t)64 * 1024)
#define KAPI_MAX_IDLE_CONNS 2
#define KAPI_TOKEN_MAX 16384
#define KAPI_ERROR_MAX 1024

/* A connection plus what it is doing: serving req, or idle in the pool. */
typedef struct kapi_link {
    struct kapi_link *next; /* in the client's idle list */
    kapi_client *client;
    conn *conn;
    kapi_req *req;          /* NULL while idle */
    bool ready;
} kapi_link;

typedef enum { KAPI_ONESHOT, KAPI_STREAM } kapi_kind;

struct kapi_req {
    struct kapi_req *next, *prev; /* the client's list of live requests */
    kapi_client *client;
    kapi_kind kind;
    char method[8];
    char *target;         /* owned: prefix + path */
    char *content_type;   /* owned, or NULL */
    char *body;           /* owned copy, kept for one retry on a stale connection */
    size_t body_len;
    kapi_done_cb done;
    kapi_line_cb on_line;
    kapi_body_cb on_body; /* kapi_get_body: 2xx body bytes go here, not into out */
    void *arg;
    kapi_link *link;
    bool retried;
    bool head_done;
    uint64_t received;    /* response bytes seen: a retry is only safe while 0 */
    http_response resp;
    http_body framing;
    http_buf in;          /* raw response bytes not yet parsed */
    http_buf out;         /* decoded body of a one-shot request or of an error answer */
    char *line;           /* stream: the partial line (owned; plain memory, not secret) */
    size_t line_len, line_cap;
    loop_timer_id timer;
    uint32_t idle_timeout_ms;
    int in_callback;
    bool cancelled;
};

struct kapi_client {
    loop *l;
    dns_resolver *dns;
    char name[64];
    char host[256];
    char server_name[256];
    uint16_t port;
    char prefix[520];
    const tls_creds *creds;
    char *token;          /* owned secret */
    char *token_file;     /* owned */
    struct timespec token_mtime;
    uint32_t timeout_ms;
    kapi_link *idle;
    kapi_req *reqs;
    kapi_stats stats;
};

static void kapi_wipe_free(char *s)
{
    if (s == NULL)
        return;
    txt_wipe(s, strlen(s));
    free(s);
}

/* ---- tokens ---- */

/* Re-reads the token file when its mtime changed: kubelet rotates projected tokens. */
static void kapi_refresh_token(kapi_client *c)
{
    if (c->token_file == NULL)
        return;
    struct stat st;
    if (stat(c->token_file, &st) != 0)
        return; /* keep the last good token; the server will say if it is no longer valid */
    if (c->token != NULL && st.st_mtim.tv_sec == c->token_mtime.tv_sec &&
        st.st_mtim.tv_nsec == c->token_mtime.tv_nsec)
        return;
    FILE *f = fopen(c->token_file, "r");
    if (f == NULL)
        return;
    char *buf = calloc(1, KAPI_TOKEN_MAX + 1);
    size_t n = buf != NULL ? fread(buf, 1, KAPI_TOKEN_MAX, f) : 0;
    fclose(f);
    if (buf == NULL)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n == 0) {
        free(buf);
        return;
    }
    kapi_wipe_free(c->token);
    c->token = buf;
    c->token_mtime = st.st_mtim;
}

/* ---- client ---- */

kapi_client *kapi_new(loop *l, dns_resolver *dns, const kapi_config *cfg, char *err, size_t errlen)
{
    kapi_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->l = l;
    c->dns = dns;
    snprintf(c->name, sizeof c->name, "%s", cfg->name);
    snprintf(c->host, sizeof c->host, "%s", cfg->host);
    snprintf(c->server_name, sizeof c->server_name, "%s", cfg->server_name ? cfg->server_name : cfg->host);
    snprintf(c->prefix, sizeof c->prefix, "%s", cfg->path_prefix ? cfg->path_prefix : "");
    c->port = cfg->port;
    c->creds = cfg->creds;
    c->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : 30000;
    if (cfg->token != NULL && (c->token = strdup(cfg->token)) == NULL)
        goto oom;
    if (cfg->token_file != NULL) {
        if ((c->token_file = strdup(cfg->token_file)) == NULL)
            goto oom;
        kapi_refresh_token(c);
        if (c->token == NULL) {
            snprintf(err, errlen, "%s: cannot read the token file %s", c->name, c->token_file);
            kapi_free(c);
            return NULL;
        }
    }
    return c;
oom:
    snprintf(err, errlen, "out of memory");
    kapi_free(c);
    return NULL;
}

static void kapi_link_free(kapi_link *k)
{
    conn_free(k->conn);
    free(k);
}

static void kapi_req_release(kapi_req *r);

void kapi_free(kapi_client *c)
{
    if (c == NULL)
        return;
    while (c->reqs != NULL)
        kapi_req_release(c->reqs);
    while (c->idle != NULL) {
        kapi_link *k = c->idle;
        c->idle = k->next;
        kapi_link_free(k);
    }
    kapi_wipe_free(c->token);
    free(c->token_file);
    free(c);
}

const kapi_stats *kapi_get_stats(const kapi_client *c)
{
    return &c->stats;
}

const char *kapi_name(const kapi_client *c)
{
    return c->name;
}

/* ---- request lifetime ---- */

static void kapi_req_unlink(kapi_req *r)
{
    if (r->prev != NULL)
        r->prev->next = r->next;
    else if (r->client->reqs == r)
        r->client->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    r->next = r->prev = NULL;
}

/* Frees the request and the connection it holds (a connection is only reused when the
 * response completed cleanly, which detaches it first). */
static void kapi_req_release(kapi_req *r)
{
    kapi_req_unlink(r);
    if (r->timer != 0)
        loop_timer_cancel(r->client->l, r->timer);
    if (r->link != NULL)
        kapi_link_free(r->link);
    free(r->target);
    free(r->content_type);
    free(r->body);
    http_buf_free(&r->in);
    http_buf_free(&r->out);
    free(r->line);
    free(r);
}

void kapi_cancel(kapi_req *r)
{
    if (r == NULL)
        return;
    r->cancelled = true;
    if (r->in_callback == 0)
        kapi_req_release(r);
}

/* Runs the done callback once and releases the request afterwards. */
static void kapi_finish(kapi_req *r, int status, conn_error transport, const char *error)
{
    kapi_response resp = {
        .status = status,
        .transport = transport,
        .body = r->kind == KAPI_ONESHOT && r->out.data != NULL ? r->out.data : "",
        .body_len = r->kind == KAPI_ONESHOT ? r->out.len : 0,
        .retry_after = r->head_done ? r->resp.retry_after : -1,
        .error = error != NULL ? error : "",
    };
    if (transport != CONN_OK)
        r->client->stats.failures++;
    char labels[400], code[8];
    snprintf(code, sizeof code, "%d", status);
    metrics_labels(labels, sizeof labels, "cluster", r->client->name, "verb",
                   r->kind == KAPI_ONESHOT ? r->method : "WATCH", "code", code, NULL);
    metrics_add(METRICS_API_REQUESTS, labels, 1);
    r->in_callback++;
    r->done(r->arg, &resp);
    r->in_callback--;
    kapi_req_release(r);
}

static void kapi_fail(kapi_req *r, conn_error transport, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void kapi_fail(kapi_req *r, conn_error transport, const char *fmt, ...)
{
    char what[KAPI_ERROR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char msg[KAPI_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s: %s %s: %s", r->client->name, r->method, r->target, what);
    kapi_finish(r, 0, transport, msg);
}

/* Builds "cluster: VERB path: 403 Forbidden: <Status message>" for an error response. */
static void kapi_status_error(const kapi_req *r, char *buf, size_t buflen)
{
    char message[512] = "";
    if (r->kind == KAPI_ONESHOT && r->out.len > 0 && r->out.len < ((size_t)1 << 20)) {
        json_doc doc;
        json_doc_init(&doc);
        char jerr[64];
        if (json_parse(&doc, r->out.data, r->out.len, jerr, sizeof jerr) == 0)
            json_str_copy(&doc, json_obj_get(&doc, 0, "message"), message, sizeof message, NULL);
        json_doc_free(&doc);
    }
    snprintf(buf, buflen, "%s: %s %s: %d %s%s%s", r->client->name, r->method, r->target, r->resp.status,
             r->resp.reason, message[0] ? ": " : "", message);
}

/* ---- response handling ---- */

static void kapi_send(kapi_req *r);

/* Returns the connection to the pool when the server allows reuse, else closes it. */
static void kapi_detach_link(kapi_req *r, bool reusable)
{
    kapi_link *k = r->link;
    r->link = NULL;
    if (k == NULL)
        return;
    kapi_client *c = r->client;
    size_t nidle = 0;
    for (kapi_link *i = c->idle; i != NULL; i = i->next)
        nidle++;
    if (!reusable || nidle >= KAPI_MAX_IDLE_CONNS) {
        kapi_link_free(k);
        return;
    }
    k->req = NULL;
    k->next = c->idle;
    c->idle = k;
}

/* Runs on_line once; -1 when the owner cancelled the request (which is then gone). */
static int kapi_emit_line(kapi_req *r, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len == 0)
        return 0;
    r->in_callback++;
    r->on_line(r->arg, line, len);
    r->in_callback--;
    if (r->cancelled) {
        kapi_req_release(r);
        return -1;
    }
    return 0;
}

/* Appends to the partial line, refusing to let it pass KAPI_LINE_MAX. */
static int kapi_line_append(kapi_req *r, const char *data, size_t n)
{
    if (n > KAPI_LINE_MAX - r->line_len) {
        kapi_fail(r, CONN_ERR_IO, "a stream line exceeds %zu bytes", KAPI_LINE_MAX);
        return -1;
    }
    if (r->line_len + n > r->line_cap) {
        size_t cap = r->line_cap < 4096 ? 4096 : r->line_cap;
        while (cap < r->line_len + n)
            cap *= 2;
        if (cap > KAPI_LINE_MAX)
            cap = KAPI_LINE_MAX;
        char *grown = realloc(r->line, cap);
        if (grown == NULL) {
            kapi_fail(r, CONN_ERR_NOMEM, "out of memory for a stream line of %zu bytes", r->line_len + n);
            return -1;
        }
        r->line = grown;
        r->line_cap = cap;
    }
    memcpy(r->line + r->line_len, data, n);
    r->line_len += n;
    return 0;
}

/* Hands the complete lines in a decoded piece of a stream to the owner, as they are, and
 * keeps only the unfinished last line. Returns -1 when the request is gone. */
static int kapi_stream_piece(kapi_req *r, const char *data, size_t len)
{
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        if (nl == NULL)
            return kapi_line_append(r, data, len);
        size_t n = (size_t)(nl - data);
        if (r->line_len == 0) {
            if (n > KAPI_LINE_MAX) {
                kapi_fail(r, CONN_ERR_IO, "a stream line exceeds %zu bytes", KAPI_LINE_MAX);
                return -1;
            }
            if (kapi_emit_line(r, data, n) != 0)
                return -1;
        } else {
            if (kapi_line_append(r, data, n) != 0)
                return -1;
            size_t whole = r->line_len;
            r->line_len = 0;
            if (kapi_emit_line(r, r->line, whole) != 0)
                return -1;
            if (r->line_cap > KAPI_LINE_KEEP) {
                free(r->line);
                r->line = NULL;
                r->line_cap = 0;
            }
        }
        data = nl + 1;
        len -= n + 1;
    }
    return 0;
}

static void kapi_arm_idle_timer(kapi_req *r);

/* The body of this answer goes to the owner piece by piece rather than into out. */
static bool kapi_passes_body(const kapi_req *r)
{
    if (r->resp.status < 200 || r->resp.status >= 300)
        return false;
    return (r->kind == KAPI_STREAM && r->resp.status == 200) || r->on_body != NULL;
}

/* Hands the n decoded bytes at the front of in to the stream's line splitter or to
 * on_body. Returns -1 when the request ended (and is gone). */
static int kapi_pass_body(kapi_req *r, size_t n)
{
    if (r->kind == KAPI_STREAM)
        return kapi_stream_piece(r, r->in.data, n);
    char why[KAPI_ERROR_MAX / 2] = "";
    r->in_callback++;
    int rc = r->on_body(r->arg, r->in.data, n, why, sizeof why);
    r->in_callback--;
    if (r->cancelled) {
        kapi_req_release(r);
        return -1;
    }
    if (rc != 0) {
        kapi_fail(r, CONN_ERR_IO, "%s", why[0] ? why : "the body was refused");
        return -1;
    }
    return 0;
}

/* Parses what has arrived. Returns -1 when the request ended (and is gone). */
static int kapi_process(kapi_req *r)
{
    if (!r->head_done) {
        http_limits lim = http_limits_default();
        int n = http_parse_head(&r->resp, r->in.data, r->in.len, &lim);
        if (n == -2)
            return 0;
        if (n == -1) {
            kapi_fail(r, CONN_ERR_IO, "bad HTTP response: %s", r->resp.error);
            return -1;
        }
        memmove(r->in.data, r->in.data + n, r->in.len - (size_t)n);
        r->in.len -= (size_t)n;
        if (r->resp.status < 200) { /* 1xx: the real head follows */
            http_response_init(&r->resp);
            return kapi_process(r);
        }
        r->head_done = true;
        /* A stream or a body handed on as it arrives is unlimited here (its owner bounds
         * what it keeps); a body kept whole is one object; error bodies are small. */
        uint64_t max = r->resp.status >= 300          ? KAPI_ERROR_BODY_MAX
                       : kapi_passes_body(r)          ? HTTP_BODY_UNLIMITED
                                                      : KAPI_BODY_MAX;
        if (http_body_init(&r->framing, &r->resp, r->method, max) != 0) {
            kapi_fail(r, CONN_ERR_IO, "%s", r->framing.error);
            return -1;
        }
    }
    size_t consumed = 0, out_len = 0;
    http_body_status st = http_body_decode(&r->framing, r->in.data, r->in.len, &consumed, &out_len);
    if (st == HTTP_BODY_ERROR) {
        kapi_fail(r, CONN_ERR_IO, "bad HTTP body: %s", r->framing.error);
        return -1;
    }
    bool streaming = r->kind == KAPI_STREAM && r->resp.status == 200;
    if (out_len > 0 && kapi_passes_body(r)) {
        if (kapi_pass_body(r, out_len) != 0)
            return -1;
    } else if (out_len > 0 && http_buf_append(&r->out, r->in.data, out_len) != 0) {
        kapi_fail(r, CONN_ERR_NOMEM, "out of memory for the response body");
        return -1;
    }
    memmove(r->in.data, r->in.data + consumed, r->in.len - consumed);
    r->in.len -= consumed;
    if (st != HTTP_BODY_DONE)
        return 0;
    /* Leftover bytes after a complete response mean the peer misbehaves: do not reuse. */
    kapi_detach_link(r, !r->framing.close_after && r->in.len == 0);
    if (r->resp.status >= 400 || (streaming == false && r->resp.status >= 300)) {
        char msg[KAPI_ERROR_MAX];
        kapi_status_error(r, msg, sizeof msg);
        kapi_finish(r, r->resp.status, CONN_OK, msg);
    } else {
        kapi_finish(r, r->resp.status, CONN_OK, NULL);
    }
    return -1;
}

static void kapi_on_ready(conn *cn, void *arg)
{
    (void)cn;
    kapi_link *k = arg;
    k->ready = true;
}

/* Takes an idle connection out of the pool and closes it. */
static void kapi_idle_drop(kapi_link *k)
{
    for (kapi_link **p = &k->client->idle; *p != NULL; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            break;
        }
    }
    kapi_link_free(k);
}

static void kapi_on_data(conn *cn, const uint8_t *data, size_t len, void *arg)
{
    (void)cn;
    kapi_link *k = arg;
    kapi_req *r = k->req;
    if (r == NULL) {
        /* Bytes on an idle connection: the server is confused; drop the connection. */
        kapi_idle_drop(k);
        return;
    }
    r->received += len;
    if (http_buf_append(&r->in, data, len) != 0) {
        kapi_fail(r, CONN_ERR_NOMEM, "out of memory for the response");
        return;
    }
    if (r->kind == KAPI_STREAM)
        kapi_arm_idle_timer(r);
    kapi_process(r);
}

static void kapi_on_close(conn *cn, conn_error err, const char *reason, void *arg)
{
    (void)cn;
    kapi_link *k = arg;
    kapi_req *r = k->req;
    if (r == NULL) {
        kapi_idle_drop(k);
        return;
    }
    /* A kept-alive connection the server closed before answering: send once more on a
     * fresh one. Nothing of the response arrived, so nothing can be duplicated. */
    if (r->received == 0 && k->ready && !r->retried && err == CONN_OK) {
        r->retried = true;
        r->link = NULL;
        kapi_link_free(k);
        kapi_send(r);
        return;
    }
    if (r->head_done && err == CONN_OK && http_body_eof(&r->framing)) {
        r->link = NULL;
        kapi_link_free(k);
        r->framing.done = true;
        bool streaming = r->kind == KAPI_STREAM && r->resp.status == 200;
        if (streaming && r->line_len > 0 && kapi_stream_piece(r, "\n", 1) != 0)
            return;
        if (r->resp.status >= 400) {
            char msg[KAPI_ERROR_MAX];
            kapi_status_error(r, msg, sizeof msg);
            kapi_finish(r, r->resp.status, CONN_OK, msg);
        } else {
            kapi_finish(r, r->resp.status, CONN_OK, NULL);
        }
        return;
    }
    r->link = NULL;
    kapi_link_free(k);
    if (err == CONN_OK)
        kapi_fail(r, CONN_ERR_IO, "the connection closed before the response was complete (%s)", reason);
    else
        kapi_fail(r, err, "%s", reason);
}

static const conn_handlers kapi_conn_handlers = {kapi_on_ready, kapi_on_data, kapi_on_close};

static void kapi_on_timeout(loop *l, void *arg)
{
    (void)l;
    kapi_req *r = arg;
    r->timer = 0;
    if (r->kind == KAPI_STREAM)
        kapi_fail(r, CONN_ERR_TIMEOUT, "the stream was silent for %u s", r->idle_timeout_ms / 1000);
    else
        kapi_fail(r, CONN_ERR_TIMEOUT, "no complete response within %u s", r->client->timeout_ms / 1000);
}

static void kapi_arm_idle_timer(kapi_req *r)
{
    if (r->idle_timeout_ms == 0)
        return;
    if (r->timer != 0)
        loop_timer_cancel(r->client->l, r->timer);
    r->timer = loop_timer_add(r->client->l, r->idle_timeout_ms, kapi_on_timeout, r);
}

static void kapi_on_send_failed(loop *l, void *arg)
{
    (void)l;
    kapi_req *r = arg;
    r->timer = 0;
    kapi_fail(r, CONN_ERR_NOMEM, "cannot send the request (out of memory or invalid request)");
}

/* Attaches a connection (an idle kept-alive one when there is one, else a new one) and queues
 * the request bytes on it. Failures are reported from a timer, never re-entrantly. */
static void kapi_send(kapi_req *r)
{
    kapi_client *c = r->client;
    kapi_link *k = NULL;
    if (c->idle != NULL) {
        k = c->idle;
        c->idle = k->next;
        c->stats.reused++;
    } else {
        k = calloc(1, sizeof *k);
        char err[256];
        conn_target t = {.host = c->host, .port = c->port, .server_name = c->server_name, .creds = c->creds};
        if (k != NULL)
            k->conn = conn_open(c->l, c->dns, &t, &kapi_conn_handlers, k, err, sizeof err);
        if (k == NULL || k->conn == NULL) {
            free(k);
            r->timer = loop_timer_add(c->l, 0, kapi_on_send_failed, r);
            return;
        }
        k->client = c;
        c->stats.connections++;
    }
    k->req = r;
    k->next = NULL;
    r->link = k;
    r->received = 0;
    r->head_done = false;
    http_response_init(&r->resp);
    http_buf_reset(&r->in);
    http_buf_reset(&r->out);
    r->line_len = 0;

    kapi_refresh_token(c);
    http_buf wire;
    http_buf_init(&wire);
    char why[128];
    http_request hr = {
        .method = r->method,
        .target = r->target,
        .host = c->host,
        .port = c->port,
        .token = c->token,
        .version = SVCLINK_VERSION,
        .content_type = r->content_type,
        .body = r->body,
        .body_len = r->body_len,
        .close = false,
    };
    int rc = http_request_write(&wire, &hr, why, sizeof why);
    if (rc == 0)
        rc = conn_write(k->conn, wire.data, wire.len);
    http_buf_free(&wire); /* wipes the token */
    if (rc != 0) {
        r->timer = loop_timer_add(c->l, 0, kapi_on_send_failed, r);
        return;
    }
    c->stats.requests++;
    if (r->kind == KAPI_ONESHOT) {
        if (r->timer != 0)
            loop_timer_cancel(c->l, r->timer);
        r->timer = loop_timer_add(c->l, c->timeout_ms, kapi_on_timeout, r);
    } else {
        kapi_arm_idle_timer(r);
    }
}

static kapi_req *kapi_req_new(kapi_client *c, kapi_kind kind, const char *method, const char *path,
                              kapi_done_cb done, void *arg)
{
    kapi_req *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->client = c;
    r->kind = kind;
    snprintf(r->method, sizeof r->method, "%s", method);
    size_t n = strlen(c->prefix) + strlen(path) + 1;
    r->target = malloc(n);
    if (r->target == NULL) {
        free(r);
        return NULL;
    }
    snprintf(r->target, n, "%s%s", c->prefix, path);
    r->done = done;
    r->arg = arg;
    http_buf_init(&r->in);
    http_buf_init(&r->out);
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    return r;
}

kapi_req *kapi_request(kapi_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, size_t body_len, kapi_done_cb done, void *arg)
{
    kapi_req *r = kapi_req_new(c, KAPI_ONESHOT, method, path, done, arg);
    if (r == NULL)
        return NULL;
    if (body != NULL) {
        r->body = malloc(body_len + 1);
        r->content_type = strdup(content_type ? content_type : "application/json");
        if (r->body == NULL || r->content_type == NULL) {
            kapi_req_release(r);
            return NULL;
        }
        memcpy(r->body, body, body_len);
        r->body[body_len] = '\0';
        r->body_len = body_len;
    }
    kapi_send(r);
    return r;
}

kapi_req *kapi_get_body(kapi_client *c, const char *path, kapi_body_cb on_body, kapi_done_cb done, void *arg)
{
    kapi_req *r = kapi_req_new(c, KAPI_ONESHOT, "GET", path, done, arg);
    if (r == NULL)
        return NULL;
    r->on_body = on_body;
    kapi_send(r);
    return r;
}

kapi_req *kapi_stream(kapi_client *c, const char *path, uint32_t idle_timeout_ms, kapi_line_cb on_line,
                      kapi_done_cb done, void *arg)
{
    kapi_req *r = kapi_req_new(c, KAPI_STREAM, "GET", path, done, arg);
    if (r == NULL)
        return NULL;
    r->on_line = on_line;
    r->idle_timeout_ms = idle_timeout_ms;
    kapi_send(r);
    return r;
}
