/* Unit tests for apply and svc_write: each way a write can fail before the server is asked
 * releases what it claimed and retries; answers from a scripted server (201, 500, 409) are booked. */
#include <stdlib.h>
#include <string.h>

#include "cache/main_view.h"
#include "cache/remote_cache.h"
#include "net/loop.h"
#include "transcript.h"
#include "unit.h"
#include "write/apply.h"
#include "write/write_queue.h"

typedef struct {
    loop *l;
    main_view view;
    write_queue q;
    apply_state ap;
    int requeued;
} ta_world;

static void ta_requeue(void *arg, const char *ns, const char *svc)
{
    (void)ns;
    (void)svc;
    ((ta_world *)arg)->requeued++;
}

static void ta_done(void *arg, const write_queue_op *op, const apiclient_response *resp)
{
    (void)arg;
    (void)op;
    (void)resp;
}

/* A replica that does not lead: writes stay queued, nothing is sent. */
static int ta_init(ta_world *w)
{
    memset(w, 0, sizeof *w);
    w->l = loop_new();
    if (w->l == NULL)
        return -1;
    main_view_init(&w->view, NULL, NULL);
    write_queue_init(&w->q, NULL, ta_done, w);
    apply_init(&w->ap, w->l, &w->q, &w->view, ta_requeue, w);
    return 0;
}

static void ta_free(ta_world *w)
{
    apply_free(&w->ap);
    write_queue_free(&w->q);
    main_view_free(&w->view);
    loop_free(w->l);
}

static int ta_encode_fails(const slice_desc *d, const char *rv, char **body, size_t *len)
{
    (void)d;
    (void)rv;
    *body = NULL;
    *len = 0;
    return -1;
}

static int ta_enqueue_fails(write_queue *q, const write_queue_request *r, char *body, size_t body_len)
{
    (void)q;
    (void)r;
    (void)body_len;
    free(body); /* taken over, as write_queue_write does */
    return -1;
}

static plan_action ta_slice_action(void)
{
    plan_action a;
    memset(&a, 0, sizeof a);
    a.kind = PLAN_WRITE_SLICE;
    a.desc = (slice_desc){.ns = "demo", .name = "web-a-1", .service = "web", .link = "a", .owner_uid = "uid-1",
                          .addr_type = SLICE_ADDR_IPV4};
    return a;
}

/* Each step that can fail before the server is asked, broken in turn: the slice is not
 * left claimed, its Service waits for the retry timer, and the next try goes through. */
UNIT_TEST(b15_apply_failures_release_the_slice)
{
    static const apply_steps broken[] = {
        {.encode_slice = ta_encode_fails, .enqueue = write_queue_write},
        {.encode_slice = slice_desc_write, .enqueue = ta_enqueue_fails},
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        ta_world w;
        CHECK(ta_init(&w) == 0);
        plan_action a = ta_slice_action();
        w.ap.steps = broken[i];
        CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == -1);
        CHECK(!main_view_slice_writing(&w.view, "demo", "web-a-1"));
        CHECK(write_queue_queued(&w.q) == 0);
        CHECK(apply_retries(&w.ap) == 1);
        w.ap.steps = (apply_steps){.encode_slice = slice_desc_write, .enqueue = write_queue_write};
        CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
        CHECK(main_view_slice_writing(&w.view, "demo", "web-a-1"));
        CHECK(write_queue_queued(&w.q) == 1);
        ta_free(&w);
    }
}

UNIT_TEST(b15_apply_one_write_per_slice_until_answered)
{
    ta_world w;
    CHECK(ta_init(&w) == 0);
    plan_action a = ta_slice_action();
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(write_queue_queued(&w.q) == 1);
    /* A refused write (500) releases the slice and waits for the retry timer. */
    write_queue_op op;
    memset(&op, 0, sizeof op);
    op.what = WRITE_QUEUE_SLICE;
    strcpy(op.method, "POST");
    strcpy(op.kind, "EndpointSlice");
    strcpy(op.ns, "demo");
    strcpy(op.name, "web-a-1");
    strcpy(op.key, "demo/web");
    apiclient_response resp = {.status = 500, .retry_after = -1, .error = "boom"};
    apply_written(&w.ap, &op, &resp);
    CHECK(!main_view_slice_writing(&w.view, "demo", "web-a-1"));
    CHECK(apply_retries(&w.ap) == 1 && w.requeued == 0);
    /* A conflict releases it too, and waits for the watch or the retry timer: looked at
     * again at once it would repeat for as long as the view lags. */
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    resp.status = 409;
    apply_written(&w.ap, &op, &resp);
    CHECK(!main_view_slice_writing(&w.view, "demo", "web-a-1") && w.requeued == 0 && apply_retries(&w.ap) == 1);
    ta_free(&w);
}

