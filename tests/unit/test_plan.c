/* Unit tests for plan, the pure reconcile step: the table of docs/sync-contract.md's rows that plan
 * decides, one case per row named by its id, fed real JSON through remote_cache and main_view. */
#include "reconcile/plan.h"
#include "write/svc_body.h"
#include "unit.h"

#include <stddef.h>
#include <stdlib.h>

/* Each case below is named by the contract row it proves (n1_..., w4_..., m12_...) and quotes
 * the row above it; hack/check-contract.sh fails when a row has no test. Rows plan does not
 * decide are tested where they are decided (test_linkspec.c, test_link_dir.c, tests/e2e/). */

/* A world: the local view and up to three links with their caches and rules. */
typedef struct {
    main_view view;
    remote_cache cache[3];
    linkspec spec[3];
    filter_rules rules[3];
    plan_link links[3];
    size_t nlinks;
    linkspec_list global;
    linkspec_map_entry map; /* tp_init_mapped: remote default -> local prod-test */
    linkspec_nsmap nsmap;
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

/* One link that maps remote namespace default into local prod-test. */
static void tp_init_mapped(tp_world *w)
{
    tp_init(w, 1);
    w->map = (linkspec_map_entry){"default", "prod-test"};
    w->nsmap = (linkspec_nsmap){&w->map, 1};
    w->links[0].nsmap = &w->nsmap;
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

static void tp_local_delete(tp_world *w, const char *text)
{
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        main_view_delete(&w->view, KUBE_KIND_SERVICE, &doc, 0);
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

static const plan_action *tp_first(const plan_output *out, plan_kind kind)
{
    for (size_t i = 0; i < out->nactions; i++) {
        if (out->actions[i].kind == kind)
            return &out->actions[i];
    }
    return NULL;
}

/* Records body as the slice ns/name the API server holds (NULL: deleted). */
static void tp_record(tp_world *w, const char *ns, const char *name, const char *body)
{
    json_doc doc;
    if (body == NULL)
        main_view_record_slice(&w->view, ns, name, NULL, -1);
    else if (tp_doc(&doc, body) == 0)
        main_view_record_slice(&w->view, ns, name, &doc, 0);
    if (body != NULL)
        json_doc_free(&doc);
}

/* The body a slice write of the plan sends (malloc'd), or NULL. */
static char *tp_body(const plan_action *a)
{
    char *body = NULL;
    size_t len = 0;
    if (a == NULL || a->kind != PLAN_WRITE_SLICE || slice_desc_write(&a->desc, NULL, &body, &len) != 0)
        return NULL;
    return body;
}

/* Does what the engine would: writes each slice as the API server would store it. */
static void tp_apply(tp_world *w, const plan_output *out)
{
    for (size_t i = 0; i < out->nactions; i++) {
        const plan_action *a = &out->actions[i];
        if (a->kind == PLAN_DELETE_SLICE) {
            tp_record(w, a->observed->ns, a->observed->name, NULL);
        } else if (a->kind == PLAN_WRITE_SLICE) {
            char *body = tp_body(a);
            if (body != NULL)
                tp_record(w, a->desc.ns, a->desc.name, body);
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

/* Removes the first occurrence of what from s; false when there is none. */
static bool tp_cut(char *s, const char *what)
{
    char *p = s != NULL ? strstr(s, what) : NULL;
    if (p == NULL)
        return false;
    size_t n = strlen(what);
    memmove(p, p + n, strlen(p + n) + 1);
    return true;
}

#define TP_SVC(ns, name, extra)                                                                        \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define TP_SLICE(ns, svc, name, ips)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"labels\":{\"kubernetes.io/service-name\":" \
    "\"" svc "\"}},\"addressType\":\"IPv4\",\"endpoints\":[" ips "],\"ports\":[{\"port\":8080}]}"
#define TP_EP(ip) "{\"addresses\":[\"" ip "\"]}"
#define TP_CREATED(ns, name, source, spec)                                                            \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"labels\":{"      \
    "\"svclink.cloudpilot.ai/created-by\":\"svclink\",\"svclink.cloudpilot.ai/source-cluster\":\"" source \
    "\"}},\"spec\":" spec "}"
#define TP_EXT(ns, name, target)                                                                      \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\"},\"spec\":{\"type\":\"ExternalName\","    \
    "\"externalName\":\"" target "\"}}"
#define TP_PORTS "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"
/* Per-Service modes (svclink.cloudpilot.ai/mode, alias vmware.com/syndicate-mode). */
#define TP_ANN(mode) ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"" mode "\"}"
#define TP_MSVC(ns, name, meta, spec)                                                                  \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\",\"resourceVersion\":\"7\"" meta \
    "},\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]" spec "}}"
#define TP_SEL ",\"selector\":{\"app\":\"web\",\"tier\":\"db\"}"
#define TP_STASH "\"svclink.cloudpilot.ai/stashed-selector\":\"{\\\"app\\\":\\\"web\\\",\\\"tier\\\":\\\"db\\\"}\""

/* Link `link` exports ns/svc (port 80 to 8080) with one remote slice holding eps (TP_EP items). */
static void tp_export(tp_world *w, size_t link, const char *ns, const char *svc, const char *eps)
{
    char text[4096];
    snprintf(text, sizeof text, "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\"},\"spec\":%s}", ns, svc, TP_PORTS);
    CHECK(tp_remote(w, link, KUBE_KIND_SERVICE, text) == 0);
    snprintf(text, sizeof text,
             "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s-x\",\"labels\":{\"kubernetes.io/service-name\":\"%s\"}},"
             "\"addressType\":\"IPv4\",\"endpoints\":[%s],\"ports\":[{\"port\":8080}]}",
             ns, svc, svc, eps);
    CHECK(tp_remote(w, link, KUBE_KIND_ENDPOINT_SLICE, text) == 0);
}

/* The local Service ns/svc, uid "u-<svc>". */
static void tp_local_svc(tp_world *w, const char *ns, const char *svc)
{
    char text[512];
    snprintf(text, sizeof text, "{\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\",\"uid\":\"u-%s\"},\"spec\":%s}", ns,
             svc, svc, TP_PORTS);
    tp_local(w, KUBE_KIND_SERVICE, text);
}

/* Whether a plan of ns/svc writes slices when the local Service exists and link 0 exports it
 * with an endpoint: only the link's rules can stop it. */
static bool tp_synced(tp_world *w, const char *ns, const char *svc)
{
    tp_local_svc(w, ns, svc);
    tp_export(w, 0, ns, svc, TP_EP("10.1.0.1"));
    plan_output out;
    bool wrote = tp_plan(w, ns, svc, &out) == 0 && tp_count(&out, PLAN_WRITE_SLICE) > 0;
    plan_output_free(&out);
    return wrote;
}

/* The body of the one slice a plan of ns/svc writes (malloc'd), or NULL when it does not
 * plan exactly one write. */
static char *tp_one_body(tp_world *w, const char *ns, const char *svc)
{
    plan_output out;
    char *body = NULL;
    if (tp_plan(w, ns, svc, &out) == 0 && out.nactions == 1)
        body = tp_body(&out.actions[0]);
    plan_output_free(&out);
    return body;
}

/* One link, demo/web local and exported with eps. */
static void tp_web(tp_world *w, const char *eps)
{
    tp_init(w, 1);
    tp_local(w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    tp_export(w, 0, "demo", "web", eps);
}

/* The same, planned and written. */
static void tp_web_synced(tp_world *w, const char *eps)
{
    tp_web(w, eps);
    CHECK(tp_converge(w, "demo", "web"));
}

/* The body of the one slice tp_web's world writes (malloc'd), or NULL. */
static char *tp_web_body(const char *eps)
{
    tp_world w;
    tp_web(&w, eps);
    char *body = tp_one_body(&w, "demo", "web");
    tp_free(&w);
    return body;
}

/* ---- N: namespaces ---- */

/* N1: a remote namespace that is the `from` of a namespaceMapping entry goes into its `to`. */
UNIT_TEST(n1_a_mapped_namespace_lands_in_its_to)
{
    tp_world w;
    tp_init_mapped(&w);
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
    tp_free(&w);
}

/* N2: a remote namespace that is neither a `from` nor a `to` keeps its name. */
UNIT_TEST(n2_an_unmapped_namespace_keeps_its_name)
{
    tp_world w;
    tp_init_mapped(&w);
    CHECK_STR_EQ(plan_local_ns(&w.links[0], "shop"), "shop");
    CHECK(tp_synced(&w, "shop", "web"));
    CHECK(tp_converge(&w, "shop", "web"));
    CHECK(tp_endpoints_of(&w, "shop", "web", "cluster-a") == 1);
    tp_free(&w);
}

/* N3: a remote namespace that is the `to` of an entry, not itself a `from`, is not synced (it
 * would collide with N1). */
UNIT_TEST(n3_a_remote_namespace_named_like_a_to_is_not_synced)
{
    tp_world w;
    tp_init_mapped(&w);
    tp_local_svc(&w, "prod-test", "web");
    tp_export(&w, 0, "default", "web", TP_EP("10.1.0.1"));
    /* A remote namespace named like a mapping target is shadowed, not merged. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("prod-test", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("prod-test", "web", "web-p", TP_EP("10.9.0.9"))) == 0);
    CHECK(linkspec_local_ns(&w.nsmap, "prod-test") == NULL && linkspec_remote_ns(&w.nsmap, "default") == NULL);
    CHECK(plan_local_ns(&w.links[0], "prod-test") == NULL);
    CHECK(tp_converge(&w, "prod-test", "web"));
    CHECK(tp_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    tp_free(&w);
}

/* ---- F: filters (spec/filter, then what plan_exported adds) ---- */

/* F1: namespace kube-system is never synced. */
UNIT_TEST(f1_kube_system_is_never_synced)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("kube-system", "dns", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("kube-system", "dns", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("kube-system", "dns", "dns-x", TP_EP("10.1.0.9"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "kube-system", "dns", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* Not even when the link includes it. */
    char *inc[] = {"kube-system"};
    w.spec[0].included_namespaces = (linkspec_list){inc, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    CHECK(!tp_synced(&w, "kube-system", "dns"));
    tp_free(&w);
}

/* F2: a Service named kubernetes, in any namespace, is never synced. */
UNIT_TEST(f2_a_service_named_kubernetes_is_never_synced)
{
    tp_world w;
    tp_init(&w, 1);
    CHECK(!tp_synced(&w, "default", "kubernetes"));
    CHECK(!tp_synced(&w, "demo", "kubernetes"));
    CHECK(tp_synced(&w, "demo", "web"));
    tp_free(&w);
}

/* One link whose spec list at `field` (offsetof(linkspec, ...)) holds item: true when ns/svc
 * is not synced and ctl_ns/ctl_svc is. */
static bool tp_rule_excludes(size_t field, char *item, const char *ns, const char *svc, const char *ctl_ns,
                             const char *ctl_svc)
{
    tp_world w;
    tp_init(&w, 1);
    char *items[] = {item};
    *(linkspec_list *)((char *)&w.spec[0] + field) = (linkspec_list){items, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    bool ok = !tp_synced(&w, ns, svc) && tp_synced(&w, ctl_ns, ctl_svc);
    tp_free(&w);
    return ok;
}

/* F3: a namespace outside the included namespaces: --included-namespaces when set, else the
 * link's includedNamespaces when not empty. */
UNIT_TEST(f3_included_namespaces_narrow_the_link)
{
    CHECK(tp_rule_excludes(offsetof(linkspec, included_namespaces), "shop", "demo", "web", "shop", "web"));
    /* --included-namespaces overrides the link's list. */
    tp_world w;
    tp_init(&w, 1);
    char *inc[] = {"shop"}, *glob[] = {"demo"};
    w.spec[0].included_namespaces = (linkspec_list){inc, 1};
    w.global = (linkspec_list){glob, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    CHECK(tp_synced(&w, "demo", "web"));
    CHECK(!tp_synced(&w, "shop", "web"));
    tp_free(&w);
}

/* F4: a namespace in --excluded-namespaces. */
UNIT_TEST(f4_global_excluded_namespaces)
{
    tp_world w;
    tp_init(&w, 1);
    char *ex[] = {"demo"};
    linkspec_list excluded = {ex, 1};
    filter_rules_exclude(&w.rules[0], &excluded);
    CHECK(!tp_synced(&w, "demo", "web"));
    CHECK(tp_synced(&w, "shop", "web"));
    /* Included by the link and excluded by the flag: excluded. */
    w.spec[0].included_namespaces = (linkspec_list){ex, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    filter_rules_exclude(&w.rules[0], &excluded);
    CHECK(!tp_synced(&w, "demo", "api"));
    tp_free(&w);
}

/* F5: a namespace in the link's excludedNamespaces. */
UNIT_TEST(f5_link_excluded_namespaces)
{
    CHECK(tp_rule_excludes(offsetof(linkspec, excluded_namespaces), "demo", "demo", "web", "shop", "web"));
}

/* F6: a Service in the link's excludedServices (namespace/name). */
UNIT_TEST(f6_excluded_services_name_namespace_and_service)
{
    CHECK(tp_rule_excludes(offsetof(linkspec, excluded_services), "demo/web", "demo", "web", "shop", "web"));
    CHECK(tp_rule_excludes(offsetof(linkspec, excluded_services), "demo/web", "demo", "web", "demo", "api"));
}

/* F7: a Service whose name is in the link's excludedServiceNames, in any namespace. */
UNIT_TEST(f7_excluded_service_names_in_any_namespace)
{
    tp_world w;
    tp_init(&w, 1);
    char *names[] = {"web"};
    w.spec[0].excluded_service_names = (linkspec_list){names, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
    CHECK(tp_rule_excludes(offsetof(linkspec, excluded_service_names), "web", "shop", "web", "demo", "api"));
}

/* Opts remote namespace ns out (or back in) with a label given as JSON members. */
static void tp_optout(ns_optout *o, const char *ns, const char *labels)
{
    char text[256];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}}}", ns, labels);
    json_doc doc;
    if (tp_doc(&doc, text) == 0)
        ns_optout_set(o, &doc, 0, true);
    json_doc_free(&doc);
}

/* F8: a Service of a remote Namespace labelled svclink.cloudpilot.ai/sync=false or
 * replicated=false. */
UNIT_TEST(f8_an_opted_out_remote_namespace_is_not_synced)
{
    tp_world w;
    tp_init(&w, 1);
    ns_optout o;
    ns_optout_init(&o, NULL, NULL);
    w.links[0].optout = &o;
    tp_optout(&o, "demo", "\"" NS_OPTOUT_LABEL "\":\"false\"");
    tp_optout(&o, "shop", "\"" NS_OPTOUT_ALIAS_LABEL "\":\"false\"");
    CHECK(!tp_synced(&w, "demo", "web"));
    CHECK(!tp_synced(&w, "shop", "web"));
    CHECK(tp_synced(&w, "other", "web"));
    /* The label turned back: synced again. */
    tp_optout(&o, "demo", "\"" NS_OPTOUT_LABEL "\":\"true\"");
    CHECK(tp_synced(&w, "demo", "web"));
    ns_optout_free(&o);
    tp_free(&w);
}

/* F10: a remote Service whose own mode is singular (M1) is not exported. */
UNIT_TEST(f10_a_singular_remote_service_is_not_exported)
{
    tp_world w;
    tp_init(&w, 1);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("singular"), "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_MSVC("demo", "api", TP_ANN("source"), "")) == 0);
    CHECK(plan_exported(&w.links[0], "demo", "web", NULL) == NULL);
    CHECK(plan_exported(&w.links[0], "demo", "api", NULL) != NULL);
    tp_free(&w);
}

/* ---- W: EndpointSlices written ---- */

/* W1: the endpoints of an exported remote Service become local slices of the local Service
 * of the same namespace/name. */
UNIT_TEST(w1_remote_endpoints_become_local_slices)
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

/* W1: only when the local Service exists and is not ExternalName. */
UNIT_TEST(w1_no_local_service_or_an_external_name_one_gets_no_slices)
{
    tp_world w;
    tp_init(&w, 1);
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0);
    plan_output_free(&out);
    tp_local(&w, KUBE_KIND_SERVICE, TP_EXT("demo", "web", "db.example.test"));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    tp_free(&w);
}

/* W2: labels service-name, managed-by svclink.cloudpilot.ai, svclink.cloudpilot.ai/cluster and
 * multicluster.kubernetes.io/source-cluster (the link), replicated=true; a slice without
 * replicated=true is written again. */
UNIT_TEST(w2_slices_carry_svclinks_labels)
{
    tp_world w;
    tp_web(&w, TP_EP("10.1.0.1"));
    char *body = tp_one_body(&w, "demo", "web");
    CHECK(body != NULL && strstr(body, "\"labels\":{\"kubernetes.io/service-name\":\"web\","
                                       "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\","
                                       "\"svclink.cloudpilot.ai/cluster\":\"cluster-a\","
                                       "\"multicluster.kubernetes.io/source-cluster\":\"cluster-a\","
                                       "\"replicated\":\"true\"}") != NULL);
    CHECK(tp_converge(&w, "demo", "web"));
    const main_view_slice *s = main_view_slices_of(&w.view, "demo", "web");
    CHECK(s != NULL && tp_cut(body, ",\"replicated\":\"true\""));
    if (s != NULL) {
        tp_record(&w, "demo", s->name, body);
        plan_output out;
        CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].observed != NULL);
        plan_output_free(&out);
    }
    free(body);
    tp_free(&w);
}

/* W3: an ownerReference to the local Service (apiVersion v1, kind Service, name, uid), so
 * deleting the Service garbage-collects its slices. */
UNIT_TEST(w3_slices_are_owned_by_the_local_service)
{
    char *body = tp_web_body(TP_EP("10.1.0.1"));
    CHECK(body != NULL && strstr(body, "\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Service\","
                                       "\"name\":\"web\",\"uid\":\"u-web\"}]") != NULL);
    /* controller and blockOwnerDeletion are left out, which the API reads as false. */
    CHECK(body != NULL && strstr(body, "\"controller\"") == NULL && strstr(body, "\"blockOwnerDeletion\"") == NULL);
    free(body);
}

/* W4: endpoints sorted by address, one per address (a pod in two remote slices during a
 * rollout counts once), at most 100 per slice, split in that order. */
UNIT_TEST(w4_one_endpoint_per_address_at_most_100_per_slice)
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
    /* In address order across both slices: each one a run, the first before the second. */
    bool sorted = out.nactions == 2;
    for (size_t i = 0; sorted && i < out.nactions; i++) {
        const slice_desc *d = &out.actions[i].desc;
        for (size_t e = 1; e < d->neps; e++)
            sorted &= memcmp(d->eps[e - 1].addr, d->eps[e].addr, 4) < 0;
    }
    CHECK(sorted && memcmp(out.actions[0].desc.eps[99].addr, out.actions[1].desc.eps[0].addr, 4) < 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_free(&w);
}

/* W4: one slice set per (service, link, addressType, port set). */
UNIT_TEST(w4_one_slice_set_per_port_set)
{
    tp_world w;
    tp_web(&w, TP_EP("10.1.0.1"));
    /* Another remote slice with the same ports joins the set; one with other ports is its own. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.1.0.2"))) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-z\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[" TP_EP("10.1.0.3") "],\"ports\":[{\"port\":9090}]}") == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_WRITE_SLICE) == 2);
    CHECK(out.nactions == 2 && out.actions[0].desc.neps + out.actions[1].desc.neps == 3);
    CHECK(out.nactions == 2 && strcmp(out.actions[0].name, out.actions[1].name) != 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_free(&w);
}

/* W5: the name is <svc>-<link>-<10 hex> (svc and link cut to 20, dots turned into '-', no
 * trailing '-'); the hex hashes (namespace, svc, link, addressType, port set, chunk). A DNS
 * label of at most 52 characters. */
UNIT_TEST(w5_slice_names_are_short_readable_dns_labels)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].name = "eu.west-1.example-cluster-name";
    static const char *const ns[2] = {"demo", "shop"};
    char names[2][64] = {"", ""};
    for (size_t i = 0; i < 2; i++) {
        CHECK(tp_synced(&w, ns[i], "a-very-long-service-name"));
        plan_output out;
        if (tp_plan(&w, ns[i], "a-very-long-service-name", &out) == 0 && out.nactions == 1)
            memcpy(names[i], out.actions[0].name, sizeof names[i]);
        plan_output_free(&out);
    }
    const char *prefix = "a-very-long-service-eu-west-1-example-cl-";
    size_t n = strlen(names[0]);
    CHECK(strncmp(names[0], prefix, strlen(prefix)) == 0 && n == strlen(prefix) + 10 && n <= 52);
    CHECK(strspn(names[0] + strlen(prefix), "0123456789abcdef") == 10);
    CHECK(strspn(names[0], "abcdefghijklmnopqrstuvwxyz0123456789-") == n);
    /* The same Service name in another namespace: another hash. */
    CHECK(strncmp(names[1], prefix, strlen(prefix)) == 0 && strcmp(names[0], names[1]) != 0);
    tp_free(&w);
}

/* W6: conditions ready, serving and terminating as the remote says (nil stays nil);
 * not-ready and terminating endpoints are kept. Only the first of an endpoint's addresses
 * is carried (the row says every address; reported). */
UNIT_TEST(w6_conditions_are_copied_and_no_endpoint_is_left_out)
{
    char *body = tp_web_body(TP_EP("10.1.0.1") ",{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":false}},"
              "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false,\"serving\":true,\"terminating\":true}}");
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.1\"],\"conditions\":{}}") != NULL);
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.2\"],\"conditions\":{\"ready\":false}}") != NULL);
    CHECK(body != NULL && strstr(body, "{\"addresses\":[\"10.1.0.3\"],\"conditions\":{\"ready\":false,"
                                       "\"serving\":true,\"terminating\":true}}") != NULL);
    free(body);
}

/* ---- headless Services ---- */

#define TP_HEADLESS(ns, name, extra)                                                                   \
    "{\"metadata\":{\"namespace\":\"" ns "\",\"name\":\"" name "\",\"uid\":\"u-" name "\"" extra "},"      \
    "\"spec\":{\"clusterIP\":\"None\",\"ports\":[{\"port\":80,\"targetPort\":8080}]}}"
#define TP_HOST_EP(ip, host) "{\"addresses\":[\"" ip "\"],\"hostname\":\"" host "\"}"

/* W7: for a local headless Service the hostname becomes <hostname>-<link>, so every pod of
 * every cluster has its own DNS name under the Service. */
UNIT_TEST(w7_headless_gives_each_pod_of_each_cluster_its_own_name)
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

/* W7: past 63 characters, <first 40 of hostname>-<10 hex of (hostname, link)>. */
UNIT_TEST(w7_headless_hostnames_stay_dns_labels)
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

/* W8: never copied: nodeName, targetRef, zone, hints. */
UNIT_TEST(w8_node_name_target_ref_zone_and_hints_are_never_copied)
{
    char *body = tp_web_body("{\"addresses\":[\"10.1.0.1\"],\"nodeName\":\"node-1\",\"zone\":\"zone-a\",\"targetRef\":{\"kind\":"
              "\"Pod\",\"namespace\":\"demo\",\"name\":\"web-0\"},\"hints\":{\"forZones\":[{\"name\":\"zone-a\"}]}}");
    CHECK(body != NULL && strstr(body, "10.1.0.1") != NULL);
    CHECK(body != NULL && strstr(body, "nodeName") == NULL && strstr(body, "targetRef") == NULL &&
          strstr(body, "\"zone\"") == NULL && strstr(body, "hints") == NULL && strstr(body, "zone-a") == NULL);
    free(body);
}

/* W9: a local Service with trafficDistribution PreferClose (or PreferSameZone) gets every
 * endpoint hinted for zone svclink-remote, which no node is in. */
UNIT_TEST(w9_prefer_close_hints_remote_endpoints_for_a_zone_no_node_is_in)
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

/* W9: a hint edited by hand makes the slice differ from what is wanted, so it is repaired. */
UNIT_TEST(w9_a_hand_edited_hint_is_repaired)
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

/* W10: address types IPv4 and IPv6; FQDN slices are not synced; an endpoint whose first
 * address is loopback, link-local, unspecified or multicast is dropped. */
UNIT_TEST(w10_ipv4_and_ipv6_only_and_unsafe_addresses_dropped)
{
    tp_world w;
    tp_web(&w, TP_EP("10.1.0.1") "," TP_EP("127.0.0.1") "," TP_EP("169.254.0.1") "," TP_EP("0.0.0.0") "," TP_EP("224.0.0.1"));
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-6\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv6\",\"endpoints\":[" TP_EP("fd00::1") "," TP_EP("::1") "," TP_EP(
                        "fe80::1") "],\"ports\":[{\"port\":8080}]}") == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-f\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"FQDN\",\"endpoints\":[" TP_EP("web.example.test") "],\"ports\":[{\"port\":8080}]}") == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_WRITE_SLICE) == 2);
    size_t v4 = 0, v6 = 0;
    for (size_t i = 0; i < out.nactions; i++) {
        v4 += out.actions[i].desc.addr_type == SLICE_ADDR_IPV4 && out.actions[i].desc.neps == 1;
        v6 += out.actions[i].desc.addr_type == SLICE_ADDR_IPV6 && out.actions[i].desc.neps == 1;
    }
    CHECK(v4 == 1 && v6 == 1);
    CHECK(out.ncounts == 1 && out.counts[0].endpoints == 2);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    tp_free(&w);
}

