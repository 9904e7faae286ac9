/* Unit tests for filter: each rule alone, every pair of rules in both orders of
 * precedence, the global included list overriding the link's, and the verdict texts. */
#include "spec/filter.h"
#include "unit.h"

#include <string.h>

#define LIST(...)                                                                               \
    {                                                                                           \
        (char *[]){__VA_ARGS__}, sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)               \
    }

static const linkspec_list no_list = {NULL, 0};

/* A spec holding only the four filter lists (borrowed string literals: never freed). */
static linkspec spec_with(linkspec_list inc, linkspec_list exns, linkspec_list exsvc,
                          linkspec_list exname)
{
    linkspec s;
    memset(&s, 0, sizeof s);
    s.included_namespaces = inc;
    s.excluded_namespaces = exns;
    s.excluded_services = exsvc;
    s.excluded_service_names = exname;
    return s;
}

static filter_verdict check(const linkspec *s, const linkspec_list *global, const char *ns,
                            const char *name)
{
    filter_rules r;
    filter_rules_init(&r, s, global);
    return filter_check(&r, ns, name);
}

UNIT_TEST(filter_empty_lists_allow)
{
    linkspec s = spec_with(no_list, no_list, no_list, no_list);
    CHECK(check(&s, NULL, "default", "web") == FILTER_ALLOW);
    CHECK(check(&s, &no_list, "shop", "api") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "kube-public", "x") == FILTER_ALLOW);
    /* near misses of the fixed rules */
    CHECK(check(&s, NULL, "kube-system2", "web") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "kube", "web") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "default", "kubernetes-dashboard") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "default", "kube") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "kubernetes", "web") == FILTER_ALLOW);
}

UNIT_TEST(filter_kube_system_always)
{
    linkspec s = spec_with(no_list, no_list, no_list, no_list);
    CHECK(check(&s, NULL, "kube-system", "coredns") == FILTER_KUBE_SYSTEM);
    /* even when listed as included, globally or by the link */
    linkspec inc = spec_with((linkspec_list)LIST("kube-system", "a"), no_list, no_list, no_list);
    CHECK(check(&inc, NULL, "kube-system", "coredns") == FILTER_KUBE_SYSTEM);
    linkspec_list global = LIST("kube-system");
    CHECK(check(&s, &global, "kube-system", "coredns") == FILTER_KUBE_SYSTEM);
    /* and it wins over the kubernetes-Service rule and every exclusion */
    linkspec all = spec_with((linkspec_list)LIST("other"), (linkspec_list)LIST("kube-system"),
                             (linkspec_list)LIST("kube-system/kubernetes"),
                             (linkspec_list)LIST("kubernetes"));
    CHECK(check(&all, NULL, "kube-system", "kubernetes") == FILTER_KUBE_SYSTEM);
}

UNIT_TEST(filter_kubernetes_service_always)
{
    linkspec s = spec_with(no_list, no_list, no_list, no_list);
    CHECK(check(&s, NULL, "default", "kubernetes") == FILTER_KUBERNETES_SERVICE);
    /* in any namespace, not only default */
    CHECK(check(&s, NULL, "shop", "kubernetes") == FILTER_KUBERNETES_SERVICE);
    /* before the included list: a not-included namespace still reports this rule */
    linkspec inc = spec_with((linkspec_list)LIST("shop"), no_list, no_list, no_list);
    CHECK(check(&inc, NULL, "other", "kubernetes") == FILTER_KUBERNETES_SERVICE);
    CHECK(check(&inc, NULL, "shop", "kubernetes") == FILTER_KUBERNETES_SERVICE);
    /* before every exclusion */
    linkspec ex = spec_with(no_list, (linkspec_list)LIST("shop"), (linkspec_list)LIST("shop/kubernetes"),
                            (linkspec_list)LIST("kubernetes"));
    CHECK(check(&ex, NULL, "shop", "kubernetes") == FILTER_KUBERNETES_SERVICE);
}

