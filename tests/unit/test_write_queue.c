/* Unit tests for write_queue through apiclient against a scripted server (tests/unit/transcript.c):
 * leadership, order, the in-flight bound, one answer per write, dropped connections, freeing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transcript.h"
#include "unit.h"
#include "write/write_queue.h"

#define TW_PATH "/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices/"
#define TW_MAX 16

typedef struct {
    loop *l;
    transcript *t;
    apiclient_client *api;
    write_queue q;
    /* Every answer the done callback saw, in order. */
    char names[TW_MAX][254];
    int status[TW_MAX];
    conn_error transport[TW_MAX];
    size_t answers;
} tw_world;

static void tw_done(void *arg, const write_queue_op *op, const apiclient_response *resp)
{
    tw_world *w = arg;
    CHECK(w->answers < TW_MAX);
    if (w->answers >= TW_MAX)
        return;
    snprintf(w->names[w->answers], sizeof w->names[0], "%s", op->name);
    w->status[w->answers] = resp->status;
    w->transport[w->answers] = resp->transport;
    w->answers++;
}

/* write_queue_free first: the client then cancels what is in flight without calling back. */
static void tw_stop(tw_world *w)
{
    write_queue_free(&w->q);
    apiclient_free(w->api);
    transcript_free(w->t);
    loop_free(w->l);
}

/* A follower's queue writing to a server playing steps; -1 (everything freed) when it cannot. */
static int tw_start(tw_world *w, const transcript_step *steps, size_t n)
{
    memset(w, 0, sizeof *w);
    w->l = loop_new();
    w->t = w->l != NULL ? transcript_new(w->l, steps, n, true) : NULL;
    w->api = w->t != NULL ? transcript_client_new(w->t) : NULL;
    write_queue_init(&w->q, w->api, tw_done, w);
    if (w->api == NULL) {
        tw_stop(w);
        return -1;
    }
    return 0;
}

/* Queues a PUT of slice `name` with a small body naming it. */
static int tw_write(tw_world *w, const char *name)
{
    char path[128], body[64];
    snprintf(path, sizeof path, TW_PATH "%s", name);
    int n = snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"%s\"}}", name);
    char *owned = strdup(body);
    if (owned == NULL)
        return -1;
    write_queue_request r = {.what = WRITE_QUEUE_SLICE, .method = "PUT", .path = path, .ctype = "application/json",
                             .kind = "EndpointSlice", .ns = "demo", .name = name, .key = "demo/web", .link = "a"};
    return write_queue_write(&w->q, &r, owned, (size_t)n);
}

typedef struct {
    const tw_world *w;
    size_t n;
} tw_answers_wait;

static bool tw_answered(void *arg)
{
    const tw_answers_wait *a = arg;
    return a->w->answers >= a->n;
}

static int tw_wait_answers(tw_world *w, size_t n)
{
    tw_answers_wait a = {w, n};
    return transcript_wait(w->t, tw_answered, &a, "the answers");
}

/* The status the done callback saw for name, -1 when none; also counts how often. */
static int tw_status_of(const tw_world *w, const char *name, int *times)
{
    int status = -1;
    *times = 0;
    for (size_t i = 0; i < w->answers; i++) {
        if (strcmp(w->names[i], name) == 0) {
            status = w->status[i];
            (*times)++;
        }
    }
    return status;
}

/* The index of the write a request was for ("w3" -> 3), -1 when it is none of them. */
static int tw_which(const transcript_request *r)
{
    const char *name = strrchr(r->target, '/');
    if (name == NULL || name[1] != 'w' || name[2] < '0' || name[2] > '9' || name[3] != '\0')
        return -1;
    return name[2] - '0';
}