/* W11: ports are the remote slice's (name, port, protocol, appProtocol). */
UNIT_TEST(w11_ports_are_the_remote_slices)
{
    tp_world w;
    tp_init(&w, 1);
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE,
                    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-x\",\"labels\":{\"kubernetes.io/service-name\":"
                    "\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":[" TP_EP("10.1.0.1") "],\"ports\":[{\"name\":"
                    "\"http\",\"port\":8080,\"protocol\":\"TCP\",\"appProtocol\":\"http\"},{\"name\":\"dns\",\"port\":53,"
                    "\"protocol\":\"UDP\"}]}") == 0);
    char *body = tp_one_body(&w, "demo", "web");
    CHECK(body != NULL && strstr(body, "\"ports\":[{\"name\":\"dns\",\"port\":53,\"protocol\":\"UDP\"},{\"name\":"
                                       "\"http\",\"port\":8080,\"protocol\":\"TCP\",\"appProtocol\":\"http\"}]") != NULL);
    free(body);
    tp_free(&w);
}

/* ---- S: local Services (createServices) ---- */

/* Two links exporting demo/web (port 80 to 8080); cluster-b may create Services. */
static void tp_two_exporters(tp_world *w)
{
    tp_init(w, 2);
    CHECK(tp_remote(w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    CHECK(tp_remote(w, 1, KUBE_KIND_SERVICE, TP_SVC("demo", "web", "")) == 0);
    w->links[1].create_services = true;
}

/* S1: a missing local Service whose creator's remote is ClusterIP is created selectorless,
 * with the remote's ports (targetPort as the remote gives it); only when a link may create. */
UNIT_TEST(s1_a_missing_service_is_created_only_when_asked)
{
    tp_world w;
    tp_two_exporters(&w);
    w.links[1].create_services = false;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[1].create_services = true;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CREATE_SERVICE &&
          strcmp(out.actions[0].link, "cluster-b") == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    char *body = a != NULL ? svc_body_service("demo", "web", a->rsvc, NULL, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"type\":\"ClusterIP\"") != NULL && strstr(body, "\"targetPort\":8080") != NULL &&
          strstr(body, "selector") == NULL);
    free(body);
    plan_output_free(&out);
    tp_free(&w);
}

/* S1: createServices is per link. */
UNIT_TEST(s1_create_services_is_per_link)
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

/* S2: a missing local Service whose creator's remote is headless is created with
 * clusterIP: None. */
UNIT_TEST(s2_a_headless_remote_is_created_headless)
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
    tp_free(&w);
}

