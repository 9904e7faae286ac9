/* Unit tests for plan, the pure reconcile step: one case per row of the sync contract, fed
 * real JSON through remote_cache and main_view, and each plan applied to the view to check convergence. */
#include "reconcile/plan.h"
#include "write/svc_body.h"
#include "unit.h"

#include <stdlib.h>

/* A world: the local view and up to three links with their caches and rules. */
typedef struct {
    main_view view;
    remote_cache cache[3];
    linkspec spec[3];
    filter_rules rules[3];
    plan_link links[3];
    size_t nlinks;
    linkspec_list global;
} tp_world;

static int tp_doc(json_doc *doc, const char *text)
{
    char err[128];
    json_doc_init(doc);
    return json_parse(doc, text, strlen(text), err, sizeof err);
}

static void tp_init(tp_world *w, size_t nlinks)
{
    static const char *const names[3] = {"cluster-a", "cluster-b", "cluster-c"};
    memset(w, 0, sizeof *w);
    main_view_init(&w->view, NULL, NULL);
    w->view.svcs_synced = w->view.slices_synced = true;
    w->nlinks = nlinks;
    for (size_t i = 0; i < nlinks; i++) {
        remote_cache_init(&w->cache[i], NULL, NULL);
        w->spec[i].enabled = true;
        filter_rules_init(&w->rules[i], &w->spec[i], &w->global);
        w->links[i] = (plan_link){.name = names[i], .mode = PLAN_MANAGE, .rules = &w->rules[i],
                                  .cache = &w->cache[i]};
    }
}

static void tp_free(tp_world *w)
{
    main_view_free(&w->view);
    for (size_t i = 0; i < w->nlinks; i++)
        remote_cache_free(&w->cache[i]);
}

static int tp_remote(tp_world *w, size_t link, kube_kind kind, const char *text)
{
    json_doc doc;
    char err[128];
    int rc = tp_doc(&doc, text);
    if (rc == 0)
        rc = remote_cache_upsert(&w->cache[link], kind, &doc, 0, err, sizeof err);
    json_doc_free(&doc);
    return rc;
}

static void tp_remote_delete(tp_world *w, size_t link, kube_kind kind, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        remote_cache_delete(&w->cache[link], kind, &doc, 0);
    json_doc_free(&doc);
}

static void tp_local(tp_world *w, kube_kind kind, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        main_view_upsert(&w->view, kind, &doc, 0);
    json_doc_free(&doc);
}

static int tp_plan(tp_world *w, const char *ns, const char *svc, plan_output *out)
{
    plan_input in = {.ns = ns, .svc = svc, .view = &w->view, .links = w->links, .nlinks = w->nlinks,
                     .links_known = true};
    return plan_service(&in, out);
}

static size_t tp_count(const plan_output *out, plan_kind kind)
{
    size_t n = 0;
    for (size_t i = 0; i < out->nactions; i++)
        n += out->actions[i].kind == kind;
    return n;
}

/* Does what the engine would: writes each slice as the API server would store it. */
static void tp_apply(tp_world *w, const plan_output *out)
{
    for (size_t i = 0; i < out->nactions; i++) {
        const plan_action *a = &out->actions[i];
        if (a->kind == PLAN_DELETE_SLICE) {
            main_view_record_slice(&w->view, a->observed->ns, a->observed->name, NULL, -1);
        } else if (a->kind == PLAN_WRITE_SLICE) {
            char *body = NULL;
            size_t len = 0;
            json_doc doc;
            if (slice_desc_write(&a->desc, NULL, &body, &len) == 0 && tp_doc(&doc, body) == 0)
                main_view_record_slice(&w->view, a->desc.ns, a->desc.name, &doc, 0);
            json_doc_free(&doc);
            free(body);
        }
    }
}

/* Plans ns/svc, applies the plan, and checks a second plan has nothing left to do. */
static bool tp_converge(tp_world *w, const char *ns, const char *svc)
{
    plan_output out;
    if (tp_plan(w, ns, svc, &out) != 0)
        return false;
    tp_apply(w, &out);
    plan_output_free(&out);
    if (tp_plan(w, ns, svc, &out) != 0)
        return false;
    bool idle = out.nactions == 0;
    plan_output_free(&out);
    return idle;
}

