/* reflector: the list/watch state machine. Its only state is the last resourceVersion and the
 * request in flight; objects go straight to the owner, who keeps what it needs of them. */
#include "kube/reflector.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/backoff.h"
#include "net/http_buf.h"
#include "net/http_request.h"
#include "kube/list_frame.h"
#include "base/log.h"
#include "base/metrics.h"
#include "kube/watch_event.h"

#define REFLECTOR_PATH_MAX 2048
/* How long a silent dead watch can go unnoticed: the server ends each watch after
 * timeoutSeconds (60 s plus up to a fifth for jitter), so a stream silent for that plus
 * the grace is dead. The bound, at most 82 s, is in docs/operations.md. */
#define REFLECTOR_WATCH_TIMEOUT_S 60
#define REFLECTOR_SILENCE_GRACE_S 10
#define REFLECTOR_CONTINUE_MAX 4096
/* Tokens of one item or watch event (20 bytes each). An EndpointSlice at its maximum of
 * 1000 endpoints needs about 30,000, so this leaves room while keeping a hostile item of
 * tiny tokens ("[0,0,0,...]") from costing more than about 1.3 MiB of tokens. */
#define REFLECTOR_ITEM_TOKENS_MAX 65536

struct reflector {
    loop *l;
    apiclient_client *api;
    char *path;
    char *selector_q;      /* "&labelSelector=...&fieldSelector=..." already encoded, or "" */
    uint32_t page_limit, watch_timeout_s;
    bool list_only;
    reflector_handlers h;
    void *arg;
    reflector_state state;
    char rv[WATCH_EVENT_RV_SIZE];
    char *continue_token;  /* next LIST page, or NULL */
    apiclient_req *req;
    loop_timer_id timer;
    backoff retry;
    bool listed_once;
    bool resume;           /* the next attempt watches from rv instead of listing */
    bool watching;         /* req is a watch stream */
    json_doc doc;          /* reused for every item and event, so tokens are allocated once */
    list_frame frame;          /* the LIST page being received */
    char page_rv[WATCH_EVENT_RV_SIZE]; /* the page's metadata, taken as it arrives */
    char *page_continue;   /* owned, or NULL */
    bool refused;          /* reflector_refuse was called during on_object */
    char refusal[256];
    reflector_stats stats;
};

static void reflector_list(reflector *r);
static void reflector_watch(reflector *r);

/* One more of a per-cluster, per-resource counter (lists, watch restarts). */
static void reflector_count(const reflector *r, metrics_family f)
{
    const char *slash = strrchr(r->path, '/');
    char labels[400];
    metrics_labels(labels, sizeof labels, "cluster", apiclient_name(r->api), "resource",
                   slash != NULL ? slash + 1 : r->path, NULL);
    metrics_add(f, labels, 1);
}

static void reflector_set_state(reflector *r, reflector_state st, int status, conn_error transport, const char *reason)
{
    if (st == r->state && st != REFLECTOR_FAILING)
        return;
    r->state = st;
    if (r->h.on_state != NULL)
        r->h.on_state(r->arg, st, status, transport, reason);
}

static void reflector_on_timer(loop *l, void *arg)
{
    (void)l;
    reflector *r = arg;
    r->timer = 0;
    if (r->resume) {
        r->resume = false;
        reflector_watch(r);
        return;
    }
    reflector_list(r);
}

/* Failure: report it and list again after a capped exponential backoff with jitter, or
 * after the server's Retry-After when it gave one. */
static void reflector_retry_later(reflector *r, const apiclient_response *resp)
{
    r->stats.failures++;
    r->resume = false;
    reflector_set_state(r, REFLECTOR_FAILING, resp->status, resp->transport, resp->error);
    uint32_t delay = backoff_next(&r->retry, resp->retry_after);
    free(r->continue_token);
    r->continue_token = NULL;
    r->timer = loop_timer_add(r->l, delay, reflector_on_timer, r);
}

/* ---- LIST ---- */

