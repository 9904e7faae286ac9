/* Unit tests for apply and svc_write: each way a write can fail before the server is asked
 * (encoding, queueing) releases what it claimed and schedules a retry; answers release too. */
#include <stdlib.h>
#include <string.h>

#include "cache/main_view.h"
#include "cache/remote_cache.h"
#include "net/loop.h"
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
    /* A conflict releases it too and looks again at once. */
    CHECK(apply_action(&w.ap, &a, "demo", "web", "demo/web") == 0);
    resp.status = 409;
    apply_written(&w.ap, &op, &resp);
    CHECK(!main_view_slice_writing(&w.view, "demo", "web-a-1") && w.requeued == 1);
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
