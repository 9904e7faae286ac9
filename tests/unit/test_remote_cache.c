/* Unit tests for rcache: grouping slices by Service, ignoring repeats and our own slices,
 * and a relist dropping exactly what was not restated. */
#include "rcache.h"
#include "unit.h"

static int rc_dirty_count;
static char rc_last_dirty[128];

static void rc_on_dirty(void *arg, const char *ns, const char *name)
{
    (void)arg;
    rc_dirty_count++;
    snprintf(rc_last_dirty, sizeof rc_last_dirty, "%s/%s", ns, name);
}

static int rc_apply(rcache *c, char kind, const char *text)
{
    json_doc doc;
    char err[128];
    json_doc_init(&doc);
    int rc = json_parse(&doc, text, strlen(text), err, sizeof err);
    if (rc == 0)
        rc = rcache_upsert(c, kind, &doc, 0, err, sizeof err);
    json_doc_free(&doc);
    return rc;
}

#define RC_SVC "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\"},\"spec\":{\"ports\":[{\"port\":80," \
               "\"targetPort\":8080}]}}"
#define RC_SLICE(name, ip, managed)                                                                        \
    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"" name "\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"web\"" managed "}},\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"" ip "\"]}],"          \
    "\"ports\":[{\"port\":8080}]}"

UNIT_TEST(rcache_groups_and_ignores_repeats)
{
    rcache c;
    rcache_init(&c, rc_on_dirty, NULL);
    rc_dirty_count = 0;
    CHECK(rc_apply(&c, 's', RC_SVC) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(rc_dirty_count == 3);
    CHECK_STR_EQ(rc_last_dirty, "demo/web");
    const rc_group *g = rcache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc != NULL && g->nslices == 2 && c.endpoints == 2);
    CHECK(g != NULL && g->svc->nports == 1 && g->svc->ports[0].target_port == 8080);
    /* The same object again (a resync) is not a change. */
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(rc_dirty_count == 3);
    /* A slice written by svclink itself is never data. */
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-3", "10.0.0.3", ",\"endpointslice.kubernetes.io/managed-by\":"
                                                          "\"svclink.cloudpilot.ai\"")) == 0);
    CHECK(c.endpoints == 2);
    rcache_free(&c);
}

UNIT_TEST(rcache_relist_drops_what_was_not_restated)
{
    rcache c;
    rcache_init(&c, rc_on_dirty, NULL);
    rcache_list_begin(&c, 's');
    rcache_list_begin(&c, 'e');
    CHECK(rc_apply(&c, 's', RC_SVC) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.2", "")) == 0);
    rcache_list_end(&c, 's');
    rcache_list_end(&c, 'e');
    rc_dirty_count = 0;
    rcache_list_begin(&c, 'e');
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(rc_dirty_count == 0);
    rcache_list_end(&c, 'e');
    CHECK(rc_dirty_count == 1);
    const rc_group *g = rcache_group(&c, "demo", "web");
    CHECK(g != NULL && g->nslices == 1 && c.endpoints == 1);
    /* Services relisted without web: the group survives only while slices remain. */
    rcache_list_begin(&c, 's');
    rcache_list_end(&c, 's');
    g = rcache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc == NULL);
    rcache_list_begin(&c, 'e');
    rcache_list_end(&c, 'e');
    CHECK(rcache_group(&c, "demo", "web") == NULL && c.endpoints == 0);
    rcache_free(&c);
}

static int rc_apply_svc(rcache *c, int i)
{
    char text[256];
    snprintf(text, sizeof text,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s%d\"},\"spec\":{\"ports\":[{\"port\":80}]}}", i);
    return rc_apply(c, 's', text);
}

/* A cache with a budget of 3 Services, holding s0..s2. */
static void rc_three_of_three(rcache *c)
{
    rcache_init(c, rc_on_dirty, NULL);
    rcache_limits lim = {3, 0};
    rcache_set_limits(c, &lim);
    for (int i = 0; i < 3; i++)
        CHECK(rc_apply_svc(c, i) == 0);
}

UNIT_TEST(rcache_service_budget_refuses_one_more_and_keeps_the_rest)
{
    rcache c;
    rc_three_of_three(&c);
    char err[256];
    json_doc doc;
    json_doc_init(&doc);
    const char *fourth = "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s3\"},\"spec\":{}}";
    CHECK(json_parse(&doc, fourth, strlen(fourth), err, sizeof err) == 0);
    CHECK(rcache_upsert(&c, 's', &doc, 0, err, sizeof err) == RCACHE_OVER_BUDGET);
    CHECK(strstr(err, "budget of 3 Services") != NULL && strstr(err, "--max-services-per-link") != NULL);
    json_doc_free(&doc);
    CHECK(c.services == 3 && rcache_group(&c, "demo", "s3") == NULL);
    /* A change to one already held is not one more. */
    CHECK(rc_apply(&c, 's', "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\"},\"spec\":{}}") == 0);
    rcache_free(&c);
}

UNIT_TEST(rcache_relist_counts_only_what_it_restated)
{
    /* Budget 3, holding s0..s2: a relist that replaces them with s3..s5 is within the
     * budget (the old ones go at its end); a fourth one in that list is not. */
    rcache c;
    rc_three_of_three(&c);
    rcache_list_begin(&c, 's');
    for (int i = 3; i < 6; i++)
        CHECK(rc_apply_svc(&c, i) == 0);
    CHECK(rc_apply_svc(&c, 6) == RCACHE_OVER_BUDGET);
    CHECK(rc_apply_svc(&c, 3) == 0); /* a repeat inside the list is not one more */
    rcache_list_end(&c, 's');
    CHECK(c.services == 3 && rcache_group(&c, "demo", "s0") == NULL && rcache_group(&c, "demo", "s5") != NULL);
    rcache_free(&c);
}

UNIT_TEST(rcache_endpoint_budget)
{
    rcache c;
    rcache_init(&c, rc_on_dirty, NULL);
    rcache_limits lim = {0, 2};
    rcache_set_limits(&c, &lim);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.2", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-3", "10.0.0.3", "")) == RCACHE_OVER_BUDGET);
    CHECK(c.endpoints == 2);
    /* Replacing a slice's endpoint keeps the count. */
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.9", "")) == 0);
    /* During a relist only restated slices count: web-3 fits once web-1 is not restated. */
    rcache_list_begin(&c, 'e');
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-2", "10.0.0.9", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-3", "10.0.0.3", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-4", "10.0.0.4", "")) == RCACHE_OVER_BUDGET);
    rcache_list_end(&c, 'e');
    CHECK(c.endpoints == 2 && c.listed_eps == 2);
    rcache_free(&c);
}

UNIT_TEST(rcache_slice_change_of_a_service_not_sent)
{
    /* A serviceSelector hides the Service but not its slices: the group holds only the
     * slice, and replacing that slice must not free the group it goes into (ASan). */
    rcache c;
    rcache_init(&c, rc_on_dirty, NULL);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.1", "")) == 0);
    CHECK(rc_apply(&c, 'e', RC_SLICE("web-1", "10.0.0.2", "")) == 0);
    const rc_group *g = rcache_group(&c, "demo", "web");
    CHECK(g != NULL && g->svc == NULL && g->nslices == 1 && c.endpoints == 1);
    CHECK(g != NULL && g->slices != NULL && g->slices->data.neps == 1);
    rcache_free(&c);
}
