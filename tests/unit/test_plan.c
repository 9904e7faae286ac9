/* Unit tests for plan, the pure reconcile step: one case per row of the sync contract, fed
 * real JSON through rcache and lview, and each plan applied to the view to check convergence. */
#include "plan.h"
#include "unit.h"

#include <stdlib.h>

/* A world: the local view and up to three links with their caches and rules. */
typedef struct {
    lview view;
    rcache cache[3];
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
    lview_init(&w->view, NULL, NULL);
    w->view.svcs_synced = w->view.slices_synced = true;
    w->nlinks = nlinks;
    for (size_t i = 0; i < nlinks; i++) {
        rcache_init(&w->cache[i], NULL, NULL);
        w->spec[i].enabled = true;
        filter_rules_init(&w->rules[i], &w->spec[i], &w->global);
        w->links[i] = (plan_link){.name = names[i], .mode = PLAN_MANAGE, .rules = &w->rules[i],
                                  .cache = &w->cache[i]};
    }
}

static void tp_free(tp_world *w)
{
    lview_free(&w->view);
    for (size_t i = 0; i < w->nlinks; i++)
        rcache_free(&w->cache[i]);
}

static int tp_remote(tp_world *w, size_t link, char kind, const char *text)
{
    json_doc doc;
    char err[128];
    int rc = tp_doc(&doc, text);
    if (rc == 0)
        rc = rcache_upsert(&w->cache[link], kind, &doc, 0, err, sizeof err);
    json_doc_free(&doc);
    return rc;
}

static void tp_remote_delete(tp_world *w, size_t link, char kind, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        rcache_delete(&w->cache[link], kind, &doc, 0);
    json_doc_free(&doc);
}

