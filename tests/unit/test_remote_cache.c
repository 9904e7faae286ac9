/* Unit tests for remote_cache: grouping slices by Service, ignoring repeats and our own slices,
 * and a relist dropping exactly what was not restated. */
#include "cache/remote_cache.h"
#include "unit.h"

static int remote_dirty_count;
static char remote_last_dirty[128];

static void remote_on_dirty(void *arg, const char *ns, const char *name)
{
    (void)arg;
    remote_dirty_count++;
    snprintf(remote_last_dirty, sizeof remote_last_dirty, "%s/%s", ns, name);
}

static int remote_apply(remote_cache *c, kube_kind kind, const char *text)
{
    json_doc doc;
    char err[128];
    json_doc_init(&doc);
    int rc = json_parse(&doc, text, strlen(text), err, sizeof err);
    if (rc == 0)
        rc = remote_cache_upsert(c, kind, &doc, 0, err, sizeof err);
    json_doc_free(&doc);
    return rc;
}

#define REMOTE_SVC "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\"},\"spec\":{\"ports\":[{\"port\":80," \
               "\"targetPort\":8080}]}}"
#define REMOTE_SLICE(name, ip, managed)                                                                        \
    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"" name "\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"web\"" managed "}},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"" ip "\"]}],"          \
    "\"ports\":[{\"port\":8080}]}"

UNIT_TEST(remote_cache_groups_and_ignores_repeats)
{
    remote_cache c;
    remote_cache_init(&c, remote_on_dirty, NULL);
    remote_dirty_count = 0;
    CHECK(remote_apply(&c, KUBE_KIND_SERVICE, REMOTE_SVC) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(remote_dirty_count == 3);
    CHECK_STR_EQ(remote_last_dirty, "demo/web");
    const remote_group *g = remote_cache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc != NULL && g->nslices == 2 && c.endpoints == 2);
    CHECK(g != NULL && g->svc->nports == 1 && g->svc->ports[0].target_port == 8080);
    /* The same object again (a resync) is not a change. */
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(remote_dirty_count == 3);
    /* A slice written by svclink itself is never data. */
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-3", "10.0.0.3", ",\"endpointslice.kubernetes.io/managed-by\":"
                                                          "\"svclink.cloudpilot.ai\"")) == 0);
    CHECK(c.endpoints == 2);
    remote_cache_free(&c);
}

