/* svc_body: the JSON bodies of the local Services and Namespaces svclink creates or keeps in
 * line with a remote Service (selectorless, never clusterIP or nodePort fields). */
#ifndef SVCLINK_WRITE_SVC_BODY_H
#define SVCLINK_WRITE_SVC_BODY_H

#include <stdbool.h>
#include <stddef.h>

#include "cache/remote_cache.h"

/* Where a created Service comes from, written as its labels. */
typedef struct {
    const char *link; /* the link that created it */
    const char *ns;   /* the remote namespace (differs from the local one under a mapping) */
    /* One more label, or NULL (svclink mirror: k8s-svc-sync's KEY=VALUE-external). */
    const char *extra_key, *extra_value;
} svc_body_source;

/* A create body (patch false) or a merge patch (patch true: ports, and externalName for an
 * ExternalName Service) for Service ns/svc made from the remote r. A ClusterIP Service is
 * selectorless; an ExternalName one names the remote's target. Returns a malloc'd body
 * (caller frees) and its length, or NULL when out of memory. */
char *svc_body_service(const char *ns, const char *svc, const remote_svc *r, const svc_body_source *src, bool patch,
                      size_t *len);
/* Merge patches of a Service at resourceVersion rv (a conflict means someone changed it:
 * the watch brings the new state and the plan decides again). stash: spec.selector set to
 * null and the stash annotation set to selector_json (as a string). restore: spec.selector
 * set to stash_json (already checked by svc_mode_stash_check) and the annotation removed.
 * Malloc'd (caller frees), NULL when out of memory. */
char *svc_body_selector_stash(const char *rv, const char *selector_json, size_t *len);
char *svc_body_selector_restore(const char *rv, const char *stash_json, size_t stash_len, size_t *len);
/* DeleteOptions with a uid precondition; NULL when out of memory. */
char *svc_body_delete(const char *uid, size_t *len);
/* A create body for Namespace ns, labelled as created by svclink; NULL when out of memory. */
char *svc_body_namespace(const char *ns, size_t *len);

#endif