/* S3: a missing local Service whose creator's remote is ExternalName is created with the same
 * externalName; never slices. */
UNIT_TEST(s3_an_external_name_is_created_with_its_target_and_no_slices)
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
    tp_free(&w);
}

/* S4: a Service svclink created, of the same type, whose ports or externalName differ from the
 * creator's remote gets a merge patch. */
UNIT_TEST(s4_a_created_service_follows_the_remote_ports)
{
    tp_world w;
    tp_two_exporters(&w);
    tp_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* S4: ... and its externalName. */
UNIT_TEST(s4_a_created_external_name_follows_the_remote_target)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db.example.test\"}"));
    /* The target changes: patched. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db2.example.test")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* S5: a Service svclink created whose type (ClusterIP, headless, ExternalName) differs from
 * the creator's remote is deleted, and created again on the next pass. */
UNIT_TEST(s5_external_name_and_cluster_ip_replace_each_other)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    plan_output out;
    /* ExternalName -> ClusterIP: deleted, then made again as ClusterIP. */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "db", "")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_local_delete(&w, TP_CREATED("demo", "db", "cluster-a", "{}"));
    CHECK(tp_plan(&w, "demo", "db", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->rsvc->external_name == NULL && !(a->rsvc->flags & REMOTE_EXTERNAL_NAME));
    plan_output_free(&out);
    /* And back: a ClusterIP one svclink made becomes an ExternalName through a delete. */
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db.example.test")) == 0);
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* S5: clusterIP is immutable: a ClusterIP one svclink made for a now headless remote is
 * deleted and made again. */
UNIT_TEST(s5_a_cluster_ip_change_deletes_and_creates_again)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_HEADLESS("demo", "db", "")) == 0);
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* S6: a Service svclink did not create is never touched (slices only, W1). */
UNIT_TEST(s6_a_service_svclink_did_not_create_is_never_touched)
{
    tp_world w;
    tp_two_exporters(&w);
    tp_local(&w, KUBE_KIND_SERVICE, "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\"},"
                      "\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 0 && tp_count(&out, PLAN_CREATE_SERVICE) == 0);
    plan_output_free(&out);
    tp_free(&w);
}

/* S7: a Service svclink created that no synced link exports, and that no disabled, syncing or
 * unreachable link made or has slices in, is deleted (uid precondition). */
UNIT_TEST(s7_a_created_service_goes_once_no_link_wants_it)
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

/* S7: ... it stays while another link exports it, or has slices in it. */
UNIT_TEST(s7_a_created_service_another_link_still_exports_stays)
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

/* S8: created Services carry replicated=true, created-by=svclink, source-cluster=<creator
 * link> and source-namespace=<remote namespace>; never clusterIP, nodePort, externalIPs or
 * loadBalancer* fields. */
UNIT_TEST(s8_created_services_say_where_they_come_from_and_pin_no_address)
{
    tp_world w;
    tp_init_mapped(&w);
    w.links[0].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE,
                    "{\"metadata\":{\"namespace\":\"default\",\"name\":\"web\"},\"spec\":{\"type\":\"LoadBalancer\","
                    "\"clusterIP\":\"10.96.0.5\",\"externalIPs\":[\"192.0.2.1\"],\"loadBalancerIP\":\"192.0.2.2\","
                    "\"ports\":[{\"port\":80,\"targetPort\":8080,\"nodePort\":30080}]}}") == 0);
    plan_output out;
    CHECK(tp_plan(&w, "prod-test", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && strcmp(a->link, "cluster-a") == 0);
    svc_body_source src = {.link = a != NULL ? a->link : NULL, .ns = a != NULL ? a->remote_ns : NULL};
    char *body = a != NULL ? svc_body_service("prod-test", "web", a->rsvc, &src, false, &(size_t){0}) : NULL;
    CHECK(body != NULL && strstr(body, "\"svclink.cloudpilot.ai/created-by\":\"svclink\"") != NULL &&
          strstr(body, "\"replicated\":\"true\"") != NULL &&
          strstr(body, "\"svclink.cloudpilot.ai/source-cluster\":\"cluster-a\"") != NULL &&
          strstr(body, "\"svclink.cloudpilot.ai/source-namespace\":\"default\"") != NULL);
    CHECK(body != NULL && strstr(body, "clusterIP") == NULL && strstr(body, "nodePort") == NULL &&
          strstr(body, "externalIPs") == NULL && strstr(body, "loadBalancer") == NULL &&
          strstr(body, "\"type\":\"ClusterIP\"") != NULL);
    free(body);
    plan_output_free(&out);
    tp_free(&w);
}