UNIT_TEST(b11_remote_cache_relist_drops_what_was_not_restated)
{
    remote_cache c;
    remote_cache_init(&c, remote_on_dirty, NULL);
    remote_cache_list_begin(&c, KUBE_KIND_SERVICE);
    remote_cache_list_begin(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(remote_apply(&c, KUBE_KIND_SERVICE, REMOTE_SVC) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.2", "")) == 0);
    remote_cache_list_end(&c, KUBE_KIND_SERVICE);
    remote_cache_list_end(&c, KUBE_KIND_ENDPOINT_SLICE);
    remote_dirty_count = 0;
    remote_cache_list_begin(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(remote_dirty_count == 0);
    remote_cache_list_end(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(remote_dirty_count == 1);
    const remote_group *g = remote_cache_group(&c, "demo", "web");
    CHECK(g != NULL && g->nslices == 1 && c.endpoints == 1);
    /* Services relisted without web: the group survives only while slices remain. */
    remote_cache_list_begin(&c, KUBE_KIND_SERVICE);
    remote_cache_list_end(&c, KUBE_KIND_SERVICE);
    g = remote_cache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc == NULL);
    remote_cache_list_begin(&c, KUBE_KIND_ENDPOINT_SLICE);
    remote_cache_list_end(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(remote_cache_group(&c, "demo", "web") == NULL && c.endpoints == 0);
    remote_cache_free(&c);
}

static int remote_apply_svc(remote_cache *c, int i)
{
    char text[256];
    snprintf(text, sizeof text,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s%d\"},\"spec\":{\"ports\":[{\"port\":80}]}}", i);
    return remote_apply(c, KUBE_KIND_SERVICE, text);
}

/* A cache with a budget of 3 Services, holding s0..s2. */
static void remote_three_of_three(remote_cache *c)
{
    remote_cache_init(c, remote_on_dirty, NULL);
    remote_cache_limits lim = {3, 0};
    remote_cache_set_limits(c, &lim);
    for (int i = 0; i < 3; i++)
        CHECK(remote_apply_svc(c, i) == 0);
}

UNIT_TEST(b12_remote_cache_service_budget_refuses_one_more_and_keeps_the_rest)
{
    remote_cache c;
    remote_three_of_three(&c);
    char err[256];
    json_doc doc;
    json_doc_init(&doc);
    const char *fourth = "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s3\"},\"spec\":{}}";
    CHECK(json_parse(&doc, fourth, strlen(fourth), err, sizeof err) == 0);
    CHECK(remote_cache_upsert(&c, KUBE_KIND_SERVICE, &doc, 0, err, sizeof err) == REMOTE_CACHE_OVER_BUDGET);
    CHECK(strstr(err, "budget of 3 Services") != NULL && strstr(err, "--max-services-per-link") != NULL);
    json_doc_free(&doc);
    CHECK(c.services == 3 && remote_cache_group(&c, "demo", "s3") == NULL);
    /* A change to one already held is not one more. */
    CHECK(remote_apply(&c, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\"},\"spec\":{}}") == 0);
    remote_cache_free(&c);
}

UNIT_TEST(b12_remote_cache_relist_counts_only_what_it_restated)
{
    /* Budget 3, holding s0..s2: a relist that replaces them with s3..s5 is within the
     * budget (the old ones go at its end); a fourth one in that list is not. */
    remote_cache c;
    remote_three_of_three(&c);
    remote_cache_list_begin(&c, KUBE_KIND_SERVICE);
    for (int i = 3; i < 6; i++)
        CHECK(remote_apply_svc(&c, i) == 0);
    CHECK(remote_apply_svc(&c, 6) == REMOTE_CACHE_OVER_BUDGET);
    CHECK(remote_apply_svc(&c, 3) == 0); /* a repeat inside the list is not one more */
    remote_cache_list_end(&c, KUBE_KIND_SERVICE);
    CHECK(c.services == 3 && remote_cache_group(&c, "demo", "s0") == NULL && remote_cache_group(&c, "demo", "s5") != NULL);
    remote_cache_free(&c);
}

UNIT_TEST(b12_remote_cache_endpoint_budget)
{
    remote_cache c;
    remote_cache_init(&c, remote_on_dirty, NULL);
    remote_cache_limits lim = {0, 2};
    remote_cache_set_limits(&c, &lim);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-3", "10.0.0.3", "")) == REMOTE_CACHE_OVER_BUDGET);
    CHECK(c.endpoints == 2);
    /* Replacing a slice's endpoint keeps the count. */
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.9", "")) == 0);
    /* During a relist only restated slices count: web-3 fits once web-1 is not restated. */
    remote_cache_list_begin(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-2", "10.0.0.9", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-3", "10.0.0.3", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-4", "10.0.0.4", "")) == REMOTE_CACHE_OVER_BUDGET);
    remote_cache_list_end(&c, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(c.endpoints == 2 && c.listed_eps == 2);
    remote_cache_free(&c);
}

UNIT_TEST(remote_cache_slice_change_of_a_service_not_sent)
{
    /* A serviceSelector hides the Service but not its slices: the group holds only the
     * slice, and replacing that slice must not free the group it goes into (ASan). */
    remote_cache c;
    remote_cache_init(&c, remote_on_dirty, NULL);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(remote_apply(&c, KUBE_KIND_ENDPOINT_SLICE, REMOTE_SLICE("web-1", "10.0.0.2", "")) == 0);
    const remote_group *g = remote_cache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc == NULL && g->nslices == 1 && c.endpoints == 1);
    CHECK(g != NULL && g->slices != NULL && g->slices->data.neps == 1);
    remote_cache_free(&c);
}
