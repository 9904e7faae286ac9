/* Unit tests for main_view: which main-cluster slices it keeps (ours, and svclink (Go)'s as
 * foreign ones of the same link), which it leaves alone, and that relists forget them. */
#include "cache/main_view.h"
#include "unit.h"

#include <stdio.h>

#define LV_MB "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","

static void lv_put(main_view *v, const char *text)
{
    json_doc doc;
    char err[128];
    json_doc_init(&doc);
    CHECK(json_parse(&doc, text, strlen(text), err, sizeof err) == 0);
    main_view_upsert(v, KUBE_KIND_ENDPOINT_SLICE, &doc, 0);
    json_doc_free(&doc);
}

static int lv_dirty_count;

static void lv_count_dirty(void *arg, const char *ns, const char *service)
{
    (void)arg;
    (void)ns;
    (void)service;
    lv_dirty_count++;
}

static const char lv_go_slice[] =
    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-svclink-cluster-a\",\"resourceVersion\":\"5\",\"labels\":{"
    LV_MB "\"cloudpilot.ai/svclink-cluster\":\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}},"
    "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.9\"]}],\"ports\":[{\"port\":80}]}";

UNIT_TEST(b8_main_view_keeps_go_slices_as_foreign)
{
    main_view v;
    main_view_init(&v, lv_count_dirty, NULL);
    lv_dirty_count = 0;
    main_view_list_begin(&v, KUBE_KIND_ENDPOINT_SLICE);
    lv_put(&v, lv_go_slice);
    lv_put(&v, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-cluster-a-0123456789\",\"labels\":{" LV_MB
               "\"svclink.cloudpilot.ai/cluster\":\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}},"
               "\"addressType\":\"IPv4\",\"endpoints\":[],\"ports\":[]}");
    /* in neither layout: left out (and logged once) */
    lv_put(&v, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-by-hand\",\"labels\":{" LV_MB
               "\"kubernetes.io/service-name\":\"web\"}}}");
    main_view_list_end(&v, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(lv_dirty_count == 2);
    const main_view_slice *go = main_view_slice_get(&v, "demo", "web-svclink-cluster-a");
    CHECK(go != NULL && go->foreign);
    if (go != NULL) {
        CHECK_STR_EQ(go->link, "cluster-a");
        CHECK_STR_EQ(go->service, "web");
        CHECK_STR_EQ(go->rv, "5");
    }
    const main_view_slice *ours = main_view_slice_get(&v, "demo", "web-cluster-a-0123456789");
    CHECK(ours != NULL && !ours->foreign);
    CHECK(main_view_slice_get(&v, "demo", "web-by-hand") == NULL);
    CHECK(strmap_get(&v.unknown, "demo/web-by-hand") != NULL);
    int n = 0;
    for (const main_view_slice *s = main_view_slices_of(&v, "demo", "web"); s != NULL; s = s->next)
        n++;
    CHECK(n == 2);
    /* A relist without them forgets them all, the unknown one included. */
    main_view_list_begin(&v, KUBE_KIND_ENDPOINT_SLICE);
    main_view_list_end(&v, KUBE_KIND_ENDPOINT_SLICE);
    CHECK(main_view_slices_of(&v, "demo", "web") == NULL);
    CHECK(strmap_count(&v.unknown) == 0);
    main_view_free(&v);
}

UNIT_TEST(b8_main_view_go_slice_taken_over_at_the_same_name)
{
    main_view v;
    main_view_init(&v, NULL, NULL);
    lv_put(&v, lv_go_slice);
    /* Our write to the same name (labels replaced) makes it ours. */
    lv_put(&v, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-svclink-cluster-a\",\"labels\":{" LV_MB
               "\"svclink.cloudpilot.ai/cluster\":\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}},"
               "\"addressType\":\"IPv4\",\"endpoints\":[],\"ports\":[]}");
    const main_view_slice *s = main_view_slice_get(&v, "demo", "web-svclink-cluster-a");
    CHECK(s != NULL && !s->foreign);
    /* Labels edited away: no longer managed. */
    lv_put(&v, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-svclink-cluster-a\",\"labels\":{"
               "\"kubernetes.io/service-name\":\"web\"}}}");
    CHECK(main_view_slice_get(&v, "demo", "web-svclink-cluster-a") == NULL);
    main_view_free(&v);
}

UNIT_TEST(b8_main_view_long_go_names_fit)
{
    main_view v;
    main_view_init(&v, NULL, NULL);
    char svc[64], cl[64], text[1024];
    memset(svc, 's', 63);
    svc[63] = '\0';
    memset(cl, 'c', 63);
    cl[63] = '\0';
    snprintf(text, sizeof text,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"%s-svclink-%s\",\"labels\":{" LV_MB
             "\"cloudpilot.ai/svclink-cluster\":\"%s\",\"kubernetes.io/service-name\":\"%s\"}}}",
             svc, cl, cl, svc);
    lv_put(&v, text);
    const main_view_slice *s = main_view_slices_of(&v, "demo", svc);
    CHECK(s != NULL && s->foreign && strlen(s->name) == 135);
    main_view_free(&v);
}
