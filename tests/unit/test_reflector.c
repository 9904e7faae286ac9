/* Unit tests for reflector through apiclient against recorded API server transcripts
 * (tests/unit/transcript.c): paging, watch events in any split, resumes, 410, backoff, Retry-After. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/reflector.h"
#include "net/http_buf.h"
#include "transcript.h"
#include "unit.h"

/* ---- recorded bodies ---- */

#define TR_SVC(name, rv)                                                                                  \
    "{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"" name                        \
    "\",\"namespace\":\"demo\",\"resourceVersion\":\"" rv "\"},\"spec\":{\"ports\":[{\"port\":80}]}}"
#define TR_EVENT(type, name, rv) "{\"type\":\"" type "\",\"object\":" TR_SVC(name, rv) "}\n"
#define TR_BOOKMARK(rv)                                                                                   \
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Service\",\"apiVersion\":\"v1\",\"metadata\":{"        \
    "\"resourceVersion\":\"" rv "\"}}}\n"
#define TR_LIST(rv, more, items)                                                                          \
    "{\"kind\":\"ServiceList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" rv "\"" more   \
    "},\"items\":[" items "]}"
#define TR_STATUS(code, reason, message)                                                                  \
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\",\"message\":\""   \
    message "\",\"reason\":\"" reason "\",\"code\":" #code "}"

#define TR_PATH "/api/v1/services"
#define TR_LIST_Q(...) {"limit=2", __VA_ARGS__}
#define TR_WATCH_Q(rv) {"watch=1", "allowWatchBookmarks=true", "resourceVersion=" rv, "timeoutSeconds"}

/* A one-page LIST answered whole. */
#define TR_LIST_STEP(rv, items)                                                                           \
    {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q(NULL), .status = 200, .body = TR_LIST(rv, "", items)}

/* An open watch that sends nothing more: where every scenario comes to rest. */
#define TR_WATCH_HOLD(rv)                                                                                 \
    {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q(rv), .status = 200, .chunked = true,          \
     .end = TRANSCRIPT_HOLD}

/* ---- the world: loop, server, client, reflector, and what the handlers saw ---- */

typedef struct {
    loop *l;
    transcript *t;
    apiclient_client *api;
    reflector *r;
    http_buf log; /* "begin|U a 3|...|end|synced|D b 13|failing 0 5|" */
    const char *want; /* transcript_wait: until log equals this */
} tr_world;

