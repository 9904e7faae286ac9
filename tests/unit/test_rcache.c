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