static int64_t tp_endpoints_of(const tp_world *w, const char *ns, const char *svc, const char *link)
{
    int64_t n = 0;
    for (const main_view_slice *s = main_view_slices_of(&w->view, ns, svc); s != NULL; s = s->next) {
        if (strcmp(s->link, link) == 0)
            n += s->neps;
    }
    return n;
}

#define TP_SVC(ns, name, extra)                                                                        \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define TP_SLICE(ns, svc, name, ips)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"" svc "\"}},\"addressType\":\"IPv4\",\"endpoints\":[" ips "],\"ports\":[{\"port\":8080}]}"
#define TP_EP(ip) "{\"addresses\":[\"" ip "\"]}"

UNIT_TEST(plan_writes_remote_endpoints_into_the_local_service)
{
    tp_world w;
    tp_init(&w, 2);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1") "," TP_EP("10.1.0.2"))) == 0);
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2);
    CHECK(out.ncounts == 2 && out.counts[0].endpoints == 2 && out.counts[1].endpoints == 1);
    CHECK(out.nactions == 2 && strcmp(out.actions[0].desc.owner_uid, "u-web") == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 2);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    tp_free(&w);
}

UNIT_TEST(plan_without_a_local_service_writes_nothing)
{
    tp_world w;
    tp_init(&w, 1);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_keep_mode_touches_nothing_and_empty_mode_removes)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    /* Disabled, unsynced or partitioned: the remote went away but nothing is removed. */
    tp_remote_delete(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1")));
    w.links[0].mode = PLAN_KEEP;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0 && out.ncounts == 0);
    plan_output_free(&out);
    /* Deleted or stale: every slice of the link goes. */
    w.links[0].mode = PLAN_EMPTY;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && out.ncounts == 1 && out.counts[0].endpoints == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(main_view_slices_of(&w.view, "demo", "web") == NULL);
    tp_free(&w);
}