static void tr_logf(tr_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tr_logf(tr_world *w, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    CHECK(http_buf_puts(&w->log, line) == 0);
}

static void tr_on_list_begin(void *arg)
{
    tr_logf(arg, "begin|");
}

static void tr_on_object(void *arg, reflector_op op, const json_doc *doc, int obj)
{
    char name[64] = "?", rv[64] = "?";
    int meta = json_obj_get(doc, obj, "metadata");
    json_str_copy(doc, json_obj_get(doc, meta, "name"), name, sizeof name, NULL);
    json_str_copy(doc, json_obj_get(doc, meta, "resourceVersion"), rv, sizeof rv, NULL);
    tr_logf(arg, "%s %s %s|", op == REFLECTOR_DELETE ? "D" : "U", name, rv);
}

static void tr_on_list_end(void *arg)
{
    tr_logf(arg, "end|");
}

static void tr_on_state(void *arg, reflector_state state, int status, conn_error transport, const char *reason)
{
    (void)reason;
    if (state == REFLECTOR_SYNCED)
        tr_logf(arg, "synced|");
    else
        tr_logf(arg, "%s %d %d|", state == REFLECTOR_FAILING ? "failing" : "connecting", status, (int)transport);
}

static const reflector_handlers tr_handlers = {tr_on_list_begin, tr_on_object, tr_on_list_end, tr_on_state};

static void tr_stop(tr_world *w)
{
    reflector_free(w->r);
    apiclient_free(w->api);
    transcript_free(w->t);
    loop_free(w->l);
    http_buf_free(&w->log);
}

/* Starts the reflector against a server playing steps; -1 (everything freed) when it cannot. */
static int tr_start(tr_world *w, const transcript_step *steps, size_t n)
{
    memset(w, 0, sizeof *w);
    http_buf_init(&w->log);
    w->l = loop_new();
    w->t = w->l != NULL ? transcript_new(w->l, steps, n, false) : NULL;
    w->api = w->t != NULL ? transcript_client_new(w->t) : NULL;
    reflector_config cfg = {.path = TR_PATH, .page_limit = 2};
    w->r = w->api != NULL ? reflector_new(w->l, w->api, &cfg, &tr_handlers, w) : NULL;
    if (w->r == NULL) {
        tr_stop(w);
        return -1;
    }
    reflector_start(w->r);
    return 0;
}

static bool tr_log_is(void *arg)
{
    const tr_world *w = arg;
    return w->log.data != NULL && strcmp(w->log.data, w->want) == 0;
}

/* Runs until the handlers have seen exactly want and the server has read n requests; a
 * failure names label (the split, say) when there is one. */
static void tr_expect(tr_world *w, const char *label, const char *want, size_t n)
{
    w->want = want;
    transcript_wait(w->t, tr_log_is, w, want);
    transcript_wait_count(w->t, n);
    const char *sep = label != NULL ? ": " : "";
    label = label != NULL ? label : "";
    char what[1024];
    snprintf(what, sizeof what, "%s%s%s", label, sep, transcript_error(w->t));
    CHECK_MSG(transcript_ok(w->t), what);
    snprintf(what, sizeof what, "%s%sthe handlers saw %s", label, sep, w->log.data != NULL ? w->log.data : "nothing");
    CHECK_MSG(tr_log_is(w), what);
    snprintf(what, sizeof what, "%s%s%zu requests, not %zu", label, sep, transcript_count(w->t), n);
    CHECK_MSG(transcript_count(w->t) == n, what);
}

/* tr_start, then tr_expect; -1 (a failed check, nothing to free) when it cannot start. */
static int tr_run(tr_world *w, const char *label, const transcript_step *steps, size_t nsteps, const char *want,
                  size_t n)
{
    if (tr_start(w, steps, nsteps) != 0) {
        CHECK_MSG(false, "cannot build the loop, server, client and reflector");
        return -1;
    }
    tr_expect(w, label, want, n);
    return 0;
}

#define TR_COUNT(a) (sizeof(a) / sizeof(a)[0])

/* ---- a paginated list, then a watch, in every split ---- */

static const char tr_page1[] = TR_LIST("10", ",\"continue\":\"c1\"", TR_SVC("a", "3") "," TR_SVC("b", "4"));
static const char tr_page2[] = TR_LIST("10", "", TR_SVC("c", "5"));
static const char tr_events[] = TR_EVENT("ADDED", "d", "11") TR_EVENT("MODIFIED", "a", "12")
    TR_EVENT("DELETED", "b", "13") TR_BOOKMARK("20");

typedef struct {
    const char *name;
    size_t chunk_size, record_size;
    uint32_t pause_ms;
} tr_split;

/* The same bytes whole, in chunks of 1 and 7 bytes, in records of 3 bytes that cut the
 * chunk framing itself, and in small chunks with a timer between records. */
static const tr_split tr_splits[] = {
    {"whole", 0, 0, 0}, {"chunks of 1", 1, 0, 0}, {"chunks of 7", 7, 0, 0},
    {"records of 3", 0, 3, 0}, {"chunks of 5, records of 2", 5, 2, 0}, {"chunks of 64, 1 ms pauses", 64, 0, 1},
};

UNIT_TEST(reflector_pages_then_watches_in_any_split)
{
    const char *want = "begin|U a 3|U b 4|U c 5|end|synced|U d 11|U a 12|D b 13|";
    for (size_t i = 0; i < sizeof tr_splits / sizeof tr_splits[0]; i++) {
        const tr_split *sp = &tr_splits[i];
        transcript_step steps[] = {
            {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q(NULL), .status = 200, .body = tr_page1},
            {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q("continue=c1"), .status = 200, .body = tr_page2},
            {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .body = tr_events},
            /* The server ended the stream: resumed from the bookmark, with no new list. */
            TR_WATCH_HOLD("20"),
        };
        for (size_t s = 0; s < 3; s++) {
            steps[s].chunked = true;
            steps[s].chunk_size = sp->chunk_size;
            steps[s].record_size = sp->record_size;
            steps[s].pause_ms = sp->pause_ms;
        }
        tr_world w;
        if (tr_run(&w, sp->name, steps, TR_COUNT(steps), want, 4) != 0)
            return;
        CHECK_STR_EQ(reflector_resource_version(w.r), "20");
        const reflector_stats *st = reflector_get_stats(w.r);
        CHECK_MSG(st->lists == 2 && st->relists == 0 && st->watches == 2 && st->events == 3 && st->failures == 0,
                  sp->name);
        CHECK(reflector_get_state(w.r) == REFLECTOR_SYNCED);
        tr_stop(&w);
    }
}

/* ---- 410 Gone: as an HTTP status and as an ERROR event, each leads to a new list ---- */

UNIT_TEST(reflector_lists_again_on_410_status)
{
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 410,
         .body = TR_STATUS(410, "Expired", "too old resource version: 10 (15)")},
        TR_LIST_STEP("16", TR_SVC("a", "14")),
        TR_WATCH_HOLD("16"),
    };
    /* No failure reported and no backoff: an expiry is not an error. The first watch was
     * refused, so synced comes with the second. */
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), "begin|U a 3|end|begin|U a 14|end|synced|", 4) != 0)
        return;
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->gone == 1 && st->relists == 1 && st->failures == 0 && st->watches == 2);
    CHECK(strstr(transcript_request_at(w.t, 2)->target, "continue") == NULL);
    tr_stop(&w);
}

