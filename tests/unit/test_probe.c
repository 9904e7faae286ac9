/* Unit tests for probe: k8s-svc-sync's /health and /ready beside svclink's own paths; /ready
 * also needs every link (but a disabled one) connected, and names the first that is not;
 * /leader in k8s-svc-sync's words for svclink mirror, JSON otherwise or when asked. */
#include "link/cluster_link.h"
#include "controller/probe.h"
#include "unit.h"

#include <stdlib.h>

/* The status; body and content type (when ctype is not NULL) copied out. */
static int tpr_ask(const probe_view *v, const char *path, const char *accept, char *body, size_t n, char *ctype,
                   size_t cn)
{
    httpd_reply r = {0};
    httpd_request req = {.path = path, .accept = accept};
    probe_reply(v, &req, &r);
    snprintf(body, n, "%.*s", (int)r.body_len, r.body != NULL ? r.body : "");
    if (ctype != NULL)
        snprintf(ctype, cn, "%s", r.content_type != NULL ? r.content_type : "");
    free(r.body);
    return r.status;
}

static int tpr_reply(const probe_view *v, const char *path, char *body, size_t n)
{
    return tpr_ask(v, path, "", body, n, NULL, 0);
}

UNIT_TEST(r10_probe_health_and_ready_paths)
{
    static const bool failing[3] = {false, false, false};
    strmap links;
    strmap_init(&links);
    cluster_link *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        return;
    }
    char an[] = "cluster-a", bn[] = "cluster-b";
    a->name = an;
    a->status.ready = true;
    b->name = bn;
    snprintf(b->status.reason, sizeof b->status.reason, "Unauthorized");
    strmap_put(&links, a->name, a, NULL);
    strmap_put(&links, b->name, b, NULL);
    probe_view v = {.links_synced = true, .svcs_synced = true, .slices_synced = true, .main_failing = failing,
                    .links = &links};
    char body[256];
    CHECK(tpr_reply(&v, "/health", body, sizeof body) == 200 && strcmp(body, "ok\n") == 0);
    CHECK(tpr_reply(&v, "/healthz", body, sizeof body) == 200);
    CHECK(tpr_reply(&v, "/readyz", body, sizeof body) == 200);
    CHECK(tpr_reply(&v, "/ready", body, sizeof body) == 503);
    CHECK_STR_EQ(body, "not ready: link cluster-b is Unauthorized\n");
    /* Disabled on purpose: not a reason to be unready. */
    snprintf(b->status.reason, sizeof b->status.reason, "Disabled");
    CHECK(tpr_reply(&v, "/ready", body, sizeof body) == 200);
    /* The main cluster comes first, for both. */
    v.svcs_synced = false;
    CHECK(tpr_reply(&v, "/ready", body, sizeof body) == 503);
    CHECK_STR_EQ(body, "not ready: the main cluster's services are not synced\n");
    CHECK(tpr_reply(&v, "/readyz", body, sizeof body) == 503);
    CHECK(tpr_reply(&v, "/nope", body, sizeof body) == 404 && strstr(body, "/health, /ready") != NULL);
    /* Synced, but a safety input is missing (no RBAC on nodes): nothing is written, so
     * readiness says so, naming what to grant; /ready as well. */
    v.svcs_synced = true;
    snprintf(b->status.reason, sizeof b->status.reason, "Disabled");
    CHECK(tpr_reply(&v, "/readyz", body, sizeof body) == 200);
    v.blocked = "the address policy cannot list nodes (HTTP 403): grant list and watch on nodes";
    CHECK(tpr_reply(&v, "/readyz", body, sizeof body) == 503);
    CHECK_STR_EQ(body, "not ready: the address policy cannot list nodes (HTTP 403): grant list and watch on nodes\n");
    CHECK(tpr_reply(&v, "/ready", body, sizeof body) == 503 && strstr(body, "grant list and watch on nodes") != NULL);
    strmap_free(&links);
    free(a);
    free(b);
}

UNIT_TEST(probe_leader_seed_text_in_mirror_mode)
{
    static const bool failing[3] = {false, false, false};
    strmap links;
    strmap_init(&links);
    probe_view v = {.links_synced = true, .svcs_synced = true, .slices_synced = true, .main_failing = failing,
                    .links = &links, .leader_text = true, .identity = "k8s-svc-sync-abc12", .leading = true};
    char body[256], ctype[80];
    /* k8s-svc-sync's exact words, text/plain, no trailing newline. */
    CHECK(tpr_ask(&v, "/leader", "", body, sizeof body, ctype, sizeof ctype) == 200);
    CHECK_STR_EQ(body, "Leader: k8s-svc-sync-abc12");
    CHECK(strncmp(ctype, "text/plain", 10) == 0);
    CHECK(tpr_ask(&v, "/leader", "*/*", body, sizeof body, NULL, 0) == 200);
    CHECK_STR_EQ(body, "Leader: k8s-svc-sync-abc12");
    v.leading = false;
    CHECK(tpr_ask(&v, "/leader", "text/plain", body, sizeof body, ctype, sizeof ctype) == 200);
    CHECK_STR_EQ(body, "Follower");
    /* Asked for JSON: svclink's own answer. */
    CHECK(tpr_ask(&v, "/leader", "application/json", body, sizeof body, ctype, sizeof ctype) == 200);
    CHECK_STR_EQ(ctype, "application/json");
    CHECK_STR_EQ(body, "{\"leaderElection\":false,\"leading\":false,\"identity\":\"\",\"holder\":\"\"}");
    CHECK(tpr_ask(&v, "/leader", "text/html, application/json;q=0.5", body, sizeof body, NULL, 0) == 200);
    CHECK(body[0] == '{');
    CHECK(tpr_ask(&v, "/leader", "application/json;q=0", body, sizeof body, NULL, 0) == 200);
    CHECK_STR_EQ(body, "Follower");
    /* svclink itself (not mirror): JSON whatever is asked. */
    v.leader_text = false;
    v.leading = true;
    CHECK(tpr_ask(&v, "/leader", "", body, sizeof body, ctype, sizeof ctype) == 200);
    CHECK_STR_EQ(ctype, "application/json");
    CHECK(strstr(body, "\"leading\":true") != NULL);
    CHECK(tpr_ask(&v, "/leader", "text/plain", body, sizeof body, NULL, 0) == 200 && body[0] == '{');
    strmap_free(&links);
}
