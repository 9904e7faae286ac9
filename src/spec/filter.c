/* filter: rules F1 to F7 of docs/sync-contract.md in their fixed order, over borrowed name
 * lists (F8 and F10 are plan_exported's; F9 is the remote API server's label selector). */
#include "spec/filter.h"

#include <string.h>

static bool filter_in(const linkspec_list *l, const char *s)
{
    for (size_t i = 0; l != NULL && i < l->count; i++)
        if (strcmp(l->items[i], s) == 0)
            return true;
    return false;
}

/* Entries are "namespace/name": compared in place, so no key is ever built. */
static bool filter_in_services(const linkspec_list *l, const char *ns, const char *name)
{
    size_t ns_len = strlen(ns);
    for (size_t i = 0; l != NULL && i < l->count; i++) {
        const char *e = l->items[i];
        if (strncmp(e, ns, ns_len) == 0 && e[ns_len] == '/' && strcmp(e + ns_len + 1, name) == 0)
            return true;
    }
    return false;
}

void filter_rules_init(filter_rules *r, const linkspec *spec, const linkspec_list *global_included)
{
    bool global = global_included != NULL && global_included->count > 0;
    r->included = global ? global_included : spec != NULL ? &spec->included_namespaces : NULL;
    r->excluded_namespaces = spec != NULL ? &spec->excluded_namespaces : NULL;
    r->excluded_services = spec != NULL ? &spec->excluded_services : NULL;
    r->excluded_names = spec != NULL ? &spec->excluded_service_names : NULL;
    r->excluded_global = NULL;
}

void filter_rules_exclude(filter_rules *r, const linkspec_list *global_excluded)
{
    r->excluded_global = global_excluded;
}

filter_verdict filter_check_namespace(const filter_rules *r, const char *ns)
{
    if (strcmp(ns, "kube-system") == 0)
        return FILTER_KUBE_SYSTEM;
    if (r->included != NULL && r->included->count > 0 && !filter_in(r->included, ns))
        return FILTER_NOT_INCLUDED;
    if (filter_in(r->excluded_global, ns))
        return FILTER_EXCLUDED_GLOBAL;
    if (filter_in(r->excluded_namespaces, ns))
        return FILTER_EXCLUDED_NAMESPACE;
    return FILTER_ALLOW;
}

filter_verdict filter_check(const filter_rules *r, const char *ns, const char *name)
{
    if (strcmp(ns, "kube-system") == 0)
        return FILTER_KUBE_SYSTEM;
    if (strcmp(name, "kubernetes") == 0)
        return FILTER_KUBERNETES_SERVICE;
    filter_verdict v = filter_check_namespace(r, ns);
    if (v != FILTER_ALLOW)
        return v;
    if (filter_in_services(r->excluded_services, ns, name))
        return FILTER_EXCLUDED_SERVICE;
    if (filter_in(r->excluded_names, name))
        return FILTER_EXCLUDED_NAME;
    return FILTER_ALLOW;
}

const char *filter_verdict_text(filter_verdict v)
{
    switch (v) {
    case FILTER_ALLOW:
        return "synced";
    case FILTER_KUBE_SYSTEM:
        return "namespace kube-system is never synced";
    case FILTER_KUBERNETES_SERVICE:
        return "a Service named kubernetes is never synced";
    case FILTER_NOT_INCLUDED:
        return "namespace is not in the included namespaces";
    case FILTER_EXCLUDED_GLOBAL:
        return "namespace is in --excluded-namespaces";
    case FILTER_EXCLUDED_NAMESPACE:
        return "namespace is in spec.excludedNamespaces";
    case FILTER_EXCLUDED_SERVICE:
        return "service is in spec.excludedServices";
    case FILTER_EXCLUDED_NAME:
        return "service name is in spec.excludedServiceNames";
    }
    return "unknown filter verdict";
}