UNIT_TEST(plan_removes_slices_of_unknown_links)
{
    tp_world w;
    tp_init(&w, 2);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    /* cluster-b's ClusterLink is gone while svclink was down: its slices are orphans. */
    w.nlinks = 1;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && out.nactions == 1);
    plan_output_free(&out);
    /* Before ClusterLinks are listed nothing is known to be an orphan. */
    plan_input in = {.ns = "demo", .svc = "web", .view = &w.view, .links = w.links, .nlinks = 1};
    CHECK(plan_service(&in, &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.nlinks = 2;
    tp_free(&w);
}

UNIT_TEST(plan_filters_decide_in_order)
{
    tp_world w;
    tp_init(&w, 1);
    char *names[] = {"web"};
    w.spec[0].excluded_service_names = (linkspec_list){names, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("kube-system", "dns", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("kube-system", "dns", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("kube-system", "dns", "dns-x", TP_EP("10.1.0.9"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(tp_plan(&w, "kube-system", "dns", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_splits_at_100_and_dedups_addresses)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    /* 150 endpoints over two remote slices, with 10.1.0.1 in both (a rollout). */
    char eps[8192] = "";
    for (int i = 1; i <= 140; i++)
        snprintf(eps + strlen(eps), sizeof eps - strlen(eps), "%s{\"addresses\":[\"10.1.%d.%d\"]}", i > 1 ? "," : "",
                 i / 200, i % 200);
    char doc[9000];
    snprintf(doc, sizeof doc,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-x\",\"labels\":{\"kubernetes.io/service-name\":"
             "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[%s],\"ports\":[{\"port\":8080}]}",
             eps);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, doc) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    TP_SLICE("demo", "web", "web-z",
                             TP_EP("10.1.0.1") "," TP_EP("10.1.0.201") "," TP_EP("10.1.0.202"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2);
    CHECK(out.nactions == 2 && out.actions[0].desc.neps == 100 && out.actions[1].desc.neps == 42);
    CHECK(out.ncounts == 1 && out.counts[0].endpoints == 142);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_free(&w);
}

UNIT_TEST(plan_creates_a_missing_service_only_when_asked)
{
    tp_world w;
    tp_init(&w, 2);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[1].create_services = true;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CREATE_SERVICE &&
          strcmp(out.actions[0].link, "cluster-b") == 0);
    plan_output_free(&out);
    /* One it created follows the remote's ports; one it did not is never touched. */
    tp_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\"},"
                      "\"spec\":{\"ports\":[{\"port\":81}]}}");
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 0 && tp_count(&out, PLAN_CREATE_SERVICE) == 0);
    plan_output_free(&out);
    tp_free(&w);
}

/* ---- mirror mode: namespace mapping, created Services, ExternalName ---- */

#define TP_CREATED(ns, name, source, spec)                                                            \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"labels\":{"      \
    "\"svclink.cloudpilot.ai/created-by\":\"svclink\",\"svclink.cloudpilot.ai/source-cluster\":\"" source \
    "\"}},\"spec\":" spec "}"
#define TP_EXT(ns, name, target)                                                                      \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\"},\"spec\":{\"type\":\"ExternalName\","    \
    "\"externalName\":\"" target "\"}}"

static void tp_local_delete(tp_world *w, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        main_view_delete(&w->view, KUBE_KIND_SERVICE, &doc, 0);
    json_doc_free(&doc);
}

static const plan_action *tp_first(const plan_output *out, plan_kind kind)
{
    for (size_t i = 0; i < out->nactions; i++) {
        if (out->actions[i].kind == kind)
            return &out->actions[i];
    }
    return NULL;
}

UNIT_TEST(plan_maps_a_remote_namespace_into_another_local_one)
{
    tp_world w;
    tp_init(&w, 1);
    linkspec_map_entry map[] = {{"default", "prod-test"}};
    linkspec_nsmap m = {map, 1};
    w.links[0].nsmap = &m;
    w.links[0].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("default", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("default", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    plan_output out;
    /* Nothing lands under the remote's own name... */
    CHECK(tp_plan(&w, "default", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* ...the Service is made in the mapped namespace, labelled with where it came from. */
    CHECK(tp_plan(&w, "prod-test", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->remote_ns != NULL && strcmp(a->remote_ns, "default") == 0);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("prod-test", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_plan(&w, "prod-test", "web", &out) == 0);
    CHECK(out.nactions == 1 && tp_count(&out, PLAN_WRITE_SLICE) == 1);
    CHECK(out.nactions == 1 && strcmp(out.actions[0].desc.ns, "prod-test") == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "prod-test", "web"));
    CHECK(tp_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    /* A remote namespace named like a mapping target is shadowed, not merged. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("prod-test", "web", "")) == 0);
    CHECK(linkspec_local_ns(&m, "prod-test") == NULL && linkspec_remote_ns(&m, "default") == NULL);
    CHECK(tp_converge(&w, "prod-test", "web"));
    CHECK(tp_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    tp_free(&w);
}

UNIT_TEST(plan_deletes_a_created_service_once_no_link_wants_it)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* The remote Service is deleted (or stops matching the selector): ours goes too. */
    tp_remote_delete(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_DELETE_SERVICE);
    CHECK(a != NULL && a->local != NULL && strcmp(a->local->uid, "u-web") == 0);
    plan_output_free(&out);
    /* Not while the link that made it cannot be trusted (disabled, syncing, partitioned). */
    w.links[0].mode = PLAN_KEEP;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    /* Its link deleted: it goes. */
    w.links[0].mode = PLAN_EMPTY;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    /* A Service svclink did not create is never deleted. */
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_keeps_a_created_service_another_link_still_exports)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[0].create_services = true;
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    /* A KEEP link with slices in it holds it too (disable keeps slices, and they are owned by it). */
    CHECK(tp_remote(&w, 1, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_remote_delete(&w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    w.links[1].mode = PLAN_KEEP;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mirrors_external_name_services)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[0].create_services = w.links[1].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db.example.test")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(out.nactions == 1 && a != NULL && a->rsvc->external_name != NULL &&
          strcmp(a->rsvc->external_name, "db.example.test") == 0);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db.example.test\"}"));
    /* No slices for an ExternalName, and nothing to do when it matches. */
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* The target changes: patched. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db2.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    /* Another link naming another target loses to the creator, and is named. */
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "other.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    CHECK(out.ignored_link != NULL && strcmp(out.ignored_link, "cluster-b") == 0);
    plan_output_free(&out);
    /* ExternalName -> ClusterIP: deleted, then made again as ClusterIP. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "db", "")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_local_delete(&w, TP_CREATED("demo", "db", "cluster-a", "{}"));
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->rsvc->external_name == NULL && !(a->rsvc->flags & REMOTE_EXTERNAL_NAME));
    plan_output_free(&out);
    /* And back: a ClusterIP one svclink made becomes an ExternalName through a delete. */
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_per_link_create_services)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[1].create_services = true; /* cluster-a off, cluster-b on */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_SVC("other", "api", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(tp_plan(&w, "other", "api", &out) == 0 && tp_count(&out, PLAN_CREATE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* ---- headless Services ---- */

#define TP_HEADLESS(ns, name, extra)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define TP_HOST_EP(ip, host) "{\"addresses\":[\"" ip "\"],\"hostname\":\"" host "\"}"

UNIT_TEST(plan_headless_gives_each_pod_of_each_cluster_its_own_name)
{
    tp_world w;
    tp_init(&w, 2);
    tp_local(&w, KUBE_KIND_SERVICE, TP_HEADLESS("demo", "db", ""));
    for (size_t i = 0; i < 2; i++) {
        CHECK(tp_remote(&w, i, KUBE_KIND_SERVICE, TP_HEADLESS("demo", "db", "")) == 0);
        CHECK(tp_remote(&w, i, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "db", "db-x", TP_HOST_EP("10.1.0.1", "db-0"))) == 0);
    }
    /* The two clusters' db-0 would be one DNS name; they become db-0-cluster-a and -b. */
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 2);
    char *body = NULL;
    size_t len = 0;
    CHECK(out.nactions == 2 && slice_desc_write(&out.actions[0].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hostname\":\"db-0-cluster-a\"") != NULL);
    free(body);
    CHECK(out.nactions == 2 && slice_desc_write(&out.actions[1].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hostname\":\"db-0-cluster-b\"") != NULL);
    free(body);
    plan_output_free(&out);
    /* What was written hashes as wanted: nothing more to do. */
    CHECK(tp_converge(&w, "demo", "db"));
    tp_free(&w);
}

UNIT_TEST(plan_headless_hostnames_stay_dns_labels)
{
    char out[64];
    slice_hostname(out, "db-0", "cluster.a");
    CHECK_STR_EQ(out, "db-0-cluster-a");
    char host[64], link[64];
    memset(host, 'h', 60);
    host[60] = '\0';
    memset(link, 'l', 40);
    link[40] = '\0';
    slice_hostname(out, host, link);
    CHECK(strlen(out) <= 63 && strlen(out) == 51 && out[40] == '-');
    char other[64];
    slice_hostname(other, host, "m");
    CHECK(strcmp(out, other) != 0);
}

UNIT_TEST(plan_creates_headless_and_replaces_on_a_clusterip_change)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_HEADLESS("demo", "db", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL);
    char *body = a != NULL ? svc_body_service("demo", "db", a->rsvc, NULL, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"clusterIP\":\"None\"") != NULL);
    free(body);
    plan_output_free(&out);
    /* clusterIP is immutable: a ClusterIP one svclink made is deleted and made again. */
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* ---- prefer local: trafficDistribution PreferClose ---- */

UNIT_TEST(plan_prefer_close_hints_remote_endpoints_for_a_zone_no_node_is_in)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u-web\"},\"spec\":{"
                      "\"trafficDistribution\":\"PreferClose\",\"ports\":[{\"port\":80,\"targetPort\":8080}]}}");
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1") "," TP_EP("10.1.0.2"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1);
    char *body = NULL;
    size_t len = 0;
    CHECK(out.nactions == 1 && slice_desc_write(&out.actions[0].desc, NULL, &body, &len) == 0);
    CHECK(body != NULL && strstr(body, "\"hints\":{\"forZones\":[{\"name\":\"" SLICE_REMOTE_ZONE "\"}]}") != NULL);
    free(body);
    plan_output_free(&out);
    /* Read back, the hints hash the same: no write loop. */
    CHECK(tp_converge(&w, "demo", "web"));
    /* Turned off on the Service: the hints go. */
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_WRITE_SLICE) == 1);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_free(&w);
}

UNIT_TEST(plan_a_hand_edited_hint_is_repaired)
{
    /* One endpoint hinted for another zone: observed differs from wanted. */
    const char *edited =
        "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\",\"labels\":{\"kubernetes.io/service-name\":\"web\","
        "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"svclink.cloudpilot.ai/cluster\":\"a\"}},"
        "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hints\":{\"forZones\":[{\"name\":"
        "\"svclink-remote\"}]}},{\"addresses\":[\"10.1.0.2\"],\"hints\":{\"forZones\":[{\"name\":\"zone-0\"}]}}]}";
    const char *clean =
        "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"s1\",\"labels\":{\"kubernetes.io/service-name\":\"web\","
        "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"svclink.cloudpilot.ai/cluster\":\"a\"}},"
        "\"addressType\":\"IPv4\",\"endpoints\":[{\"addresses\":[\"10.1.0.1\"],\"hints\":{\"forZones\":[{\"name\":"
        "\"svclink-remote\"}]}},{\"addresses\":[\"10.1.0.2\"],\"hints\":{\"forZones\":[{\"name\":\"svclink-remote\"}]}}]}";
    json_doc d1, d2;
    slice_observed o1, o2;
    CHECK(tp_doc(&d1, edited) == 0 && tp_doc(&d2, clean) == 0);
    CHECK(slice_observe(&d1, 0, "demo", "s1", &o1) == 0 && slice_observe(&d2, 0, "demo", "s1", &o2) == 0);
    CHECK(o1.hash != o2.hash);
    json_doc_free(&d1);
    json_doc_free(&d2);
}
/* ---- the address policy hook ---- */

static void tp_set(addrpol_set *s, const char *list)
{
    char err[200];
    addrpol_set_init(s);
    CHECK_MSG(addrpol_set_add_list(s, list, "test", err, sizeof err) == 0, err);
}

static bool tp_has_drop(const plan_output *out, const char *link, const char *ip, addrpol_reason r)
{
    uint8_t a[16] = {0};
    char text[ADDRPOL_ADDR_STR];
    for (size_t i = 0; i < out->ndrops; i++) {
        const plan_drop *d = &out->drops[i];
        memcpy(a, d->addr, 16);
        addrpol_addr_format(d->family, a, text);
        if (strcmp(d->link, link) == 0 && strcmp(text, ip) == 0 && d->reason == r)
            return true;
    }
    return false;
}

UNIT_TEST(plan_policy_leaves_denied_endpoints_out)
{
    tp_world w;
    tp_init(&w, 2);
    addrpol_set svc, nodes, api, allow;
    tp_set(&svc, "10.96.0.0/16");
    tp_set(&nodes, "172.18.0.2");
    tp_set(&api, "172.18.0.10");
    tp_set(&allow, "10.245.0.0/16");
    addrpol pa = {.deny = {[ADDRPOL_SERVICE_CIDR] = &svc, [ADDRPOL_NODE] = &nodes, [ADDRPOL_APISERVER] = &api},
                  .allow_link = &allow};
    addrpol pb = pa;
    pb.allow_link = NULL;
    w.links[0].policy = &pa;
    w.links[1].policy = &pb;
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    for (size_t l = 0; l < 2; l++) {
        CHECK(tp_remote(&w, l, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
        CHECK(tp_remote(&w, l, KUBE_KIND_ENDPOINT_SLICE,
                        TP_SLICE("demo", "web", "web-x",
                                 TP_EP("10.96.0.1") "," TP_EP("172.18.0.2") "," TP_EP("172.18.0.10") "," TP_EP(
                                     "10.245.3.4") "," TP_EP("10.246.0.7"))) == 0);
    }
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    /* cluster-a (allowedCIDRs 10.245.0.0/16) keeps one; cluster-b (no allow-list) two. */
    CHECK(out.ncounts == 2 && out.counts[0].endpoints == 1 && out.counts[1].endpoints == 2);
    CHECK(out.ndrops == 7);
    CHECK(tp_has_drop(&out, "cluster-a", "10.96.0.1", ADDRPOL_SERVICE_CIDR));
    CHECK(tp_has_drop(&out, "cluster-a", "172.18.0.2", ADDRPOL_NODE));
    CHECK(tp_has_drop(&out, "cluster-a", "172.18.0.10", ADDRPOL_APISERVER));
    CHECK(tp_has_drop(&out, "cluster-a", "10.246.0.7", ADDRPOL_NOT_ALLOWED));
    CHECK(!tp_has_drop(&out, "cluster-b", "10.246.0.7", ADDRPOL_NOT_ALLOWED));
    CHECK(tp_has_drop(&out, "cluster-b", "10.96.0.1", ADDRPOL_SERVICE_CIDR));
    for (size_t i = 0; i < out.nactions; i++) {
        const plan_action *a = &out.actions[i];
        for (size_t e = 0; a->kind == PLAN_WRITE_SLICE && e < a->desc.neps; e++)
            CHECK(a->desc.eps[e].addr[0] == 10 && a->desc.eps[e].addr[1] >= 245); /* only 10.245/10.246 */
    }
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 2);
    tp_free(&w);
    addrpol_set *sets[] = {&svc, &nodes, &api, &allow};
    for (size_t i = 0; i < 4; i++)
        addrpol_set_free(sets[i]);
}

UNIT_TEST(plan_policy_change_removes_what_is_now_denied)
{
    tp_world w;
    tp_init(&w, 1);
    addrpol_set nodes;
    addrpol_set_init(&nodes);
    addrpol p = {.deny = {[ADDRPOL_NODE] = &nodes}};
    w.links[0].policy = &p;
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1") "," TP_EP("10.1.0.2"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 2);
    /* A main node now has 10.1.0.2: the next plan rewrites the slice without it. */
    char err[100];
    CHECK(addrpol_set_add_list(&nodes, "10.1.0.2", "n", err, sizeof err) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 1 && out.ndrops == 1 && out.counts[0].endpoints == 1);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    /* Every endpoint denied: the slice goes. */
    CHECK(addrpol_set_add_list(&nodes, "10.1.0.1", "n", err, sizeof err) == 0);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && tp_count(&out, PLAN_WRITE_SLICE) == 0 && out.ndrops == 2);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 0);
    tp_free(&w);
    addrpol_set_free(&nodes);
}

UNIT_TEST(plan_policy_on_ipv6_slices)
{
    tp_world w;
    tp_init(&w, 1);
    addrpol_set svc;
    tp_set(&svc, "fd00:96::/112");
    addrpol p = {.deny = {[ADDRPOL_SERVICE_CIDR] = &svc}};
    w.links[0].policy = &p;
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-6\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv6\",\"endpoints\":[" TP_EP("fd00:96::1") "," TP_EP(
                        "fd00:245::1") "],\"ports\":[{\"port\":8080}]}") == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.ndrops == 1 && out.drops[0].family == 6 && out.counts[0].endpoints == 1);
    CHECK(tp_has_drop(&out, "cluster-a", "fd00:96::1", ADDRPOL_SERVICE_CIDR));
    plan_output_free(&out);
    tp_free(&w);
    addrpol_set_free(&svc);
}

