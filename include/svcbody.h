/* svcbody: the JSON bodies of the local Services and Namespaces svclink creates or keeps in
 * line with a remote Service (selectorless, never clusterIP or nodePort fields). */
#ifndef SVCLINK_SVCBODY_H
#define SVCLINK_SVCBODY_H

#include <stdbool.h>
#include <stddef.h>

#include "rcache.h"

/* A create body (patch false) or a merge-patch body of the ports (patch true) for Service
 * ns/svc made from the remote r; link names the link it came from (a label). Returns a
 * malloc'd body (caller frees) and its length, or NULL when out of memory. */
char *svcbody_service(const char *ns, const char *svc, const rc_svc *r, const char *link, bool patch, size_t *len);
/* A create body for Namespace ns, labelled as created by svclink; NULL when out of memory. */
char *svcbody_namespace(const char *ns, size_t *len);

#endif