UNIT_TEST(filter_link_included)
{
    linkspec s = spec_with((linkspec_list)LIST("shop", "payments"), no_list, no_list, no_list);
    CHECK(check(&s, NULL, "shop", "web") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "payments", "web") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "default", "web") == FILTER_NOT_INCLUDED);
    CHECK(check(&s, NULL, "sho", "web") == FILTER_NOT_INCLUDED);
    CHECK(check(&s, NULL, "shops", "web") == FILTER_NOT_INCLUDED);
    /* an empty global list (flag not set) leaves the link's list in force */
    CHECK(check(&s, &no_list, "default", "web") == FILTER_NOT_INCLUDED);
}

UNIT_TEST(filter_global_included_overrides_link)
{
    linkspec s = spec_with((linkspec_list)LIST("shop"), no_list, no_list, no_list);
    linkspec_list global = LIST("payments", "billing");
    /* the link's own list no longer counts... */
    CHECK(check(&s, &global, "shop", "web") == FILTER_NOT_INCLUDED);
    /* ...the global one does */
    CHECK(check(&s, &global, "payments", "web") == FILTER_ALLOW);
    CHECK(check(&s, &global, "billing", "web") == FILTER_ALLOW);
    /* and applies to a link without a list of its own */
    linkspec none = spec_with(no_list, no_list, no_list, no_list);
    CHECK(check(&none, &global, "default", "web") == FILTER_NOT_INCLUDED);
    CHECK(check(&none, &global, "payments", "web") == FILTER_ALLOW);
    filter_rules r;
    filter_rules_init(&r, &s, &global);
    CHECK(r.included == &global);
    filter_rules_init(&r, &s, &no_list);
    CHECK(r.included == &s.included_namespaces);
    filter_rules_init(&r, &s, NULL);
    CHECK(r.included == &s.included_namespaces);
}

UNIT_TEST(filter_excluded_namespaces)
{
    linkspec s = spec_with(no_list, (linkspec_list)LIST("staging", "dev"), no_list, no_list);
    CHECK(check(&s, NULL, "staging", "web") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(check(&s, NULL, "dev", "web") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(check(&s, NULL, "prod", "web") == FILTER_ALLOW);
    /* included and excluded at once: excluded */
    linkspec both = spec_with((linkspec_list)LIST("staging", "prod"), (linkspec_list)LIST("staging"),
                              no_list, no_list);
    CHECK(check(&both, NULL, "staging", "web") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(check(&both, NULL, "prod", "web") == FILTER_ALLOW);
    /* globally included and excluded by the link: excluded */
    linkspec_list global = LIST("staging");
    CHECK(check(&s, &global, "staging", "web") == FILTER_EXCLUDED_NAMESPACE);
    /* not included wins over excluded (rule 3 comes first) */
    CHECK(check(&both, NULL, "dev", "web") == FILTER_NOT_INCLUDED);
}

UNIT_TEST(filter_excluded_services)
{
    linkspec s = spec_with(no_list, no_list, (linkspec_list)LIST("shop/legacy", "a-b/c"), no_list);
    CHECK(check(&s, NULL, "shop", "legacy") == FILTER_EXCLUDED_SERVICE);
    CHECK(check(&s, NULL, "a-b", "c") == FILTER_EXCLUDED_SERVICE);
    /* only that namespace/name: the same name elsewhere, or a split elsewhere, is synced */
    CHECK(check(&s, NULL, "other", "legacy") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "shop", "legacy2") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "sho", "legacy") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "shopx", "legacy") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "a", "b-c") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "shop", "legac") == FILTER_ALLOW);
    /* excluded namespace comes first */
    linkspec ns = spec_with(no_list, (linkspec_list)LIST("shop"), (linkspec_list)LIST("shop/legacy"),
                            no_list);
    CHECK(check(&ns, NULL, "shop", "legacy") == FILTER_EXCLUDED_NAMESPACE);
    /* not included comes first too */
    linkspec inc = spec_with((linkspec_list)LIST("x"), no_list, (linkspec_list)LIST("shop/legacy"),
                             no_list);
    CHECK(check(&inc, NULL, "shop", "legacy") == FILTER_NOT_INCLUDED);
    /* included and excluded by namespace/name: excluded */
    linkspec both = spec_with((linkspec_list)LIST("shop"), no_list, (linkspec_list)LIST("shop/legacy"),
                              no_list);
    CHECK(check(&both, NULL, "shop", "legacy") == FILTER_EXCLUDED_SERVICE);
    CHECK(check(&both, NULL, "shop", "web") == FILTER_ALLOW);
}