UNIT_TEST(b15_apply_service_queue_refusal_releases_the_service)
{
    ta_world w;
    CHECK(ta_init(&w) == 0);
    remote_svc rsvc;
    memset(&rsvc, 0, sizeof rsvc);
    plan_action a;
    memset(&a, 0, sizeof a);
    a.kind = PLAN_CREATE_SERVICE;
    a.rsvc = &rsvc;
    a.link = "a";
    a.remote_ns = "demo";
    w.ap.steps.enqueue = ta_enqueue_fails;
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == -1);
    CHECK(strmap_get(&w.ap.pending_svc, "demo/web") == NULL);
    CHECK(apply_retries(&w.ap) == 1);
    w.ap.steps.enqueue = write_queue_write;
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(strmap_get(&w.ap.pending_svc, "demo/web") != NULL);
    CHECK(write_queue_queued(&w.q) == 2); /* the Namespace, then the Service */
    /* One Service write at a time: a second pass before the answer queues nothing. */
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(write_queue_queued(&w.q) == 2);
    ta_free(&w);
}

UNIT_TEST(apply_clearing_refused_is_tried_again)
{
    ta_world w;
    CHECK(ta_init(&w) == 0);
    plan_action a;
    memset(&a, 0, sizeof a);
    a.kind = PLAN_CLEAR_CONTROLLER_SLICES;
    w.ap.steps.enqueue = ta_enqueue_fails;
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == -1);
    CHECK(strmap_get(&w.ap.cleared, "demo/web") == NULL);
    w.ap.steps.enqueue = write_queue_write;
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(strmap_get(&w.ap.cleared, "demo/web") != NULL && write_queue_queued(&w.q) == 1);
    ta_free(&w);
}

/* ---- through the write queue to a scripted server (tests/unit/transcript.c) ---- */

typedef struct {
    ta_world base;
    transcript *t;
    apiclient_client *api;
    int answers;
    int requeued_at_answer; /* requeues seen when the answer had been booked */
    bool refused;           /* apply_written called it a refusal */
} ta_live;

static void ta_live_done(void *arg, const write_queue_op *op, const apiclient_response *resp)
{
    ta_live *w = arg;
    w->refused = apply_written(&w->base.ap, op, resp);
    w->answers++;
    w->requeued_at_answer = w->base.requeued;
}

/* The answer to a create: what was posted, with the server's resourceVersion and uid. */
static char *ta_echo_created(const transcript_request *req)
{
    static const char meta[] = "\"metadata\":{";
    static const char added[] = "\"resourceVersion\":\"777\",\"uid\":\"u-1\",";
    const char *at = strstr(req->body, meta);
    if (at == NULL)
        return NULL;
    size_t head = (size_t)(at - req->body) + sizeof meta - 1;
    char *out = malloc(req->body_len + sizeof added);
    if (out == NULL)
        return NULL;
    memcpy(out, req->body, head);
    memcpy(out + head, added, sizeof added - 1);
    memcpy(out + head + sizeof added - 1, req->body + head, req->body_len - head + 1);
    return out;
}

static void ta_live_stop(ta_live *w)
{
    apply_free(&w->base.ap);
    write_queue_free(&w->base.q);
    apiclient_free(w->api);
    main_view_free(&w->base.view);
    transcript_free(w->t);
    loop_free(w->base.l);
}

static bool ta_live_answered(void *arg)
{
    return ((ta_live *)arg)->answers > 0;
}

static bool ta_live_requeued(void *arg)
{
    return ((ta_live *)arg)->base.requeued > 0;
}

/* A leader's apply, write queue and main view, against a server that answers with step:
 * creates slice demo/web-a-1 and runs until the answer is booked. -1 when the world
 * cannot be built (then nothing is left to free). */
