/* Unit tests for probe: k8s-svc-sync's /health and /ready beside svclink's own paths; /ready
 * also needs every link (but a disabled one) connected, and names the first that is not. */
#include "link/cluster_link.h"
#include "controller/probe.h"
#include "unit.h"

#include <stdlib.h>

static int tpr_reply(const probe_view *v, const char *path, char *body, size_t n)
{
    httpd_reply r = {0};
    probe_reply(v, path, &r);
    snprintf(body, n, "%s", r.body != NULL ? r.body : "");
    free(r.body);
    return r.status;
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