/* S9: a link other than the creator that exports an ExternalName with another externalName is
 * ignored for that Service (and named). */
UNIT_TEST(s9_another_links_other_external_name_is_ignored)
{
    tp_world w;
    tp_init(&w, 2);
    w.links[0].create_services = w.links[1].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "db2.example.test")) == 0);
    tp_local(&w, KUBE_KIND_SERVICE, TP_CREATED("demo", "db", "cluster-a",
                                 "{\"type\":\"ExternalName\",\"externalName\":\"db2.example.test\"}"));
    /* Another link naming another target loses to the creator, and is named. */
    CHECK(tp_remote(&w, 1, KUBE_KIND_SERVICE, TP_EXT("demo", "db", "other.example.test")) == 0);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "db", &out) == 0 && out.nactions == 0);
    CHECK(out.ignored_link != NULL && strcmp(out.ignored_link, "cluster-b") == 0);
    plan_output_free(&out);
    tp_free(&w);
}

/* S10: svclink updates or deletes only Services with the created-by label and no selector
 * and no mode annotation; any other Service is only ever patched for its selector (M4, M7). */
UNIT_TEST(s10_only_plain_created_services_are_patched_or_deleted)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].create_services = true;
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("source"), "")) == 0);
    /* created-by, other ports: patched while plain... */
    tp_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}},\"spec\":{\"ports\":[{\"port\":81}]}}");
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_PATCH_SERVICE) == 1);
    plan_output_free(&out);
    /* ...left alone once it has a mode; a receiver's only write is its selector's stash. */
    tp_local(&w, KUBE_KIND_SERVICE,
             "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web\",\"uid\":\"u1\",\"labels\":{"
             "\"svclink.cloudpilot.ai/created-by\":\"svclink\"}" TP_ANN("receiver") "},\"spec\":{\"ports\":[{\"port\":81}]"
             TP_SEL "}}");
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_PATCH_SERVICE) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0 &&
          tp_count(&out, PLAN_STASH_SELECTOR) == 1);
    plan_output_free(&out);
    tp_remote_delete(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SERVICE) == 0);
    plan_output_free(&out);
    tp_free(&w);
}

