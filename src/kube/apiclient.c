/* apiclient: the request layer of the API client. A request borrows an idle keep-alive
 * connection or opens one, writes its head, parses the response with http, and frees or
 * returns the connection; a stream splits its body into lines as they arrive. */
#include "kube/apiclient.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/http_body.h"
#include "net/http_buf.h"
#include "net/http_lines.h"
#include "net/http_request.h"
#include "net/http_response.h"
#include "json/json.h"
#include "kube/token_file.h"
#include "base/metrics.h"
#include "base/text.h"
#include "version.h"

/* A one-shot answer is one object (the API server stores at most about 1.5 MiB each);
 * lists go through apiclient_get_body and are framed as they arrive, never held whole. */
#define APICLIENT_BODY_MAX ((uint64_t)4 * 1024 * 1024)
/* Error answers carry a metav1.Status: a few hundred bytes. */
#define APICLIENT_ERROR_BODY_MAX ((uint64_t)64 * 1024)
/* A line buffer grown for one large event is released after it. */
#define APICLIENT_LINE_KEEP ((size_t)64 * 1024)
#define APICLIENT_MAX_IDLE_CONNS 2
#define APICLIENT_ERROR_MAX 1024

/* A connection plus what it is doing: serving req, or idle in the pool. */
typedef struct apiclient_link {
    struct apiclient_link *next; /* in the client's idle list */
    apiclient_client *client;
    conn *conn;
    tls_creds *creds;            /* a reference: the credentials it was opened with */
    apiclient_req *req;          /* NULL while idle */
    bool ready;
} apiclient_link;

typedef enum { APICLIENT_ONESHOT, APICLIENT_STREAM } apiclient_kind;

struct apiclient_req {
    struct apiclient_req *next, *prev; /* the client's list of live requests */
    apiclient_client *client;
    apiclient_kind kind;
    char method[8];
    char *target;         /* owned: prefix + path */
    char *content_type;   /* owned, or NULL */
    char *body;           /* owned copy, kept for one retry on a stale connection */
    size_t body_len;
    apiclient_done_cb done;
    apiclient_line_cb on_line;
    apiclient_open_cb on_open; /* stream: its 200 head arrived, or NULL */
    apiclient_body_cb on_body; /* apiclient_get_body: 2xx body bytes go here, not into out */
    void *arg;
    apiclient_link *link;
    bool retried;
    bool head_done;
    uint64_t received;    /* response bytes seen: a retry is only safe while 0 */
    http_response resp;
    http_body framing;
    http_buf in;          /* raw response bytes not yet parsed */
    http_buf out;         /* decoded body of a one-shot request or of an error answer */
    http_lines lines;     /* stream: the body split into lines */
    loop_timer_id timer;
    uint32_t idle_timeout_ms;
    int in_callback;
    bool cancelled;
    bool auth_waiting;    /* parked until the exec plugin's run ends */
    bool auth_waited;     /* it has waited for a run (exec_cred_decide) */
    bool auth_retried;    /* sent again once after a 401 */
    uint64_t auth_gen;    /* the exec credential it was sent with */
};

struct apiclient_client {
    loop *l;
    dns_resolver *dns;
    char name[64];
    char host[256];
    char server_name[256];
    uint16_t port;
    char prefix[520];
    const tls_creds *creds;
    char *token;          /* owned secret: the configured token, or NULL */
    token_file tokens;    /* owned: read from a file (path NULL when there is none) */
    exec_auth *auth;      /* borrowed, or NULL */
    uint32_t timeout_ms;
    apiclient_link *idle;
    apiclient_req *reqs;
    apiclient_stats stats;
};

/* ---- client ---- */

static void apiclient_on_auth_change(void *arg);