UNIT_TEST(reflector_lists_again_on_410_error_event)
{
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .chunked = true, .chunk_size = 9,
         .end = TRANSCRIPT_HOLD,
         .body = TR_EVENT("MODIFIED", "a", "12") "{\"type\":\"ERROR\",\"object\":" TR_STATUS(
             410, "Expired", "too old resource version: 12 (15)") "}\n" TR_EVENT("ADDED", "never", "13")},
        TR_LIST_STEP("16", TR_SVC("a", "14")),
        TR_WATCH_HOLD("16"),
    };
    /* The event before the ERROR counts; nothing after it does. */
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), "begin|U a 3|end|synced|U a 12|begin|U a 14|end|", 4) != 0)
        return;
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->gone == 1 && st->relists == 1 && st->failures == 0 && st->events == 1);
    tr_stop(&w);
}

/* A continue token that expired mid-list (410 on page 2) starts the list over. */
UNIT_TEST(reflector_restarts_a_list_whose_continue_expired)
{
    const transcript_step steps[] = {
        {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q(NULL), .status = 200, .body = tr_page1},
        {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q("continue=c1"), .status = 410,
         .body = TR_STATUS(410, "Expired", "The provided continue parameter is too old")},
        TR_LIST_STEP("16", TR_SVC("a", "14")),
        TR_WATCH_HOLD("16"),
    };
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), "begin|U a 3|U b 4|begin|U a 14|end|synced|", 4) != 0)
        return;
    CHECK(strstr(transcript_request_at(w.t, 2)->target, "continue") == NULL);
    CHECK(reflector_get_stats(w.r)->gone == 1);
    tr_stop(&w);
}

/* ---- the server ends a stream: resumed from the last event's resourceVersion ---- */

UNIT_TEST(reflector_resumes_a_stream_the_server_ended)
{
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        /* Ended as the API server ends a watch at timeoutSeconds, and the connection closed. */
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .chunked = true,
         .end = TRANSCRIPT_CLOSE, .body = TR_EVENT("ADDED", "d", "11") TR_EVENT("MODIFIED", "d", "15")},
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("15"), .status = 200, .chunked = true,
         .end = TRANSCRIPT_KEEP, .body = ""},
        TR_WATCH_HOLD("15"),
    };
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), "begin|U a 3|end|synced|U d 11|U d 15|", 4) != 0)
        return;
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->lists == 1 && st->watches == 3 && st->failures == 0);
    CHECK(transcript_request_at(w.t, 3)->conn == 2); /* the closed connection was not reused */
    tr_stop(&w);
}

/* ---- a connection cut in the middle of a chunk: backoff, then a watch from rv ---- */

UNIT_TEST(reflector_resumes_a_stream_cut_mid_chunk_after_backoff)
{
    /* Two events of the same length, one chunk each; the connection closes half way
     * through the second chunk. */
    static const char events[] = TR_EVENT("ADDED", "d", "11") TR_EVENT("ADDED", "e", "12");
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .chunked = true,
         .chunk_size = (sizeof events - 1) / 2, .end = TRANSCRIPT_CUT, .body = events},
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("11"), .status = 200, .chunked = true,
         .end = TRANSCRIPT_HOLD, .body = TR_EVENT("ADDED", "e", "12")},
    };
    /* The whole event went through, the half one never did; the failure is a transport
     * error; the watch resumes from the last whole event (no list) and is synced once the
     * server accepts it. */
    char want[256];
    snprintf(want, sizeof want, "begin|U a 3|end|synced|U d 11|failing 0 %d|synced|U e 12|", (int)CONN_ERR_IO);
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), want, 3) != 0)
        return;
    /* The watch came after the backoff (500 ms, jitter +-20 %), not at once. */
    uint64_t gap = transcript_request_at(w.t, 2)->at_ms - transcript_request_at(w.t, 1)->at_ms;
    CHECK(gap >= 400);
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->failures == 1 && st->events == 2 && st->relists == 0 && st->lists == 1 && st->watches == 2);
    tr_stop(&w);
}

/* ---- the resumed watch meets 410: the rv is gone, so it lists ---- */