/* ---- A: the address policy ---- */

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

/* Whether a plan of demo/web, exported by one link under policy p with endpoints `denied` and
 * 10.245.0.1, drops exactly `denied` for reason r and writes 10.245.0.1. */
static bool tp_drops_only(const addrpol *p, const char *denied, addrpol_reason r)
{
    tp_world w;
    tp_init(&w, 1);
    w.links[0].policy = p;
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    char eps[128];
    snprintf(eps, sizeof eps, "{\"addresses\":[\"%s\"]}," TP_EP("10.245.0.1"), denied);
    tp_export(&w, 0, "demo", "web", eps);
    plan_output out;
    bool ok = tp_plan(&w, "demo", "web", &out) == 0 && out.ndrops == 1 && tp_has_drop(&out, "cluster-a", denied, r) &&
              out.nactions == 1 && out.actions[0].desc.neps == 1 && out.actions[0].desc.eps[0].addr[1] == 245;
    plan_output_free(&out);
    tp_free(&w);
    return ok;
}

/* Whether, with only the deny set of reason r holding ranges, addr is dropped for r. */
static bool tp_denied(addrpol_reason r, const char *ranges, const char *addr)
{
    addrpol_set set;
    tp_set(&set, ranges);
    addrpol p = {0};
    p.deny[r] = &set;
    bool ok = tp_drops_only(&p, addr, r);
    addrpol_set_free(&set);
    return ok;
}