#define TW_STEP(name, code)                                                                              \
    {.method = "PUT", .path = TW_PATH name, .status = code, .held = true,                                \
     .body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"code\":" #code "}"}

/* Ten writes: a follower sends none; once leading, eight go out (the bound), the rest one
 * per answer, in the order queued; each answer reaches the callback once, with its status. */
UNIT_TEST(write_queue_leads_orders_and_bounds)
{
    static const transcript_step steps[] = {
        TW_STEP("w0", 200), TW_STEP("w1", 201), TW_STEP("w2", 409), TW_STEP("w3", 500), TW_STEP("w4", 404),
        TW_STEP("w5", 422), TW_STEP("w6", 200), TW_STEP("w7", 201), TW_STEP("w8", 503), TW_STEP("w9", 200),
    };
    static const int want[10] = {200, 201, 409, 500, 404, 422, 200, 201, 503, 200};
    tw_world w;
    if (tw_start(&w, steps, sizeof steps / sizeof steps[0]) != 0) {
        CHECK_MSG(false, "cannot build the loop, server and client");
        return;
    }
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        CHECK(tw_write(&w, name) == 0);
    }
    /* A follower: nothing leaves, however long the loop runs. */
    transcript_run_for(w.t, 100);
    CHECK(transcript_count(w.t) == 0 && apiclient_get_stats(w.api)->requests == 0);
    CHECK(write_queue_queued(&w.q) == 10 && write_queue_idle(&w.q));

    write_queue_set_leading(&w.q, true);
    CHECK(w.q.in_flight == WRITE_QUEUE_MAX_IN_FLIGHT && write_queue_queued(&w.q) == 2);
    CHECK(transcript_wait_count(w.t, WRITE_QUEUE_MAX_IN_FLIGHT) == 0);
    /* The eight in flight are the first eight queued, each once, with its body. */
    unsigned seen = 0;
    for (size_t i = 0; i < transcript_count(w.t); i++) {
        const transcript_request *r = transcript_request_at(w.t, i);
        int k = tw_which(r);
        CHECK(k >= 0 && k < WRITE_QUEUE_MAX_IN_FLIGHT && (seen & (1u << k)) == 0);
        if (k >= 0)
            seen |= 1u << k;
        char body[64];
        snprintf(body, sizeof body, "{\"metadata\":{\"name\":\"w%d\"}}", k);
        CHECK_STR_EQ(r->body, body);
    }
    CHECK(transcript_held(w.t) == WRITE_QUEUE_MAX_IN_FLIGHT && w.answers == 0);
    /* One answer lets exactly the next write out: w8, then w9. */
    transcript_release(w.t, 1);
    CHECK(tw_wait_answers(&w, 1) == 0 && transcript_wait_count(w.t, 9) == 0);
    CHECK(tw_which(transcript_request_at(w.t, 8)) == 8);
    transcript_release(w.t, 1);
    CHECK(tw_wait_answers(&w, 2) == 0 && transcript_wait_count(w.t, 10) == 0);
    CHECK(tw_which(transcript_request_at(w.t, 9)) == 9);
    transcript_release(w.t, 8);
    CHECK(tw_wait_answers(&w, 10) == 0);
    for (int i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "w%d", i);
        int times = 0;
        CHECK_MSG(tw_status_of(&w, name, &times) == want[i] && times == 1, name);
    }
    CHECK(write_queue_idle(&w.q) && write_queue_queued(&w.q) == 0 && w.q.sent == NULL);
    CHECK(transcript_count(w.t) == 10);
    CHECK_MSG(transcript_ok(w.t), transcript_error(w.t));
    tw_stop(&w);
}

/* A connection closed before any byte of the answer gets the request sent once more on a
 * fresh one (apiclient does this for a fresh connection too, not only for a kept-alive one);
 * closed again, or closed after part of the answer, the callback gets status 0. */
UNIT_TEST(write_queue_dropped_connection_answers_status_0)
{
    static const transcript_step steps[] = {
        {.method = "PUT", .path = TW_PATH "w0", .end = TRANSCRIPT_DROP},
        {.method = "PUT", .path = TW_PATH "w0", .end = TRANSCRIPT_DROP},
        {.method = "PUT", .path = TW_PATH "w1", .status = 200, .end = TRANSCRIPT_CUT,
         .body = "{\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"w1\",\"resourceVersion\":\"9\"}}"},
    };
    tw_world w;
    if (tw_start(&w, steps, sizeof steps / sizeof steps[0]) != 0) {
        CHECK_MSG(false, "cannot build the loop, server and client");
        return;
    }
    write_queue_set_leading(&w.q, true);
    CHECK(tw_write(&w, "w0") == 0 && tw_write(&w, "w1") == 0);
    CHECK(tw_wait_answers(&w, 2) == 0);
    int times = 0;
    CHECK(tw_status_of(&w, "w0", &times) == 0 && times == 1);
    CHECK(tw_status_of(&w, "w1", &times) == 0 && times == 1);
    for (size_t i = 0; i < w.answers; i++)
        CHECK(w.transport[i] == CONN_ERR_IO);
    CHECK(transcript_count(w.t) == 3); /* w0 twice, w1 once */
    CHECK(write_queue_idle(&w.q));
    CHECK_MSG(transcript_ok(w.t), transcript_error(w.t));
    tw_stop(&w);
}

/* Writes in flight when the queue is freed: freed with it (ASan's leak check), no callback. */
UNIT_TEST(write_queue_free_releases_writes_in_flight)
{
    static const transcript_step steps[] = {TW_STEP("w0", 200), TW_STEP("w1", 200), TW_STEP("w2", 200)};
    tw_world w;
    if (tw_start(&w, steps, sizeof steps / sizeof steps[0]) != 0) {
        CHECK_MSG(false, "cannot build the loop, server and client");
        return;
    }
    write_queue_set_leading(&w.q, true);
    CHECK(tw_write(&w, "w0") == 0 && tw_write(&w, "w1") == 0 && tw_write(&w, "w2") == 0);
    CHECK(transcript_wait_count(w.t, 3) == 0);
    CHECK(w.q.in_flight == 3 && w.q.sent != NULL);
    write_queue_free(&w.q);
    CHECK(w.q.in_flight == 0 && w.q.sent == NULL && w.answers == 0);
    apiclient_free(w.api);
    w.api = NULL;
    CHECK(w.answers == 0);
    CHECK_MSG(transcript_ok(w.t), transcript_error(w.t));
    tw_stop(&w);
}