apiclient_client *apiclient_new(loop *l, dns_resolver *dns, const apiclient_config *cfg, char *err, size_t errlen)
{
    apiclient_client *c = calloc(1, sizeof *c);
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
    c->auth = cfg->auth;
    if (cfg->token != NULL && (c->token = strdup(cfg->token)) == NULL)
        goto oom;
    if (cfg->token_file != NULL) {
        char why[320];
        if (token_file_open(&c->tokens, cfg->token_file, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", c->name, why);
            apiclient_free(c);
            return NULL;
        }
    }
    if (c->auth != NULL)
        exec_auth_listen(c->auth, apiclient_on_auth_change, c);
    return c;
oom:
    snprintf(err, errlen, "out of memory");
    apiclient_free(c);
    return NULL;
}

static void apiclient_link_free(apiclient_link *k)
{
    conn_free(k->conn);
    tls_creds_free(k->creds);
    free(k);
}

static void apiclient_req_release(apiclient_req *r);

void apiclient_free(apiclient_client *c)
{
    if (c == NULL)
        return;
    while (c->reqs != NULL)
        apiclient_req_release(c->reqs);
    while (c->idle != NULL) {
        apiclient_link *k = c->idle;
        c->idle = k->next;
        apiclient_link_free(k);
    }
    if (c->auth != NULL)
        exec_auth_listen(c->auth, NULL, NULL);
    text_wipe_free(c->token);
    token_file_free(&c->tokens);
    free(c);
}

const apiclient_stats *apiclient_get_stats(const apiclient_client *c)
{
    return &c->stats;
}

const char *apiclient_name(const apiclient_client *c)
{
    return c->name;
}

/* ---- request lifetime ---- */

static void apiclient_req_unlink(apiclient_req *r)
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
static void apiclient_req_release(apiclient_req *r)
{
    apiclient_req_unlink(r);
    if (r->timer != 0)
        loop_timer_cancel(r->client->l, r->timer);
    if (r->link != NULL)
        apiclient_link_free(r->link);
    free(r->target);
    free(r->content_type);
    free(r->body);
    http_buf_free(&r->in);
    http_buf_free(&r->out);
    http_lines_free(&r->lines);
    free(r);
}

void apiclient_cancel(apiclient_req *r)
{
    if (r == NULL)
        return;
    r->cancelled = true;
    if (r->in_callback == 0)
        apiclient_req_release(r);
}

/* Runs the done callback once and releases the request afterwards. */
static void apiclient_finish(apiclient_req *r, int status, conn_error transport, const char *error)
{
    apiclient_response resp = {
        .status = status,
        .transport = transport,
        .body = r->kind == APICLIENT_ONESHOT && r->out.data != NULL ? r->out.data : "",
        .body_len = r->kind == APICLIENT_ONESHOT ? r->out.len : 0,
        .retry_after = r->head_done ? r->resp.retry_after : -1,
        .error = error != NULL ? error : "",
    };
    if (transport != CONN_OK)
        r->client->stats.failures++;
    char labels[400], code[8];
    snprintf(code, sizeof code, "%d", status);
    metrics_labels(labels, sizeof labels, "cluster", r->client->name, "verb",
                   r->kind == APICLIENT_ONESHOT ? r->method : "WATCH", "code", code, NULL);
    metrics_add(METRICS_API_REQUESTS, labels, 1);
    r->in_callback++;
    r->done(r->arg, &resp);
    r->in_callback--;
    apiclient_req_release(r);
}

static void apiclient_fail(apiclient_req *r, conn_error transport, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Messages name a request "GET /path?query", and a stream "WATCH /path": its query (the
 * resourceVersion, a jittered timeout) changes every time, and the failures of one watch
 * should read alike, so that a link's status message stays put while the failure does. */
static const char *apiclient_verb(const apiclient_req *r)
{
    return r->kind == APICLIENT_STREAM ? "WATCH" : r->method;
}

static int apiclient_target_len(const apiclient_req *r)
{
    size_t n = r->kind == APICLIENT_STREAM ? strcspn(r->target, "?") : strlen(r->target);
    return n < 4096 ? (int)n : 4096;
}

static void apiclient_fail(apiclient_req *r, conn_error transport, const char *fmt, ...)
{
    char what[APICLIENT_ERROR_MAX / 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char msg[APICLIENT_ERROR_MAX];
    snprintf(msg, sizeof msg, "%s: %s %.*s: %s", r->client->name, apiclient_verb(r), apiclient_target_len(r), r->target,
             what);
    apiclient_finish(r, 0, transport, msg);
}

/* Builds "cluster: VERB path: 403 Forbidden: <Status message>" for an error response. */
static void apiclient_status_error(const apiclient_req *r, char *buf, size_t buflen)
{
    char message[512] = "";
    if (r->kind == APICLIENT_ONESHOT && r->out.len > 0 && r->out.len < ((size_t)1 << 20)) {
        json_doc doc;
        json_doc_init(&doc);
        char jerr[64];
        if (json_parse(&doc, r->out.data, r->out.len, jerr, sizeof jerr) == 0)
            json_str_copy(&doc, json_obj_get(&doc, 0, "message"), message, sizeof message, NULL);
        json_doc_free(&doc);
    }
    snprintf(buf, buflen, "%s: %s %.*s: %d %s%s%s", r->client->name, apiclient_verb(r), apiclient_target_len(r),
             r->target, r->resp.status, r->resp.reason, message[0] ? ": " : "", message);
}

/* ---- response handling ---- */

static void apiclient_send(apiclient_req *r);

/* A 401 to a request sent with an exec credential: that credential is dropped and the
 * request goes out once more with the next one (the server ran nothing). Returns true
 * when it did so; the request then lives on. */
static bool apiclient_retry_unauthorized(apiclient_req *r)
{
    apiclient_client *c = r->client;
    if (r->resp.status != 401 || c->auth == NULL || r->auth_retried)
        return false;
    exec_auth_rejected(c->auth, r->auth_gen);
    r->auth_retried = true;
    apiclient_send(r);
    return true;
}

/* Returns the connection to the pool when the server allows reuse, else closes it. */
static void apiclient_detach_link(apiclient_req *r, bool reusable)
{
    apiclient_link *k = r->link;
    r->link = NULL;
    if (k == NULL)
        return;
    apiclient_client *c = r->client;
    size_t nidle = 0;
    for (apiclient_link *i = c->idle; i != NULL; i = i->next)
        nidle++;
    if (!reusable || nidle >= APICLIENT_MAX_IDLE_CONNS) {
        apiclient_link_free(k);
        return;
    }
    k->req = NULL;
    k->next = c->idle;
    c->idle = k;
}

/* Runs on_line for one line; nonzero stops the splitter when the owner cancelled. */
static int apiclient_emit_line(void *arg, const char *line, size_t len)
{
    apiclient_req *r = arg;
    r->in_callback++;
    r->on_line(r->arg, line, len);
    r->in_callback--;
    return r->cancelled ? 1 : 0;
}

/* Runs on_open once, as a stream's 200 head arrives; -1 when the owner cancelled it. */
static int apiclient_emit_open(apiclient_req *r)
{
    if (r->on_open == NULL)
        return 0;
    r->in_callback++;
    r->on_open(r->arg);
    r->in_callback--;
    if (r->cancelled) {
        apiclient_req_release(r);
        return -1;
    }
    return 0;
}

/* What the line splitter said, as this request's outcome. Returns -1 when the request
 * ended (and is gone). */
static int apiclient_lines_result(apiclient_req *r, http_lines_status st)
{
    switch (st) {
    case HTTP_LINES_OK:
        return 0;
    case HTTP_LINES_STOPPED:
        apiclient_req_release(r);
        return -1;
    case HTTP_LINES_TOO_LONG:
        apiclient_fail(r, CONN_ERR_IO, "a stream line exceeds %zu bytes", APICLIENT_LINE_MAX);
        return -1;
    case HTTP_LINES_NOMEM:
        break;
    }
    apiclient_fail(r, CONN_ERR_NOMEM, "out of memory for a stream line");
    return -1;
}

static void apiclient_arm_idle_timer(apiclient_req *r);

/* The body of this answer goes to the owner piece by piece rather than into out. */
static bool apiclient_passes_body(const apiclient_req *r)
{
    if (r->resp.status < 200 || r->resp.status >= 300)
        return false;
    return (r->kind == APICLIENT_STREAM && r->resp.status == 200) || r->on_body != NULL;
}

/* Hands the n decoded bytes at the front of in to the stream's line splitter or to
 * on_body. Returns -1 when the request ended (and is gone). */
static int apiclient_pass_body(apiclient_req *r, size_t n)
{
    if (r->kind == APICLIENT_STREAM)
        return apiclient_lines_result(r, http_lines_feed(&r->lines, r->in.data, n, apiclient_emit_line, r));
    char why[APICLIENT_ERROR_MAX / 2] = "";
    r->in_callback++;
    int rc = r->on_body(r->arg, r->in.data, n, why, sizeof why);
    r->in_callback--;
    if (r->cancelled) {
        apiclient_req_release(r);
        return -1;
    }
    if (rc != 0) {
        apiclient_fail(r, CONN_ERR_IO, "%s", why[0] ? why : "the body was refused");
        return -1;
    }
    return 0;
}

/* Parses what has arrived. Returns -1 when the request ended (and is gone). */
static int apiclient_process(apiclient_req *r)
{
    if (!r->head_done) {
        http_limits lim = http_response_limits_default();
        int n = http_response_parse_head(&r->resp, r->in.data, r->in.len, &lim);
        if (n == -2)
            return 0;
        if (n == -1) {
            apiclient_fail(r, CONN_ERR_IO, "bad HTTP response: %s", r->resp.error);
            return -1;
        }
        memmove(r->in.data, r->in.data + n, r->in.len - (size_t)n);
        r->in.len -= (size_t)n;
        if (r->resp.status < 200) { /* 1xx: the real head follows */
            http_response_init(&r->resp);
            return apiclient_process(r);
        }
        r->head_done = true;
        /* A stream or a body handed on as it arrives is unlimited here (its owner bounds
         * what it keeps); a body kept whole is one object; error bodies are small. */
        uint64_t max = r->resp.status >= 300          ? APICLIENT_ERROR_BODY_MAX
                       : apiclient_passes_body(r)          ? HTTP_BODY_UNLIMITED
                                                      : APICLIENT_BODY_MAX;
        if (http_body_init(&r->framing, &r->resp, r->method, max) != 0) {
            apiclient_fail(r, CONN_ERR_IO, "%s", r->framing.error);
            return -1;
        }
        if (r->kind == APICLIENT_STREAM && r->resp.status == 200 && apiclient_emit_open(r) != 0)
            return -1;
    }
    size_t consumed = 0, out_len = 0;
    http_body_status st = http_body_decode(&r->framing, r->in.data, r->in.len, &consumed, &out_len);
    if (st == HTTP_BODY_ERROR) {
        apiclient_fail(r, CONN_ERR_IO, "bad HTTP body: %s", r->framing.error);
        return -1;
    }
    bool streaming = r->kind == APICLIENT_STREAM && r->resp.status == 200;
    if (out_len > 0 && apiclient_passes_body(r)) {
        if (apiclient_pass_body(r, out_len) != 0)
            return -1;
    } else if (out_len > 0 && http_buf_append(&r->out, r->in.data, out_len) != 0) {
        apiclient_fail(r, CONN_ERR_NOMEM, "out of memory for the response body");
        return -1;
    }
    memmove(r->in.data, r->in.data + consumed, r->in.len - consumed);
    r->in.len -= consumed;
    if (st != HTTP_BODY_DONE)
        return 0;
    /* Leftover bytes after a complete response mean the peer misbehaves: do not reuse. */
    apiclient_detach_link(r, !r->framing.close_after && r->in.len == 0);
    if (apiclient_retry_unauthorized(r))
        return -1;
    if (r->resp.status >= 400 || (streaming == false && r->resp.status >= 300)) {
        char msg[APICLIENT_ERROR_MAX];
        apiclient_status_error(r, msg, sizeof msg);
        apiclient_finish(r, r->resp.status, CONN_OK, msg);
    } else {
        apiclient_finish(r, r->resp.status, CONN_OK, NULL);
    }
    return -1;
}

static void apiclient_on_ready(conn *cn, void *arg)
{
    (void)cn;
    apiclient_link *k = arg;
    k->ready = true;
}

/* Takes an idle connection out of the pool and closes it. */
static void apiclient_idle_drop(apiclient_link *k)
{
    for (apiclient_link **p = &k->client->idle; *p != NULL; p = &(*p)->next) {
        if (*p == k) {
            *p = k->next;
            break;
        }
    }
    apiclient_link_free(k);
}

static void apiclient_on_data(conn *cn, const uint8_t *data, size_t len, void *arg)
{
    (void)cn;
    apiclient_link *k = arg;
    apiclient_req *r = k->req;
    if (r == NULL) {
        /* Bytes on an idle connection: the server is confused; drop the connection. */
        apiclient_idle_drop(k);
        return;
    }
    r->received += len;
    if (http_buf_append(&r->in, data, len) != 0) {
        apiclient_fail(r, CONN_ERR_NOMEM, "out of memory for the response");
        return;
    }
    if (r->kind == APICLIENT_STREAM)
        apiclient_arm_idle_timer(r);
    apiclient_process(r);
}

static void apiclient_on_close(conn *cn, conn_error err, const char *reason, void *arg)
{
    (void)cn;
    apiclient_link *k = arg;
    apiclient_req *r = k->req;
    if (r == NULL) {
        apiclient_idle_drop(k);
        return;
    }
    /* A kept-alive connection the server closed before answering: send once more on a
     * fresh one. Nothing of the response arrived, so nothing can be duplicated. */
    if (r->received == 0 && k->ready && !r->retried && err == CONN_OK) {
        r->retried = true;
        r->link = NULL;
        apiclient_link_free(k);
        apiclient_send(r);
        return;
    }
    if (r->head_done && err == CONN_OK && http_body_eof(&r->framing)) {
        r->link = NULL;
        apiclient_link_free(k);
        r->framing.done = true;
        bool streaming = r->kind == APICLIENT_STREAM && r->resp.status == 200;
        if (streaming && apiclient_lines_result(r, http_lines_finish(&r->lines, apiclient_emit_line, r)) != 0)
            return;
        if (apiclient_retry_unauthorized(r))
            return;
        if (r->resp.status >= 400) {
            char msg[APICLIENT_ERROR_MAX];
            apiclient_status_error(r, msg, sizeof msg);
            apiclient_finish(r, r->resp.status, CONN_OK, msg);
        } else {
            apiclient_finish(r, r->resp.status, CONN_OK, NULL);
        }
        return;
    }
    r->link = NULL;
    apiclient_link_free(k);
    if (err == CONN_OK)
        apiclient_fail(r, CONN_ERR_IO, "the connection closed before the response was complete (%s)", reason);
    else
        apiclient_fail(r, err, "%s", reason);
}

static const conn_handlers apiclient_conn_handlers = {apiclient_on_ready, apiclient_on_data, apiclient_on_close};

static void apiclient_on_timeout(loop *l, void *arg)
{
    (void)l;
    apiclient_req *r = arg;
    r->timer = 0;
    if (r->kind == APICLIENT_STREAM)
        apiclient_fail(r, CONN_ERR_TIMEOUT, "the stream was silent for %u s", r->idle_timeout_ms / 1000);
    else
        apiclient_fail(r, CONN_ERR_TIMEOUT, "no complete response within %u s", r->client->timeout_ms / 1000);
}

static void apiclient_arm_idle_timer(apiclient_req *r)
{
    if (r->idle_timeout_ms == 0)
        return;
    if (r->timer != 0)
        loop_timer_cancel(r->client->l, r->timer);
    r->timer = loop_timer_add(r->client->l, r->idle_timeout_ms, apiclient_on_timeout, r);
}

static void apiclient_on_send_failed(loop *l, void *arg)
{
    (void)l;
    apiclient_req *r = arg;
    r->timer = 0;
    apiclient_fail(r, CONN_ERR_NOMEM, "cannot send the request (out of memory or invalid request)");
}

/* ---- credentials ---- */

static void apiclient_on_auth_ready(loop *l, void *arg)
{
    (void)l;
    apiclient_req *r = arg;
    r->timer = 0;
    apiclient_send(r);
}

static void apiclient_on_auth_failed(loop *l, void *arg)
{
    (void)l;
    apiclient_req *r = arg;
    r->timer = 0;
    apiclient_fail(r, CONN_ERR_AUTH, "%s", exec_auth_error(r->client->auth));
}

/* A plugin run ended: the requests parked for it go on, each from a timer of its own, so
 * no owner's callback runs inside exec_auth's. */
static void apiclient_on_auth_change(void *arg)
{
    apiclient_client *c = arg;
    for (apiclient_req *r = c->reqs; r != NULL; r = r->next) {
        if (!r->auth_waiting)
            continue;
        /* Out of memory for the timer: it stays parked until the next run ends. */
        r->timer = loop_timer_add(c->l, 0, apiclient_on_auth_ready, r);
        if (r->timer != 0)
            r->auth_waiting = false;
    }
}

/* The token and TLS credentials to send r with, into *token and *creds. Returns false
 * when r is parked (waiting for the plugin) or fails from a timer (no credential). */
static bool apiclient_credential(apiclient_req *r, const char **token, tls_creds **creds)
{
    apiclient_client *c = r->client;
    *creds = (tls_creds *)(uintptr_t)c->creds;
    if (c->auth == NULL) {
        *token = c->tokens.path != NULL ? token_file_current(&c->tokens) : c->token;
        return true;
    }
    exec_auth_cred cred;
    exec_auth_status st = exec_auth_get(c->auth, r->auth_waited, &cred);
    if (r->timer != 0)
        loop_timer_cancel(c->l, r->timer); /* the timeout of an answered try (a 401) */
    r->timer = 0;
    if (st == EXEC_AUTH_WAIT) {
        r->auth_waiting = true;
        r->auth_waited = true;
        return false;
    }
    if (st == EXEC_AUTH_FAILED) {
        r->timer = loop_timer_add(c->l, 0, apiclient_on_auth_failed, r);
        return false;
    }
    r->auth_waited = false;
    r->auth_gen = cred.gen;
    *token = cred.token;
    if (cred.creds != NULL)
        *creds = cred.creds;
    return true;
}

/* An idle kept-alive connection opened with creds, or NULL. Idle ones opened with other
 * credentials (a client certificate the plugin has since replaced) are closed. */
static apiclient_link *apiclient_take_idle(apiclient_client *c, const tls_creds *creds)
{
    while (c->idle != NULL) {
        apiclient_link *k = c->idle;
        c->idle = k->next;
        if (k->creds == creds)
            return k;
        apiclient_link_free(k);
    }
    return NULL;
}

/* ---- sending ---- */

/* Attaches a connection (an idle kept-alive one when there is one, else a new one) and queues
 * the request bytes on it. Failures are reported from a timer, never re-entrantly. */
static void apiclient_send(apiclient_req *r)
{
    apiclient_client *c = r->client;
    const char *token;
    tls_creds *creds;
    if (!apiclient_credential(r, &token, &creds))
        return;
    apiclient_link *k = apiclient_take_idle(c, creds);
    if (k != NULL) {
        c->stats.reused++;
    } else {
        k = calloc(1, sizeof *k);
        char err[256];
        conn_target t = {.host = c->host, .port = c->port, .server_name = c->server_name, .creds = creds};
        if (k != NULL)
            k->conn = conn_open(c->l, c->dns, &t, &apiclient_conn_handlers, k, err, sizeof err);
        if (k == NULL || k->conn == NULL) {
            free(k);
            r->timer = loop_timer_add(c->l, 0, apiclient_on_send_failed, r);
            return;
        }
        k->client = c;
        k->creds = tls_creds_ref(creds);
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
    http_lines_reset(&r->lines);

    http_buf wire;
    http_buf_init(&wire);
    char why[128];
    http_request hr = {
        .method = r->method,
        .target = r->target,
        .host = c->host,
        .port = c->port,
        .token = token,
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
        r->timer = loop_timer_add(c->l, 0, apiclient_on_send_failed, r);
        return;
    }
    c->stats.requests++;
    if (r->kind == APICLIENT_ONESHOT) {
        if (r->timer != 0)
            loop_timer_cancel(c->l, r->timer);
        r->timer = loop_timer_add(c->l, c->timeout_ms, apiclient_on_timeout, r);
    } else {
        apiclient_arm_idle_timer(r);
    }
}

static apiclient_req *apiclient_req_new(apiclient_client *c, apiclient_kind kind, const char *method, const char *path,
                              apiclient_done_cb done, void *arg)
{
    apiclient_req *r = calloc(1, sizeof *r);
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
    http_lines_init(&r->lines, APICLIENT_LINE_MAX, APICLIENT_LINE_KEEP);
    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    return r;
}

apiclient_req *apiclient_request(apiclient_client *c, const char *method, const char *path, const char *content_type,
                       const char *body, size_t body_len, apiclient_done_cb done, void *arg)
{
    apiclient_req *r = apiclient_req_new(c, APICLIENT_ONESHOT, method, path, done, arg);
    if (r == NULL)
        return NULL;
    if (body != NULL) {
        r->body = malloc(body_len + 1);
        r->content_type = strdup(content_type ? content_type : "application/json");
        if (r->body == NULL || r->content_type == NULL) {
            apiclient_req_release(r);
            return NULL;
        }
        memcpy(r->body, body, body_len);
        r->body[body_len] = '\0';
        r->body_len = body_len;
    }
    apiclient_send(r);
    return r;
}

apiclient_req *apiclient_get_body(apiclient_client *c, const char *path, apiclient_body_cb on_body, apiclient_done_cb done, void *arg)
{
    apiclient_req *r = apiclient_req_new(c, APICLIENT_ONESHOT, "GET", path, done, arg);
    if (r == NULL)
        return NULL;
    r->on_body = on_body;
    apiclient_send(r);
    return r;
}

apiclient_req *apiclient_stream(apiclient_client *c, const char *path, uint32_t idle_timeout_ms, apiclient_line_cb on_line,
                      apiclient_done_cb done, void *arg)
{
    apiclient_req *r = apiclient_req_new(c, APICLIENT_STREAM, "GET", path, done, arg);
    if (r == NULL)
        return NULL;
    r->on_line = on_line;
    r->idle_timeout_ms = idle_timeout_ms;
    apiclient_send(r);
    return r;
}

void apiclient_stream_on_open(apiclient_req *r, apiclient_open_cb on_open)
{
    r->on_open = on_open;
}