/* A1: an address inside a main-cluster Service CIDR is never written (service-cidr). */
UNIT_TEST(a1_service_cidr_addresses_are_dropped)
{
    CHECK(tp_denied(ADDRPOL_SERVICE_CIDR, "10.96.0.0/16", "10.96.0.1"));
}

/* A1: the same on IPv6 slices. */
UNIT_TEST(a1_service_cidr_on_ipv6_slices)
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

/* A2: an address of a main-cluster Node is never written (node). */
UNIT_TEST(a2_node_addresses_are_dropped)
{
    CHECK(tp_denied(ADDRPOL_NODE, "172.18.0.2", "172.18.0.2"));
}

/* A3: an endpoint of the kubernetes slices in default, or svclink's own API server, is never
 * written (apiserver). */
UNIT_TEST(a3_api_server_addresses_are_dropped)
{
    CHECK(tp_denied(ADDRPOL_APISERVER, "172.18.0.10", "172.18.0.10"));
}

/* A4: outside --allowed-cidrs when set, or outside the link's allowedCIDRs when set (inside
 * both when both are): not-allowed. */
UNIT_TEST(a4_outside_either_allow_list_is_dropped)
{
    addrpol_set global, link, empty;
    tp_set(&global, "10.245.0.0/16");
    tp_set(&link, "10.245.0.0/24");
    addrpol_set_init(&empty);
    addrpol p = {.allow_global = &global, .allow_link = &link};
    CHECK(tp_drops_only(&p, "10.245.7.1", ADDRPOL_NOT_ALLOWED));
    CHECK(tp_drops_only(&p, "10.246.0.1", ADDRPOL_NOT_ALLOWED));
    /* An empty list is no list. */
    p.allow_link = &empty;
    CHECK(tp_drops_only(&p, "10.246.0.1", ADDRPOL_NOT_ALLOWED) && !tp_drops_only(&p, "10.245.7.1", ADDRPOL_NOT_ALLOWED));
    addrpol_set_free(&global);
    addrpol_set_free(&link);
    addrpol_set_free(&empty);
}