UNIT_TEST(filter_excluded_service_names)
{
    linkspec s = spec_with(no_list, no_list, no_list, (linkspec_list)LIST("metrics", "debug"));
    CHECK(check(&s, NULL, "shop", "metrics") == FILTER_EXCLUDED_NAME);
    CHECK(check(&s, NULL, "payments", "debug") == FILTER_EXCLUDED_NAME);
    CHECK(check(&s, NULL, "shop", "metrics-2") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "metrics", "web") == FILTER_ALLOW); /* a namespace is not a name */
    /* every earlier rule wins over it */
    linkspec all = spec_with((linkspec_list)LIST("shop", "a", "b"), (linkspec_list)LIST("a"),
                             (linkspec_list)LIST("b/metrics"), (linkspec_list)LIST("metrics"));
    CHECK(check(&all, NULL, "other", "metrics") == FILTER_NOT_INCLUDED);
    CHECK(check(&all, NULL, "a", "metrics") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(check(&all, NULL, "b", "metrics") == FILTER_EXCLUDED_SERVICE);
    CHECK(check(&all, NULL, "shop", "metrics") == FILTER_EXCLUDED_NAME);
    CHECK(check(&all, NULL, "shop", "web") == FILTER_ALLOW);
    CHECK(check(&all, NULL, "kube-system", "metrics") == FILTER_KUBE_SYSTEM);
    linkspec k = spec_with(no_list, no_list, no_list, (linkspec_list)LIST("kubernetes"));
    CHECK(check(&k, NULL, "shop", "kubernetes") == FILTER_KUBERNETES_SERVICE);
}