UNIT_TEST(plan_with_only_source_leaves_other_instances_services_alone)
{
    /* svclink mirror sees only its own link: a Service another svclink created in the same
     * namespace is never patched or deleted by it, one it created itself still is. */
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    w.view.only_source = "cluster-a";
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "web", "cluster-z", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_PATCH_SERVICE) == 0 &&
          tp_count(&out, PLAN_DELETE_SERVICE) == 0 && tp_count(&out, PLAN_CREATE_SERVICE) == 0);
    plan_output_free(&out);
    tp_remote_delete(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* ---- per-Service modes (svclink.cloudpilot.ai/mode, alias vmware.com/syndicate-mode) ---- */

#define TP_ANN(mode) ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"" mode "\"}"
#define TP_MSVC(ns, name, meta, spec)                                                                  \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"resourceVersion\":\"7\"" meta \
    "},\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]" spec "}}"
#define TP_SEL ",\"selector\":{\"app\":\"web\",\"tier\":\"db\"}"

/* Two links: cluster-a's web (10.1.0.1) and cluster-b's web (10.2.0.1), modes as given. */
static void tp_two_remotes(tp_world *w, const char *svc_a, const char *svc_b)
{
    tp_init(w, 2);
    CHECK(tp_remote(w, 0, KUBE_KIND_SERVICE, svc_a) == 0);
    CHECK(tp_remote(w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_remote(w, 1, KUBE_KIND_SERVICE, svc_b) == 0);
    CHECK(tp_remote(w, 1, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
}

UNIT_TEST(plan_mode_singular_remote_is_not_exported)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    /* cluster-b's Service turns singular: its slices go, cluster-a's stay */
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("singular"), "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && out.nactions == 1);
    CHECK(out.nactions == 1 && strcmp(out.actions[0].link, "cluster-b") == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    tp_free(&w);
}

UNIT_TEST(plan_mode_singular_created_service_goes_and_is_never_made)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("singular"), ""),
                   TP_MSVC("demo", "web", ",\"annotations\":{\"vmware.com/syndicate-mode\":\"singular\"}", ""));
    w.links[0].create_services = w.links[1].create_services = true;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0); /* created with singular: never imported (the alias too) */
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}"));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SERVICE) == 1 && out.nactions == 1);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_singular_local_imports_nothing)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_converge(&w, "demo", "web"));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("singular"), ""));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 2 && out.nactions == 2);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") + tp_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    tp_free(&w);
}