/* A4: each link has its own allowedCIDRs; with A1 to A3 in one plan, the first matching row
 * names the reason. */
UNIT_TEST(a4_each_link_has_its_own_allow_list)
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

/* A6: a change of the policy plans every Service again, so an address that becomes a node's
 * leaves the slices. */
UNIT_TEST(a6_a_policy_change_removes_what_is_now_denied)
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

/* ---- B: behaviour the plan decides ---- */

/* B2: svclink writes only differences: a slice deleted or edited by hand comes back, and
 * nothing to do writes nothing. */
UNIT_TEST(b2_a_slice_deleted_or_edited_by_hand_comes_back)
{
    tp_world w;
    tp_web(&w, TP_EP("10.1.0.1") "," TP_EP("10.1.0.2"));
    char *body = tp_one_body(&w, "demo", "web");
    CHECK(tp_converge(&w, "demo", "web"));
    const main_view_slice *s = main_view_slices_of(&w.view, "demo", "web");
    char name[64] = "";
    if (s != NULL)
        snprintf(name, sizeof name, "%s", s->name);
    CHECK(name[0] != '\0');
    plan_output out;
    /* Deleted by hand: created again. */
    tp_record(&w, "demo", name, NULL);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].kind == PLAN_WRITE_SLICE &&
          out.actions[0].observed == NULL);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    /* An endpoint removed by hand: updated. */
    CHECK(tp_cut(body, ",{\"addresses\":[\"10.1.0.2\"],\"conditions\":{}}"));
    tp_record(&w, "demo", name, body);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && out.actions[0].observed != NULL);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    free(body);
    tp_free(&w);
}

/* B5: a disabled link's slices stay as they are: no updates. */
UNIT_TEST(b5_a_disabled_link_keeps_its_slices_as_they_are)
{
    tp_world w;
    tp_web_synced(&w, TP_EP("10.1.0.1"));
    /* Disabled, unsynced or partitioned: the remote went away but nothing is removed. */
    tp_remote_delete(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1")));
    w.links[0].mode = PLAN_KEEP;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 0 && out.ncounts == 0);
    plan_output_free(&out);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    tp_free(&w);
}

/* B7: once ClusterLinks are listed, slices of links that no longer exist are deleted. */
UNIT_TEST(b7_slices_of_links_that_no_longer_exist_are_deleted)
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

/* B7: once a link's remote is synced, its slices for Services that no longer exist remotely
 * are deleted. */
UNIT_TEST(b7_slices_of_services_gone_remotely_are_deleted)
{
    tp_world w;
    tp_web_synced(&w, TP_EP("10.1.0.1"));
    tp_remote_delete(&w, 0, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    tp_remote_delete(&w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1")));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && tp_count(&out, PLAN_DELETE_SLICE) == 1);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(main_view_slices_of(&w.view, "demo", "web") == NULL);
    tp_free(&w);
}

#define TP_GO_SLICE                                                                                   \
    "{\"metadata\":{\"namespace\":\"demo\",\"name\":\"web-svclink-cluster-a\",\"labels\":{"               \
    "\"endpointslice.kubernetes.io/managed-by\":\"svclink.cloudpilot.ai\",\"cloudpilot.ai/svclink-cluster\":" \
    "\"cluster-a\",\"kubernetes.io/service-name\":\"web\"}},\"addressType\":\"IPv4\",\"endpoints\":["     \
    TP_EP("10.1.0.9") "],\"ports\":[{\"port\":8080}]}"

/* B8: svclink (Go)'s slices are slices of that link; they are deleted only in a later pass
 * that finds every wanted slice written as wanted (while ours is refused or in flight the
 * old one stays); a disabled link keeps them, a deleted one removes them like its own. */
UNIT_TEST(b8_go_slices_go_only_once_ours_are_written)
{
    tp_world w;
    tp_web(&w, TP_EP("10.1.0.1"));
    tp_local(&w, KUBE_KIND_ENDPOINT_SLICE, TP_GO_SLICE);
    const main_view_slice *go = main_view_slice_get(&w.view, "demo", "web-svclink-cluster-a");
    CHECK(go != NULL && go->foreign);
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && tp_count(&out, PLAN_WRITE_SLICE) == 1);
    char ours[64];
    snprintf(ours, sizeof ours, "%s", out.nactions == 1 ? out.actions[0].name : "");
    plan_output_free(&out);
    /* Ours in flight: theirs stays. */
    CHECK(main_view_slice_write_begin(&w.view, "demo", ours) == 0);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SLICE) == 0);
    plan_output_free(&out);
    main_view_slice_write_end(&w.view, "demo", ours);
    /* Disabled: kept. Deleted: removed like ours. */
    w.links[0].mode = PLAN_KEEP;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    w.links[0].mode = PLAN_EMPTY;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && tp_count(&out, PLAN_DELETE_SLICE) == 1);
    plan_output_free(&out);
    /* Ours written as wanted: the next pass deletes theirs. */
    w.links[0].mode = PLAN_MANAGE;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    tp_apply(&w, &out);
    plan_output_free(&out);
    CHECK(tp_plan(&w, "demo", "web", &out) == 0 && out.nactions == 1 && tp_count(&out, PLAN_DELETE_SLICE) == 1 &&
          strcmp(out.actions[0].observed->name, "web-svclink-cluster-a") == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(main_view_slice_get(&w.view, "demo", "web-svclink-cluster-a") == NULL);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1);
    tp_free(&w);
}

/* B10: a link unreachable past staleEndpointTimeoutSeconds (or deleted) loses its slices. */
UNIT_TEST(b10_a_stale_link_loses_its_slices)
{
    tp_world w;
    tp_web_synced(&w, TP_EP("10.1.0.1"));
    /* Deleted or stale: every slice of the link goes. */
    w.links[0].mode = PLAN_EMPTY;
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && out.ncounts == 1 && out.counts[0].endpoints == 0);
    plan_output_free(&out);
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(main_view_slices_of(&w.view, "demo", "web") == NULL);
    tp_free(&w);
}

