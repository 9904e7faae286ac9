/* Unit tests for plan: namespaces (N) and filters (F), one case per row of docs/sync-contract.md named
 * by its id, each quoting its row (hack/check-contract.sh checks the names). */
#include "plan_world.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>

/* ---- N: namespaces ---- */

/* N1: a remote namespace that is the `from` of a namespaceMapping entry goes into its `to`. */
UNIT_TEST(n1_a_mapped_namespace_lands_in_its_to)
{
    plan_world w;
    plan_world_init_mapped(&w);
    w.links[0].create_services = true;
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("default", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("default", "web", "web-x", PW_EP("10.1.0.1"))) == 0);
    plan_output out;
    /* Nothing lands under the remote's own name... */
    CHECK(plan_world_plan(&w, "default", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* ...the Service is made in the mapped namespace, labelled with where it came from. */
    CHECK(plan_world_plan(&w, "prod-test", "web", &out) == 0);
    const plan_action *a = plan_world_first(&out, PLAN_CREATE_SERVICE);
    CHECK(a != NULL && a->remote_ns != NULL && strcmp(a->remote_ns, "default") == 0);
    plan_output_free(&out);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_CREATED("prod-test", "web", "cluster-a", "{\"ports\":[{\"port\":80,\"targetPort\":8080}]}"));
    CHECK(plan_world_plan(&w, "prod-test", "web", &out) == 0);
    CHECK(out.nactions == 1 && plan_world_count(&out, PLAN_WRITE_SLICE) == 1);
    CHECK(out.nactions == 1 && strcmp(out.actions[0].desc.ns, "prod-test") == 0);
    plan_output_free(&out);
    CHECK(plan_world_converge(&w, "prod-test", "web"));
    CHECK(plan_world_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* N2: a remote namespace that is neither a `from` nor a `to` keeps its name. */
UNIT_TEST(n2_an_unmapped_namespace_keeps_its_name)
{
    plan_world w;
    plan_world_init_mapped(&w);
    CHECK_STR_EQ(plan_local_ns(&w.links[0], "shop"), "shop");
    CHECK(plan_world_synced(&w, "shop", "web"));
    CHECK(plan_world_converge(&w, "shop", "web"));
    CHECK(plan_world_endpoints_of(&w, "shop", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* N3: a remote namespace that is the `to` of an entry, not itself a `from`, is not synced (it
 * would collide with N1). */
UNIT_TEST(n3_a_remote_namespace_named_like_a_to_is_not_synced)
{
    plan_world w;
    plan_world_init_mapped(&w);
    plan_world_local_svc(&w, "prod-test", "web");
    plan_world_export(&w, 0, "default", "web", PW_EP("10.1.0.1"));
    /* A remote namespace named like a mapping target is shadowed, not merged. */
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("prod-test", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("prod-test", "web", "web-p", PW_EP("10.9.0.9"))) == 0);
    CHECK(linkspec_local_ns(&w.nsmap, "prod-test") == NULL && linkspec_remote_ns(&w.nsmap, "default") == NULL);
    CHECK(plan_local_ns(&w.links[0], "prod-test") == NULL);
    CHECK(plan_world_converge(&w, "prod-test", "web"));
    CHECK(plan_world_endpoints_of(&w, "prod-test", "web", "cluster-a") == 1);
    plan_world_free(&w);
}

/* ---- F: filters (spec/filter, then what plan_exported adds) ---- */

/* F1: namespace kube-system is never synced. */
UNIT_TEST(f1_kube_system_is_never_synced)
{
    plan_world w;
    plan_world_init(&w, 1);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("kube-system", "dns", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("kube-system", "dns", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("kube-system", "dns", "dns-x", PW_EP("10.1.0.9"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "kube-system", "dns", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    /* Not even when the link includes it. */
    char *inc[] = {"kube-system"};
    w.spec[0].included_namespaces = (linkspec_list){inc, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    CHECK(!plan_world_synced(&w, "kube-system", "dns"));
    plan_world_free(&w);
}

/* F2: a Service named kubernetes, in any namespace, is never synced. */
UNIT_TEST(f2_a_service_named_kubernetes_is_never_synced)
{
    plan_world w;
    plan_world_init(&w, 1);
    CHECK(!plan_world_synced(&w, "default", "kubernetes"));
    CHECK(!plan_world_synced(&w, "demo", "kubernetes"));
    CHECK(plan_world_synced(&w, "demo", "web"));
    plan_world_free(&w);
}

/* One link whose spec list at `field` (offsetof(linkspec, ...)) holds item: true when ns/svc
 * is not synced and ctl_ns/ctl_svc is. */
static bool plan_world_rule_excludes(size_t field, char *item, const char *ns, const char *svc, const char *ctl_ns,
                             const char *ctl_svc)
{
    plan_world w;
    plan_world_init(&w, 1);
    char *items[] = {item};
    *(linkspec_list *)((char *)&w.spec[0] + field) = (linkspec_list){items, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    bool ok = !plan_world_synced(&w, ns, svc) && plan_world_synced(&w, ctl_ns, ctl_svc);
    plan_world_free(&w);
    return ok;
}

/* F3: a namespace outside the included namespaces: --included-namespaces when set, else the
 * link's includedNamespaces when not empty. */
UNIT_TEST(f3_included_namespaces_narrow_the_link)
{
    CHECK(plan_world_rule_excludes(offsetof(linkspec, included_namespaces), "shop", "demo", "web", "shop", "web"));
    /* --included-namespaces overrides the link's list. */
    plan_world w;
    plan_world_init(&w, 1);
    char *inc[] = {"shop"}, *glob[] = {"demo"};
    w.spec[0].included_namespaces = (linkspec_list){inc, 1};
    w.global = (linkspec_list){glob, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    CHECK(plan_world_synced(&w, "demo", "web"));
    CHECK(!plan_world_synced(&w, "shop", "web"));
    plan_world_free(&w);
}

/* F4: a namespace in --excluded-namespaces. */
UNIT_TEST(f4_global_excluded_namespaces)
{
    plan_world w;
    plan_world_init(&w, 1);
    char *ex[] = {"demo"};
    linkspec_list excluded = {ex, 1};
    filter_rules_exclude(&w.rules[0], &excluded);
    CHECK(!plan_world_synced(&w, "demo", "web"));
    CHECK(plan_world_synced(&w, "shop", "web"));
    /* Included by the link and excluded by the flag: excluded. */
    w.spec[0].included_namespaces = (linkspec_list){ex, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    filter_rules_exclude(&w.rules[0], &excluded);
    CHECK(!plan_world_synced(&w, "demo", "api"));
    plan_world_free(&w);
}

/* F5: a namespace in the link's excludedNamespaces. */
UNIT_TEST(f5_link_excluded_namespaces)
{
    CHECK(plan_world_rule_excludes(offsetof(linkspec, excluded_namespaces), "demo", "demo", "web", "shop", "web"));
}

/* F6: a Service in the link's excludedServices (namespace/name). */
UNIT_TEST(f6_excluded_services_name_namespace_and_service)
{
    CHECK(plan_world_rule_excludes(offsetof(linkspec, excluded_services), "demo/web", "demo", "web", "shop", "web"));
    CHECK(plan_world_rule_excludes(offsetof(linkspec, excluded_services), "demo/web", "demo", "web", "demo", "api"));
}

/* F7: a Service whose name is in the link's excludedServiceNames, in any namespace. */
UNIT_TEST(f7_excluded_service_names_in_any_namespace)
{
    plan_world w;
    plan_world_init(&w, 1);
    char *names[] = {"web"};
    w.spec[0].excluded_service_names = (linkspec_list){names, 1};
    filter_rules_init(&w.rules[0], &w.spec[0], &w.global);
    plan_world_local(&w, KUBE_KIND_SERVICE, PW_SVC("demo", "web", ""));
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_SVC("demo", "web", "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_ENDPOINT_SLICE, PW_SLICE("demo", "web", "web-x", PW_EP("10.1.0.1"))) == 0);
    plan_output out;
    CHECK(plan_world_plan(&w, "demo", "web", &out) == 0 && out.nactions == 0);
    plan_output_free(&out);
    plan_world_free(&w);
    CHECK(plan_world_rule_excludes(offsetof(linkspec, excluded_service_names), "web", "shop", "web", "demo", "api"));
}

/* Opts remote namespace ns out (or back in) with a label given as JSON members. */
static void plan_world_optout(ns_optout *o, const char *ns, const char *labels)
{
    char text[256];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}}}", ns, labels);
    json_doc doc;
    if (plan_world_doc(&doc, text) == 0)
        ns_optout_set(o, &doc, 0, true);
    json_doc_free(&doc);
}

/* F8: a Service of a remote Namespace labelled svclink.cloudpilot.ai/sync=false or
 * replicated=false. */
UNIT_TEST(f8_an_opted_out_remote_namespace_is_not_synced)
{
    plan_world w;
    plan_world_init(&w, 1);
    ns_optout o;
    ns_optout_init(&o, NULL, NULL);
    w.links[0].optout = &o;
    plan_world_optout(&o, "demo", "\"" NS_OPTOUT_LABEL "\":\"false\"");
    plan_world_optout(&o, "shop", "\"" NS_OPTOUT_ALIAS_LABEL "\":\"false\"");
    CHECK(!plan_world_synced(&w, "demo", "web"));
    CHECK(!plan_world_synced(&w, "shop", "web"));
    CHECK(plan_world_synced(&w, "other", "web"));
    /* The label turned back: synced again. */
    plan_world_optout(&o, "demo", "\"" NS_OPTOUT_LABEL "\":\"true\"");
    CHECK(plan_world_synced(&w, "demo", "web"));
    ns_optout_free(&o);
    plan_world_free(&w);
}

/* F10: a remote Service whose own mode is singular (M1) is not exported. */
UNIT_TEST(f10_a_singular_remote_service_is_not_exported)
{
    plan_world w;
    plan_world_init(&w, 1);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_MSVC("demo", "web", PW_ANN("singular"), "")) == 0);
    CHECK(plan_world_remote(&w, 0, KUBE_KIND_SERVICE, PW_MSVC("demo", "api", PW_ANN("source"), "")) == 0);
    CHECK(plan_exported(&w.links[0], "demo", "web", NULL) == NULL);
    CHECK(plan_exported(&w.links[0], "demo", "api", NULL) != NULL);
    plan_world_free(&w);
}