/* The page's metadata: its resourceVersion and continue token, kept until the page ends. */
static int reflector_take_list_meta(reflector *r, const char *text, size_t len, char *err, size_t errlen)
{
    char jerr[160];
    if (json_parse(&r->doc, text, len, jerr, sizeof jerr) != 0) {
        snprintf(err, errlen, "the list's metadata: %s", jerr);
        return -1;
    }
    if (json_str_copy(&r->doc, json_obj_get(&r->doc, 0, "resourceVersion"), r->page_rv, sizeof r->page_rv, NULL) != 0) {
        snprintf(err, errlen, "the list has no usable metadata.resourceVersion");
        return -1;
    }
    char token[REFLECTOR_CONTINUE_MAX];
    int cont = json_obj_get(&r->doc, 0, "continue");
    if (cont >= 0 && json_str_copy(&r->doc, cont, token, sizeof token, NULL) == 0 && token[0] != '\0') {
        r->page_continue = strdup(token);
        if (r->page_continue == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* One framed piece of a LIST page: each item is parsed alone and handed on at once, so
 * a page costs one item of memory, not one body. */
static int reflector_on_frame(void *arg, list_frame_kind kind, const char *text, size_t len, char *err, size_t errlen)
{
    reflector *r = arg;
    if (kind == LIST_FRAME_META)
        return reflector_take_list_meta(r, text, len, err, errlen);
    char jerr[160];
    if (json_parse(&r->doc, text, len, jerr, sizeof jerr) != 0) {
        snprintf(err, errlen, "items[%llu]: %s", (unsigned long long)r->frame.items, jerr);
        return -1;
    }
    r->refused = false;
    r->h.on_object(r->arg, REFLECTOR_UPSERT, &r->doc, 0);
    if (r->refused) {
        snprintf(err, errlen, "%s", r->refusal);
        return -1;
    }
    return 0;
}

static int reflector_on_body(void *arg, const char *data, size_t len, char *why, size_t whylen)
{
    reflector *r = arg;
    if (list_frame_feed(&r->frame, data, len, reflector_on_frame, r) != 0) {
        snprintf(why, whylen, "%s", r->frame.error);
        return -1;
    }
    return 0;
}

/* The page ended: it must have been a whole list with a resourceVersion. */
static int reflector_end_list_page(reflector *r, char *err, size_t errlen)
{
    if (list_frame_finish(&r->frame) != 0) {
        snprintf(err, errlen, "%s", r->frame.error);
        return -1;
    }
    if (r->page_rv[0] == '\0') {
        snprintf(err, errlen, "the list has no usable metadata.resourceVersion");
        return -1;
    }
    memcpy(r->rv, r->page_rv, sizeof r->rv);
    free(r->continue_token);
    r->continue_token = r->page_continue;
    r->page_continue = NULL;
    return 0;
}

static void reflector_on_list(void *arg, const apiclient_response *resp)
{
    reflector *r = arg;
    r->req = NULL;
    if (resp->status == 410) {
        /* The continue token expired mid-list: start the list over. */
        r->stats.gone++;
        free(r->continue_token);
        r->continue_token = NULL;
        reflector_list(r);
        return;
    }
    if (resp->status != 200) {
        reflector_retry_later(r, resp);
        return;
    }
    char err[256];
    int rc = reflector_end_list_page(r, err, sizeof err);
    list_frame_reset(&r->frame);
    if (rc != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: LIST %s: %s", apiclient_name(r->api), r->path, err);
        apiclient_response bad = *resp;
        bad.error = msg;
        reflector_retry_later(r, &bad);
        return;
    }
    if (r->continue_token != NULL) {
        reflector_list(r);
        return;
    }
    r->h.on_list_end(r->arg);
    r->listed_once = true;
    if (r->list_only) {
        backoff_reset(&r->retry);
        reflector_set_state(r, REFLECTOR_SYNCED, 200, CONN_OK, "");
        return;
    }
    /* Synced, and the backoff reset, once the server accepts the watch that follows: a
     * server that lists but refuses every watch (RBAC without "watch", say) then leaves
     * the reflector failing with one reason, listed again at the backoff's pace, instead
     * of flipping between synced and failing with a list every half second. */
    reflector_watch(r);
}

static void reflector_list(reflector *r)
{
    char path[REFLECTOR_PATH_MAX];
    http_buf q;
    http_buf_init(&q);
    if (r->continue_token != NULL) {
        http_buf_append(&q, "&continue=", 10);
        http_request_query_escape(&q, r->continue_token, strlen(r->continue_token));
    } else {
        if (r->listed_once)
            r->stats.relists++;
        reflector_count(r, METRICS_LISTS);
        r->h.on_list_begin(r->arg);
    }
    int n = snprintf(path, sizeof path, "%s?limit=%u%s%s", r->path, r->page_limit, r->selector_q,
                     q.data != NULL ? q.data : "");
    http_buf_free(&q);
    if (n < 0 || (size_t)n >= sizeof path) {
        apiclient_response resp = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1,
                              .error = "the list path is too long"};
        reflector_retry_later(r, &resp);
        return;
    }
    r->stats.lists++;
    list_frame_reset(&r->frame);
    r->page_rv[0] = '\0';
    free(r->page_continue);
    r->page_continue = NULL;
    r->req = apiclient_get_body(r->api, path, reflector_on_body, reflector_on_list, r);
    if (r->req == NULL) {
        apiclient_response resp = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        reflector_retry_later(r, &resp);
    }
}

/* ---- WATCH ---- */

/* 410 Gone: the resourceVersion was compacted away (or the server restarted with a newer
 * cache), so only a fresh list is consistent. Logged: it is rare, costs a full list, and
 * is how an operator (and the chaos suite) tells an expiry from a plain reconnect. */
static void reflector_expired(reflector *r)
{
    r->stats.gone++;
    log_kv(LOG_INFO, "watch expired, listing again", "cluster", apiclient_name(r->api), "path", r->path, "rv", r->rv,
           NULL);
    reflector_list(r);
}

static void reflector_on_line(void *arg, const char *line, size_t len)
{
    reflector *r = arg;
    watch_event_event ev;
    char err[256];
    if (watch_event_decode(line, len, &r->doc, &ev, err, sizeof err) != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s: WATCH %s: undecodable event: %s", apiclient_name(r->api), r->path, err);
        apiclient_cancel(r->req);
        r->req = NULL;
        r->watching = false;
        apiclient_response resp = {.status = 200, .transport = CONN_ERR_IO, .retry_after = -1, .error = msg};
        reflector_retry_later(r, &resp);
        return;
    }
    switch (ev.type) {
    case WATCH_EVENT_ADDED:
    case WATCH_EVENT_MODIFIED:
    case WATCH_EVENT_DELETED:
        r->stats.events++;
        r->refused = false;
        r->h.on_object(r->arg, ev.type == WATCH_EVENT_DELETED ? REFLECTOR_DELETE : REFLECTOR_UPSERT, &r->doc, ev.object);
        if (r->refused) {
            char msg[600];
            snprintf(msg, sizeof msg, "%s: WATCH %s: %s", apiclient_name(r->api), r->path, r->refusal);
            apiclient_cancel(r->req);
            r->req = NULL;
            r->watching = false;
            apiclient_response resp = {.status = 0, .transport = CONN_OK, .retry_after = -1, .error = msg};
            reflector_retry_later(r, &resp);
            return;
        }
        memcpy(r->rv, ev.resource_version, sizeof r->rv);
        break;
    case WATCH_EVENT_BOOKMARK:
        memcpy(r->rv, ev.resource_version, sizeof r->rv);
        break;
    case WATCH_EVENT_ERROR:
    default: {
        apiclient_cancel(r->req);
        r->req = NULL;
        r->watching = false;
        if (watch_event_is_gone(&ev)) {
            reflector_expired(r);
            return;
        }
        char msg[800];
        snprintf(msg, sizeof msg, "%s: WATCH %s: %d %s: %s", apiclient_name(r->api), r->path, ev.status.code,
                 ev.status.reason, ev.status.message);
        apiclient_response resp = {.status = ev.status.code, .transport = CONN_OK, .retry_after = -1, .error = msg};
        reflector_retry_later(r, &resp);
        return;
    }
    }
}

static void reflector_on_watch_end(void *arg, const apiclient_response *resp)
{
    reflector *r = arg;
    r->req = NULL;
    r->watching = false;
    if (resp->status == 200 && resp->transport == CONN_OK) {
        reflector_watch(r); /* the server ended the stream (timeoutSeconds): resume from rv */
        return;
    }
    if (resp->status == 410) {
        reflector_expired(r);
        return;
    }
    reflector_retry_later(r, resp);
    /* The connection failed (reset, refused, silent past the bound): every event up to rv
     * was applied whole, so a watch from rv misses nothing, and costs no list. The server
     * answers 410 when it no longer has rv, and that lists. */
    if (resp->status == 0 && resp->transport != CONN_OK && r->rv[0] != '\0')
        r->resume = true;
}

/* A watch was accepted, after a list or resumed: the owner's objects plus what it brings
 * are the full set. */
static void reflector_on_watch_open(void *arg)
{
    reflector *r = arg;
    if (r->state == REFLECTOR_SYNCED)
        return;
    backoff_reset(&r->retry);
    reflector_set_state(r, REFLECTOR_SYNCED, 200, CONN_OK, "");
}

static void reflector_watch(reflector *r)
{
    char path[REFLECTOR_PATH_MAX];
    /* Jitter spreads the reconnects of many watches that started together. */
    uint32_t timeout = r->watch_timeout_s + backoff_rand(&r->retry, r->watch_timeout_s / 5 + 1);
    int n = snprintf(path, sizeof path, "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%u%s",
                     r->path, r->rv, timeout, r->selector_q);
    if (n < 0 || (size_t)n >= sizeof path) {
        apiclient_response resp = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1,
                              .error = "the watch path is too long"};
        reflector_retry_later(r, &resp);
        return;
    }
    r->stats.watches++;
    if (r->stats.watches > 1)
        reflector_count(r, METRICS_WATCH_RESTARTS);
    /* The server ends the stream at timeout; silence past it means the connection is dead
     * (a blackhole that keepalives cannot see: a proxy that still acknowledges). */
    r->req = apiclient_stream(r->api, path, (timeout + REFLECTOR_SILENCE_GRACE_S) * 1000u, reflector_on_line,
                              reflector_on_watch_end, r);
    if (r->req == NULL) {
        apiclient_response resp = {.status = 0, .transport = CONN_ERR_NOMEM, .retry_after = -1, .error = "out of memory"};
        reflector_retry_later(r, &resp);
        return;
    }
    r->watching = true;
    apiclient_stream_on_open(r->req, reflector_on_watch_open);
}

/* ---- lifetime ---- */

reflector *reflector_new(loop *l, apiclient_client *api, const reflector_config *cfg, const reflector_handlers *h, void *arg)
{
    reflector *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->l = l;
    r->api = api;
    r->h = *h;
    r->arg = arg;
    r->page_limit = cfg->page_limit ? cfg->page_limit : 500;
    r->watch_timeout_s = cfg->watch_timeout_s ? cfg->watch_timeout_s : REFLECTOR_WATCH_TIMEOUT_S;
    r->list_only = cfg->list_only;
    backoff_init(&r->retry, 500, cfg->backoff_max_ms ? cfg->backoff_max_ms : 30000,
                 (uint32_t)(loop_now_ms() ^ (uintptr_t)r));
    r->path = strdup(cfg->path);
    http_buf sel;
    http_buf_init(&sel);
    if (cfg->label_selector != NULL && cfg->label_selector[0] != '\0') {
        http_buf_append(&sel, "&labelSelector=", 15);
        http_request_query_escape(&sel, cfg->label_selector, strlen(cfg->label_selector));
    }
    if (cfg->field_selector != NULL && cfg->field_selector[0] != '\0') {
        http_buf_append(&sel, "&fieldSelector=", 15);
        http_request_query_escape(&sel, cfg->field_selector, strlen(cfg->field_selector));
    }
    r->selector_q = strdup(sel.data != NULL ? sel.data : "");
    http_buf_free(&sel);
    json_doc_init(&r->doc);
    r->doc.max_tokens = REFLECTOR_ITEM_TOKENS_MAX;
    list_frame_init(&r->frame, 0);
    if (r->path == NULL || r->selector_q == NULL) {
        reflector_free(r);
        return NULL;
    }
    return r;
}

void reflector_start(reflector *r)
{
    reflector_list(r);
}

void reflector_start_from(reflector *r, const char *rv)
{
    snprintf(r->rv, sizeof r->rv, "%s", rv);
    r->listed_once = true;
    reflector_watch(r);
}

void reflector_free(reflector *r)
{
    if (r == NULL)
        return;
    apiclient_cancel(r->req);
    if (r->timer != 0)
        loop_timer_cancel(r->l, r->timer);
    json_doc_free(&r->doc);
    list_frame_free(&r->frame);
    free(r->page_continue);
    free(r->continue_token);
    free(r->path);
    free(r->selector_q);
    free(r);
}

int reflector_rewatch(reflector *r)
{
    if (!r->watching || r->rv[0] == '\0')
        return -1;
    apiclient_cancel(r->req);
    r->req = NULL;
    r->watching = false;
    r->state = REFLECTOR_CONNECTING; /* quietly: the owner asked; SYNCED comes on open */
    reflector_watch(r);
    return 0;
}

void reflector_refuse(reflector *r, const char *reason)
{
    r->refused = true;
    snprintf(r->refusal, sizeof r->refusal, "%s", reason);
}

reflector_state reflector_get_state(const reflector *r)
{
    return r->state;
}

const char *reflector_resource_version(const reflector *r)
{
    return r->rv;
}

const reflector_stats *reflector_get_stats(const reflector *r)
{
    return &r->stats;
}