UNIT_TEST(filter_with_parsed_spec)
{
    /* the rules work on what linkspec_parse produces, too */
    const char *text = "{\"metadata\":{\"name\":\"l\"},\"spec\":{\"kubeconfig\":\"YQ==\","
                       "\"includedNamespaces\":[\"shop\",\"staging\"],\"excludedNamespaces\":"
                       "[\"staging\"],\"excludedServices\":[\"shop/legacy\"],"
                       "\"excludedServiceNames\":[\"metrics\"]}}";
    json_doc doc;
    json_doc_init(&doc);
    char err[128];
    linkspec s;
    CHECK(json_parse(&doc, text, strlen(text), err, sizeof err) == 0);
    CHECK(linkspec_parse(&doc, 0, &s, err, sizeof err) == 0);
    CHECK(check(&s, NULL, "shop", "web") == FILTER_ALLOW);
    CHECK(check(&s, NULL, "staging", "web") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(check(&s, NULL, "shop", "legacy") == FILTER_EXCLUDED_SERVICE);
    CHECK(check(&s, NULL, "shop", "metrics") == FILTER_EXCLUDED_NAME);
    CHECK(check(&s, NULL, "default", "web") == FILTER_NOT_INCLUDED);
    linkspec_free(&s);
    json_doc_free(&doc);
}

UNIT_TEST(filter_null_spec)
{
    /* no spec: only the fixed rules and the global list apply */
    linkspec_list global = LIST("a");
    CHECK(check(NULL, NULL, "x", "y") == FILTER_ALLOW);
    CHECK(check(NULL, &global, "x", "y") == FILTER_NOT_INCLUDED);
    CHECK(check(NULL, &global, "a", "y") == FILTER_ALLOW);
    CHECK(check(NULL, NULL, "kube-system", "y") == FILTER_KUBE_SYSTEM);
}

UNIT_TEST(filter_verdict_texts)
{
    CHECK_STR_EQ(filter_verdict_text(FILTER_ALLOW), "synced");
    CHECK_STR_EQ(filter_verdict_text(FILTER_KUBE_SYSTEM), "namespace kube-system is never synced");
    CHECK_STR_EQ(filter_verdict_text(FILTER_KUBERNETES_SERVICE),
                 "a Service named kubernetes is never synced");
    CHECK_STR_EQ(filter_verdict_text(FILTER_NOT_INCLUDED),
                 "namespace is not in the included namespaces");
    CHECK_STR_EQ(filter_verdict_text(FILTER_EXCLUDED_NAMESPACE),
                 "namespace is in spec.excludedNamespaces");
    CHECK_STR_EQ(filter_verdict_text(FILTER_EXCLUDED_SERVICE), "service is in spec.excludedServices");
    CHECK_STR_EQ(filter_verdict_text(FILTER_EXCLUDED_NAME),
                 "service name is in spec.excludedServiceNames");
    CHECK_STR_EQ(filter_verdict_text((filter_verdict)99), "unknown filter verdict");
}

UNIT_TEST(filter_global_excluded)
{
    linkspec s = spec_with(no_list, no_list, no_list, no_list);
    linkspec_list ex = LIST("tmp", "dev");
    filter_rules r;
    filter_rules_init(&r, &s, NULL);
    CHECK(filter_check(&r, "tmp", "web") == FILTER_ALLOW);
    filter_rules_exclude(&r, &ex);
    CHECK(filter_check(&r, "tmp", "web") == FILTER_EXCLUDED_GLOBAL);
    CHECK(filter_check(&r, "dev", "api") == FILTER_EXCLUDED_GLOBAL);
    CHECK(filter_check(&r, "prod", "web") == FILTER_ALLOW);
    /* kube-system and the included list still come first */
    CHECK(filter_check(&r, "kube-system", "web") == FILTER_KUBE_SYSTEM);
    linkspec_list inc = LIST("prod");
    filter_rules_init(&r, &s, &inc);
    filter_rules_exclude(&r, &ex);
    CHECK(filter_check(&r, "tmp", "web") == FILTER_NOT_INCLUDED);
    CHECK(strstr(filter_verdict_text(FILTER_EXCLUDED_GLOBAL), "--excluded-namespaces") != NULL);
}

UNIT_TEST(filter_namespace_rules_alone_decide_what_a_link_caches)
{
    linkspec s = spec_with((linkspec_list)LIST("shop", "staging"), (linkspec_list)LIST("staging"),
                           (linkspec_list)LIST("shop/secret"), (linkspec_list)LIST("kubernetes-dashboard"));
    filter_rules r;
    filter_rules_init(&r, &s, &no_list);
    CHECK(filter_check_namespace(&r, "shop") == FILTER_ALLOW);
    CHECK(filter_check_namespace(&r, "other") == FILTER_NOT_INCLUDED);
    CHECK(filter_check_namespace(&r, "staging") == FILTER_EXCLUDED_NAMESPACE);
    CHECK(filter_check_namespace(&r, "kube-system") == FILTER_KUBE_SYSTEM);
    /* Name rules are not namespace rules: the namespace still caches its other Services. */
    CHECK(filter_check(&r, "shop", "secret") == FILTER_EXCLUDED_SERVICE);
    /* Whatever the namespace verdict, filter_check never allows what it refuses. */
    const char *nss[] = {"shop", "other", "staging", "kube-system"};
    int agree = 1;
    for (size_t i = 0; i < 4; i++)
        agree &= filter_check_namespace(&r, nss[i]) == FILTER_ALLOW || filter_check(&r, nss[i], "web") != FILTER_ALLOW;
    CHECK(agree);
    linkspec_list global_ex = LIST("shop");
    filter_rules_exclude(&r, &global_ex);
    CHECK(filter_check_namespace(&r, "shop") == FILTER_EXCLUDED_GLOBAL);
}