UNIT_TEST(plan_mode_union_takes_every_cluster)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("union"), ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("union"), TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2); /* the selector is left alone */
    CHECK(out.mode_note == NULL);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_receiver_holds_its_selector_and_takes_only_sources)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("source"), ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("receiver"), TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_STASH_SELECTOR);
    CHECK(a != NULL);
    /* the selector exactly as the API server sent it */
    CHECK(a != NULL && a->local->selector != NULL && strcmp(a->local->selector, "{\"app\":\"web\",\"tier\":\"db\"}") == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 1);
    for (size_t i = 0; i < out.nactions; i++)
        CHECK(out.actions[i].kind != PLAN_WRITE_SLICE || strcmp(out.actions[i].link, "cluster-a") == 0);
    plan_output_free(&out);
    /* stashed: selector gone, the stash holds it; nothing more to do */
    tp_local(&w, KUBE_KIND_SERVICE,
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\",\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"web\\\",\\\"tier\\\":\\\"db\\\"}\"}", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    tp_apply(&w, &out);
    plan_output_free(&out);
    /* held: what is left each pass is clearing the controller's stale slices (the engine
     * does that once per stash) */
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CLEAR_CONTROLLER_SLICES);
    plan_output_free(&out);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1 && tp_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    /* the mode goes: the stash comes back exactly, cluster-b's endpoints too */
    tp_local(&w, KUBE_KIND_SERVICE,
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"web\\\",\\\"tier\\\":\\\"db\\\"}\"}", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    a = tp_first(&out, PLAN_RESTORE_SELECTOR);
    CHECK(a != NULL && strcmp(a->local->stash, "{\"app\":\"web\",\"tier\":\"db\"}") == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_receiver_without_source_keeps_its_selector)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", TP_ANN("receiver"), ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("receiver"), TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_first(&out, PLAN_STASH_SELECTOR) == NULL);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2); /* a remote receiver still exports its pods */
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "without a source") != NULL);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_union_meeting_a_source_becomes_a_receiver)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("source"), ""), TP_MSVC("demo", "web", TP_ANN("source"), ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", ",\"annotations\":{\"vmware.com/syndicate-mode\":\"union\"}", TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_first(&out, PLAN_STASH_SELECTOR) != NULL);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2); /* two sources: both used, and said */
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "more than one") != NULL);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_bad_stash_is_refused_never_applied)
{
    static const char *const bad[] = {"not json", "[\\\"app\\\"]", "{}", "{\\\"app\\\":7}",
                                      "{\\\"bad key!\\\":\\\"x\\\"}", "{\\\"app\\\":\\\"has space\\\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tp_world w;
        tp_init(&w, 1);
        char text[600];
        snprintf(text, sizeof text,
                 "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u\",\"annotations\":"
                 "{\"svclink.cloudpilot.ai/stashed-selector\":\"%s\"}},\"spec\":{\"ports\":[{\"port\":80}]}}",
                 bad[i]);
        tp_local(&w, KUBE_KIND_SERVICE, text);
        plan_output out;
        CHECK(tp_plan(&w, "demo", "web", &out) == 0);
        CHECK(tp_first(&out, PLAN_RESTORE_SELECTOR) == NULL);
        CHECK(out.mode_note != NULL && strstr(out.mode_note, "refused") != NULL);
        CHECK(strstr(out.mode_detail, "stash") != NULL);
        plan_output_free(&out);
        tp_free(&w);
    }
}

UNIT_TEST(plan_mode_selector_and_stash_both_set_changes_nothing)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE,
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"old\\\"}\"}", TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0 && out.mode_note != NULL);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_unknown_value_is_reported_and_ignored)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("bogus"), ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("recevier"), TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 2 && out.nactions == 2);
    CHECK(out.mode_note != NULL && strstr(out.mode_note, "unknown") != NULL);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_created_service_given_a_selector_is_adopted)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    /* no link exports it, but someone gave it a selector (a migration target taken over) */
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}", TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}" TP_ANN("source"), ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}