static void tp_local(tp_world *w, char kind, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        lview_upsert(&w->view, kind, &doc, 0);
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
            lview_record_slice(&w->view, a->observed->ns, a->observed->name, NULL, -1);
        } else if (a->kind == PLAN_WRITE_SLICE) {
            char *body = NULL;
            size_t len = 0;
            json_doc doc;
            if (slice_desc_write(&a->desc, NULL, &body, &len) == 0 && tp_doc(&doc, body) == 0)
                lview_record_slice(&w->view, a->desc.ns, a->desc.name, &doc, 0);
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
    for (const lview_slice *s = lview_slices_of(&w->view, ns, svc); s != NULL; s = s->next) {
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
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1") "," TP_EP("10.1.0.2"))) == 0);
    CHECK(tp_remote(&w, 1, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, 'e', TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
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
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
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
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    /* Disabled, unsynced or partitioned: the remote went away but nothing is removed. */
    tp_remote_delete(&w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1")));
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
    CHECK(lview_slices_of(&w.view, "demo", "web") == NULL);
    tp_free(&w);
}

UNIT_TEST(plan_removes_slices_of_unknown_links)
{
    tp_world w;
    tp_init(&w, 2);
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 1, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, 'e', TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
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
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    tp_local(&w, 's', TP_SVC("kube-system", "dns", ""));
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_remote(&w, 0, 's', TP_SVC("kube-system", "dns", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("kube-system", "dns", "dns-x", TP_EP("10.1.0.9"))) == 0);
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
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
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
    CHECK(tp_remote(&w, 0, 'e', doc) == 0);
    CHECK(tp_remote(&w, 0, 'e',
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
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, 's', TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[1].create_services = true;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CREATE_SERVICE &&
          strcmp(out.actions[0].link, "cluster-b") == 0);
    plan_output_free(&out);
    /* One it created follows the remote's ports; one it did not is never touched. */
    tp_local(&w, 's',
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_local(&w, 's', "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\"},"
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
        lview_delete(&w->view, 's', &doc, 0);
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
    CHECK(tp_remote(&w, 0, 's', TP_SVC("default", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, 'e', TP_SLICE("default", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    plan_output out;
    /* Nothing lands under the remote's own name... */
    CHECK(tp_plan(&w, "default", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* ...the Service is made in the mapped namespace, labelled with where it came from. */
    CHECK(tp_plan(&w, "prod-test", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->remote_ns != NULL && strcmp(a->remote_ns, "default") == 0);
    plan_output_free(&out);
    tp_local(&w, 's', TP_CREATED("prod-test", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_plan(&w, "prod-test", "web", &out) == 0);
    CHECK(out.nactions == 1 && tp_count(&out, PLAN_WRITE_SLICE) == 1);
    CHECK(out.nactions == 1 && strcmp(out.actions[0].desc.ns, "prod-test") == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "prod-test", "web"));
    CHECK(tp_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    /* A remote namespace named like a mapping target is shadowed, not merged. */
    CHECK(tp_remote(&w, 0, 's', TP_SVC("prod-test", "web", "")) == 0);
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
    tp_local(&w, 's', TP_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* The remote Service is deleted (or stops matching the selector): ours goes too. */
    tp_remote_delete(&w, 0, 's', TP_SVC("demo", "web", ""));
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
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_keeps_a_created_service_another_link_still_exports)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[0].create_services = true;
    tp_local(&w, 's', TP_CREATED("demo", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 1, 's', TP_SVC("demo", "web", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    /* A KEEP link with slices in it holds it too (disable keeps slices, and they are owned by it). */
    CHECK(tp_remote(&w, 1, 'e', TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_remote_delete(&w, 1, 's', TP_SVC("demo", "web", ""));
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
    CHECK(tp_remote(&w, 0, 's', TP_EXT("demo", "db", "db.example.test")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(out.nactions == 1 && a != NULL && a->rsvc->external_name != NULL &&
          strcmp(a->rsvc->external_name, "db.example.test") == 0);
    plan_output_free(&out);
    tp_local(&w, 's', TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db.example.test\"}"));
    /* No slices for an ExternalName, and nothing to do when it matches. */
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* The target changes: patched. */
    CHECK(tp_remote(&w, 0, 's', TP_EXT("demo", "db", "db2.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_local(&w, 's', TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    /* Another link naming another target loses to the creator, and is named. */
    CHECK(tp_remote(&w, 1, 's', TP_EXT("demo", "db", "other.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    CHECK(out.ignored_link != NULL && strcmp(out.ignored_link, "cluster-b") == 0);
    plan_output_free(&out);
    /* ExternalName -> ClusterIP: deleted, then made again as ClusterIP. */
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "db", "")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_local_delete(&w, TP_CREATED("demo", "db", "cluster-a", "{}"));
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->rsvc->external_name == NULL && !(a->rsvc->flags & RC_EXTERNAL_NAME));
    plan_output_free(&out);
    /* And back: a ClusterIP one svclink made becomes an ExternalName through a delete. */
    tp_local(&w, 's', TP_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 0, 's', TP_EXT("demo", "db", "db.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_per_link_create_services)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[1].create_services = true; /* cluster-a off, cluster-b on */
    CHECK(tp_remote(&w, 0, 's', TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 1, 's', TP_SVC("other", "api", "")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    CHECK(tp_plan(&w, "other", "api", &out) == 0 && tp_count(&out, PLAN_CREATE_SERVICE) == 1);
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
    CHECK(tp_remote(w, 0, 's', svc_a) == 0);
    CHECK(tp_remote(w, 0, 'e', TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_remote(w, 1, 's', svc_b) == 0);
    CHECK(tp_remote(w, 1, 'e', TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
}

UNIT_TEST(plan_mode_singular_remote_is_not_exported)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    /* cluster-b's Service turns singular: its slices go, cluster-a's stay */
    CHECK(tp_remote(&w, 1, 's', TP_MSVC("demo", "web", TP_ANN("singular"), "")) == 0);
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
    tp_local(&w, 's', TP_SVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}"));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SERVICE) == 1 && out.nactions == 1);
    plan_output_free(&out);
    tp_free(&w);
}

UNIT_TEST(plan_mode_singular_local_imports_nothing)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, 's', TP_SVC("demo", "web", ""));
    CHECK(tp_converge(&w, "demo", "web"));
    tp_local(&w, 's', TP_MSVC("demo", "web", TP_ANN("singular"), ""));
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
    tp_local(&w, 's', TP_MSVC("demo", "web", TP_ANN("union"), TP_SEL));
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
    tp_local(&w, 's', TP_MSVC("demo", "web", TP_ANN("receiver"), TP_SEL));
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
    tp_local(&w, 's',
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
    tp_local(&w, 's',
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
    tp_local(&w, 's', TP_MSVC("demo", "web", TP_ANN("receiver"), TP_SEL));
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
    tp_local(&w, 's', TP_MSVC("demo", "web", ",\"annotations\":{\"vmware.com/syndicate-mode\":\"union\"}", TP_SEL));
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
        tp_local(&w, 's', text);
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
    tp_local(&w, 's',
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
    tp_local(&w, 's', TP_MSVC("demo", "web", TP_ANN("recevier"), TP_SEL));
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
    tp_local(&w, 's', TP_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}", TP_SEL));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_local(&w, 's', TP_MSVC("demo", "web", ",\"labels\":{\"svclink.cloudpilot.ai/created-by\":\"svclink\"}" TP_ANN("source"), ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}