static int ta_live_create(ta_live *w, const transcript_step *step)
{
    memset(w, 0, sizeof *w);
    w->base.l = loop_new();
    w->t = w->base.l != NULL ? transcript_new(w->base.l, step, 1, false) : NULL;
    w->api = w->t != NULL ? transcript_client_new(w->t) : NULL;
    CHECK(w->api != NULL);
    if (w->api == NULL) {
        transcript_free(w->t);
        loop_free(w->base.l);
        return -1;
    }
    main_view_init(&w->base.view, NULL, NULL);
    write_queue_init(&w->base.q, w->api, ta_live_done, w);
    apply_init(&w->base.ap, w->base.l, &w->base.q, &w->base.view, ta_requeue, &w->base);
    write_queue_set_leading(&w->base.q, true);
    plan_action a = ta_slice_action();
    CHECK(apply_action(&w->base.ap, &a, "demo", "web", "demo/web") == 0);
    CHECK(main_view_slice_writing(&w->base.view, "demo", "web-a-1"));
    CHECK(transcript_wait(w->t, ta_live_answered, w, "the answer") == 0);
    CHECK(w->answers == 1 && transcript_count(w->t) == 1);
    const transcript_request *r = transcript_request_at(w->t, 0);
    CHECK(strcmp(r->method, "POST") == 0 && strstr(r->body, "\"name\":\"web-a-1\"") != NULL);
    CHECK(!main_view_slice_writing(&w->base.view, "demo", "web-a-1"));
    CHECK_MSG(transcript_ok(w->t), transcript_error(w->t));
    return 0;
}

#define TA_SLICES "/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices"
#define TA_STATUS(code) "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":" #code "}"

/* 201: the view holds the slice with the server's resourceVersion, and the Service is looked at again. */
UNIT_TEST(apply_created_slice_is_recorded_and_released)
{
    static const transcript_step step = {.method = "POST", .path = TA_SLICES, .status = 201, .body_fn = ta_echo_created};
    ta_live w;
    if (ta_live_create(&w, &step) != 0)
        return;
    const main_view_slice *s = main_view_slice_get(&w.base.view, "demo", "web-a-1");
    CHECK(s != NULL && strcmp(s->rv, "777") == 0 && strcmp(s->service, "web") == 0 && strcmp(s->link, "a") == 0);
    CHECK(w.requeued_at_answer == 1 && apply_retries(&w.base.ap) == 0);
    ta_live_stop(&w);
}

/* 500: not a refusal of svclink; nothing recorded, the claim released, the Service retried by the timer (500 ms), not at once. */
UNIT_TEST(apply_refused_slice_is_released_and_retried_later)
{
    static const transcript_step step = {.method = "POST", .path = TA_SLICES, .status = 500, .body = TA_STATUS(500)};
    ta_live w;
    uint64_t start = loop_now_ms();
    if (ta_live_create(&w, &step) != 0)
        return;
    CHECK(main_view_slice_get(&w.base.view, "demo", "web-a-1") == NULL);
    CHECK(w.requeued_at_answer == 0 && apply_retries(&w.base.ap) == 1 && w.base.ap.retry_timer != 0);
    CHECK(!w.refused);
    CHECK(transcript_wait(w.t, ta_live_requeued, &w, "the retry") == 0);
    CHECK(loop_now_ms() - start >= 500 && apply_retries(&w.base.ap) == 0);
    ta_live_stop(&w);
}

/* 409: nothing recorded, the claim released, the Service left to the watch and the retry
 * timer (looked at again at once, a lagging view made it a busy loop). */
UNIT_TEST(apply_conflicting_slice_waits_for_the_retry)
{
    static const transcript_step step = {.method = "POST", .path = TA_SLICES, .status = 409, .body = TA_STATUS(409)};
    ta_live w;
    if (ta_live_create(&w, &step) != 0)
        return;
    CHECK(main_view_slice_get(&w.base.view, "demo", "web-a-1") == NULL);
    CHECK(w.requeued_at_answer == 0 && apply_retries(&w.base.ap) == 1 && w.base.ap.retry_timer != 0);
    ta_live_stop(&w);
}

/* 403 from RBAC: the refusal is booked for readiness, naming the verb, resource and namespace. */
UNIT_TEST(b18_apply_forbidden_slice_is_named_for_readiness)
{
    static const transcript_step step = {.method = "POST", .path = TA_SLICES, .status = 403, .body = TA_STATUS(403)};
    ta_live w;
    if (ta_live_create(&w, &step) != 0)
        return;
    char why[160] = "";
    CHECK(write_refusals_current(&w.base.ap.refusals, loop_now_ms(), why, sizeof why));
    CHECK_STR_EQ(why, "create endpointslices (403 in namespace demo)");
    CHECK(w.refused && apply_retries(&w.base.ap) == 1);
    ta_live_stop(&w);
}