UNIT_TEST(reflector_lists_when_a_resumed_watch_is_gone)
{
    static const char events[] = TR_EVENT("ADDED", "d", "11") TR_EVENT("ADDED", "e", "12");
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .chunked = true,
         .chunk_size = (sizeof events - 1) / 2, .end = TRANSCRIPT_CUT, .body = events},
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("11"), .status = 410,
         .body = TR_STATUS(410, "Expired", "too old resource version: 11 (20)")},
        {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q(NULL), .status = 200,
         .body = TR_LIST("20", "", TR_SVC("a", "3") "," TR_SVC("e", "12"))},
        TR_WATCH_HOLD("20"),
    };
    char want[256];
    snprintf(want, sizeof want, "begin|U a 3|end|synced|U d 11|failing 0 %d|begin|U a 3|U e 12|end|synced|",
             (int)CONN_ERR_IO);
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), want, 5) != 0)
        return;
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->gone == 1 && st->relists == 1 && st->failures == 1);
    tr_stop(&w);
}

/* ---- lists, but every watch is refused: failing with one reason, lists paced by the backoff ---- */

UNIT_TEST(reflector_stays_failing_when_every_watch_is_refused)
{
#define TR_WATCH_403(rv)                                                                                  \
    {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q(rv), .status = 403,                           \
     .body = TR_STATUS(403, "Forbidden", "services is forbidden: cannot watch")}
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")), TR_WATCH_403("10"),
        TR_LIST_STEP("11", TR_SVC("a", "3")), TR_WATCH_403("11"),
        TR_LIST_STEP("12", TR_SVC("a", "3")), TR_WATCH_HOLD("12"),
    };
#undef TR_WATCH_403
    /* Never synced in between: a list alone is not a watch. */
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps),
               "begin|U a 3|end|failing 403 0|begin|U a 3|end|failing 403 0|begin|U a 3|end|synced|", 6) != 0)
        return;
    /* The backoff was not reset by the lists: 0.5 s, then 1 s (jitter +-20 %). */
    uint64_t gap1 = transcript_request_at(w.t, 2)->at_ms - transcript_request_at(w.t, 1)->at_ms;
    uint64_t gap2 = transcript_request_at(w.t, 4)->at_ms - transcript_request_at(w.t, 3)->at_ms;
    CHECK_MSG(gap1 >= 400 && gap2 >= 800, "the lists came too soon after the refused watches");
    tr_stop(&w);
}

/* ---- reflector_rewatch: the open watch goes, a new one from rv at once ---- */

UNIT_TEST(reflector_rewatch_resumes_from_rv_at_once)
{
    const transcript_step steps[] = {
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("10"), .status = 200, .chunked = true,
         .end = TRANSCRIPT_HOLD, .body = TR_EVENT("ADDED", "d", "11")},
        {.method = "GET", .path = TR_PATH, .query = TR_WATCH_Q("11"), .status = 200, .chunked = true,
         .end = TRANSCRIPT_HOLD, .body = TR_EVENT("ADDED", "e", "12")},
    };
    tr_world w;
    if (tr_start(&w, steps, TR_COUNT(steps)) != 0) {
        CHECK_MSG(false, "cannot build the loop, server, client and reflector");
        return;
    }
    tr_expect(&w, "watching", "begin|U a 3|end|synced|U d 11|", 2);
    CHECK(reflector_rewatch(w.r) == 0);
    /* No failure is reported; synced again once the new watch is accepted. */
    tr_expect(&w, "rewatched", "begin|U a 3|end|synced|U d 11|synced|U e 12|", 3);
    const reflector_stats *st = reflector_get_stats(w.r);
    CHECK(st->lists == 1 && st->watches == 2 && st->failures == 0);
    tr_stop(&w);
}

/* ---- 429 with Retry-After: the next request waits that long ---- */

UNIT_TEST(reflector_honours_retry_after)
{
    const transcript_step steps[] = {
        {.method = "GET", .path = TR_PATH, .query = TR_LIST_Q(NULL), .status = 429, .headers = "Retry-After: 1\r\n",
         .body = TR_STATUS(429, "TooManyRequests", "slow down")},
        TR_LIST_STEP("10", TR_SVC("a", "3")),
        TR_WATCH_HOLD("10"),
    };
    tr_world w;
    if (tr_run(&w, NULL, steps, TR_COUNT(steps), "begin|failing 429 0|begin|U a 3|end|synced|", 3) != 0)
        return;
    /* One second asked for, more than the first backoff step (at most 600 ms) would wait. */
    uint64_t gap = transcript_request_at(w.t, 1)->at_ms - transcript_request_at(w.t, 0)->at_ms;
    CHECK(gap >= 1000);
    tr_stop(&w);
}