/* ---- R: svclink mirror ---- */

/* R5: a Service counts as created by svclink only with created-by=svclink and
 * source-cluster=<link>: Services of other svclink instances are never changed. */
UNIT_TEST(r5_only_this_links_created_services_are_ours)
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

/* ---- M: per-Service modes ---- */

/* Two links: cluster-a's web (10.1.0.1) and cluster-b's web (10.2.0.1), modes as given. */
static void tp_two_remotes(tp_world *w, const char *svc_a, const char *svc_b)
{
    tp_init(w, 2);
    CHECK(tp_remote(w, 0, KUBE_KIND_SERVICE, svc_a) == 0);
    CHECK(tp_remote(w, 0, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-x", TP_EP("10.1.0.1"))) == 0);
    CHECK(tp_remote(w, 1, KUBE_KIND_SERVICE, svc_b) == 0);
    CHECK(tp_remote(w, 1, KUBE_KIND_ENDPOINT_SLICE, TP_SLICE("demo", "web", "web-y", TP_EP("10.2.0.1"))) == 0);
}

/* M1: a link whose remote mode is singular contributes nothing: its slices are deleted. */
UNIT_TEST(m1_a_singular_remote_loses_its_slices)
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

/* M1: ... and a Service svclink created for it is deleted when no other link exports it (it
 * is never created in the first place). */
UNIT_TEST(m1_a_singular_remote_gets_no_created_service)
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

/* M2: a local Service whose mode is singular gets no slices at all (existing ones deleted). */
UNIT_TEST(m2_a_singular_local_service_imports_nothing)
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

/* M3: local none, union or source, remote none, union, receiver or source: slices from every
 * link, as without modes. */
UNIT_TEST(m3_union_takes_every_cluster)
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

/* M4: a receiver (or a union meeting a source) with a source link is held: its selector goes
 * into the stash annotation exactly, the controller's stale slices are cleared, and only
 * source links give slices. */
UNIT_TEST(m4_a_receiver_holds_its_selector_and_takes_only_sources)
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
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," TP_STASH "}", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    tp_apply(&w, &out);
    plan_output_free(&out);
    /* held: what is left each pass is clearing the controller's stale slices (the engine
     * does that once per stash) */
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    CHECK(out.nactions == 1 && out.actions[0].kind == PLAN_CLEAR_CONTROLLER_SLICES);
    plan_output_free(&out);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1 && tp_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    tp_free(&w);
}

/* M5: a held Service gets no slices from a link whose remote is not source. */
UNIT_TEST(m5_a_held_service_drops_the_slices_of_other_links)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", "", ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE, TP_SVC("demo", "web", ""));
    CHECK(tp_converge(&w, "demo", "web"));
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-b") == 1);
    /* cluster-a turns source and the local Service a receiver (already stashed). */
    CHECK(tp_remote(&w, 0, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", TP_ANN("source"), "")) == 0);
    tp_local(&w, KUBE_KIND_SERVICE,
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," TP_STASH "}", ""));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_DELETE_SLICE);
    CHECK(tp_count(&out, PLAN_DELETE_SLICE) == 1 && a != NULL && strcmp(a->link, "cluster-b") == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 0);
    tp_apply(&w, &out);
    plan_output_free(&out);
    CHECK(tp_endpoints_of(&w, "demo", "web", "cluster-a") == 1 && tp_endpoints_of(&w, "demo", "web", "cluster-b") == 0);
    tp_free(&w);
}

/* M6: a receiver with no source anywhere keeps its selector, takes slices from every link, and
 * says "receiver without a source cluster". */
UNIT_TEST(m6_a_receiver_without_a_source_keeps_its_selector)
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

/* M7: not held, with a stash and no selector: spec.selector is set to the stash exactly and the
 * annotation removed. */
UNIT_TEST(m7_no_longer_held_the_stash_comes_back_exactly)
{
    tp_world w;
    tp_two_remotes(&w, TP_MSVC("demo", "web", TP_ANN("source"), ""), TP_MSVC("demo", "web", "", ""));
    tp_local(&w, KUBE_KIND_SERVICE,
             TP_MSVC("demo", "web", ",\"annotations\":{\"svclink.cloudpilot.ai/mode\":\"receiver\"," TP_STASH "}", ""));
    plan_output out;
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    tp_apply(&w, &out); /* held: cluster-a's slice written */
    plan_output_free(&out);
    /* the mode goes: the stash comes back exactly, cluster-b's endpoints too */
    tp_local(&w, KUBE_KIND_SERVICE, TP_MSVC("demo", "web", ",\"annotations\":{" TP_STASH "}", ""));
    CHECK(tp_plan(&w, "demo", "web", &out) == 0);
    const plan_action *a = tp_first(&out, PLAN_RESTORE_SELECTOR);
    CHECK(a != NULL && strcmp(a->local->stash, "{\"app\":\"web\",\"tier\":\"db\"}") == 0);
    CHECK(tp_count(&out, PLAN_WRITE_SLICE) == 1);
    plan_output_free(&out);
    tp_free(&w);
}

/* M8: a stash that is not a JSON object of 1 to 64 label keys to values (at most 4096 bytes)
 * is never applied, never removed, and logged "stashed selector refused" with the reason. */
UNIT_TEST(m8_a_bad_stash_is_refused_never_applied)
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

/* M9: a Service with both a selector and a stash: nothing changed, logged. */
UNIT_TEST(m9_a_selector_and_a_stash_both_set_change_nothing)
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

/* M10: an unknown mode value is treated as none and logged "unknown mode value". */
UNIT_TEST(m10_an_unknown_mode_value_is_reported_and_ignored)
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

/* M11: a Service created by svclink, then given a selector or a mode, is adopted: never patched
 * or deleted by the created-Service rows (S10). */
UNIT_TEST(m11_a_created_service_given_a_selector_or_mode_is_adopted)
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

/* M12: held, with source on more than one link: the endpoints of every source are used, logged
 * "more than one cluster claims source". Also M4: a union Service meeting a source is held. */
UNIT_TEST(m12_every_source_is_used_when_more_than_one_claims_it)
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
