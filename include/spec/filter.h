/* filter: which remote Services a link syncs, in the documented order of precedence;
 * pure functions over names, so every rule is unit-tested. */
#ifndef SVCLINK_SPEC_FILTER_H
#define SVCLINK_SPEC_FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "spec/linkspec.h"

typedef enum {
    FILTER_ALLOW = 0,
    FILTER_KUBE_SYSTEM,          /* namespace kube-system: always excluded */
    FILTER_KUBERNETES_SERVICE,   /* a Service named kubernetes: always excluded */
    FILTER_NOT_INCLUDED,         /* not in the included namespaces (global or the link's) */
    FILTER_EXCLUDED_GLOBAL,      /* in --excluded-namespaces */
    FILTER_EXCLUDED_NAMESPACE,   /* in spec.excludedNamespaces */
    FILTER_EXCLUDED_SERVICE,     /* in spec.excludedServices (namespace/name) */
    FILTER_EXCLUDED_NAME         /* in spec.excludedServiceNames */
} filter_verdict;

/* Borrowed views of the lists: the rules do not own or copy anything, so they live no
 * longer than the linkspec and global list they were made from. */
typedef struct {
    const linkspec_list *included;  /* effective list: the global one when set, else the link's */
    const linkspec_list *excluded_namespaces;
    const linkspec_list *excluded_services;
    const linkspec_list *excluded_names;
    const linkspec_list *excluded_global; /* --excluded-namespaces, or NULL */
} filter_rules;

/* global_included: --included-namespaces (count 0 when not set), which overrides the
 * link's own includedNamespaces. */
void filter_rules_init(filter_rules *r, const linkspec *spec, const linkspec_list *global_included);
/* Adds --excluded-namespaces (borrowed) to rules made by filter_rules_init. */
void filter_rules_exclude(filter_rules *r, const linkspec_list *global_excluded);

/* The verdict for Service ns/name; FILTER_ALLOW means sync it. */
filter_verdict filter_check(const filter_rules *r, const char *ns, const char *name);

/* The namespace rules alone (kube-system, included, excluded): FILTER_ALLOW when some
 * Service of ns may be synced. A link caches nothing of a namespace they refuse. */
filter_verdict filter_check_namespace(const filter_rules *r, const char *ns);
/* A short phrase for logs ("namespace kube-system is never synced", ...). */
const char *filter_verdict_text(filter_verdict v);

#endif
