/* write_refusals: which kinds of write the main cluster currently refuses svclink with 403
 * (RBAC or an admission webhook), so readiness can name the verb and resource to grant. */
#ifndef SVCLINK_WRITE_WRITE_REFUSALS_H
#define SVCLINK_WRITE_WRITE_REFUSALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A refusal counts while no write of the same verb and resource has succeeded since, and
 * for this long after the last one: refused writes are retried at least every 30 s
 * (apply's backoff), so a refusal that is no longer seen has gone away with its object. */
#define WRITE_REFUSALS_HOLD_MS 120000

enum { WRITE_REFUSALS_RESOURCES = 3, WRITE_REFUSALS_VERBS = 4 };

typedef struct {
    uint64_t refused_ms[WRITE_REFUSALS_RESOURCES][WRITE_REFUSALS_VERBS];   /* last 403; 0: none */
    uint64_t succeeded_ms[WRITE_REFUSALS_RESOURCES][WRITE_REFUSALS_VERBS]; /* last 2xx; 0: none */
    char ns[WRITE_REFUSALS_RESOURCES][WRITE_REFUSALS_VERBS][64];          /* of the last 403 */
} write_refusals;

/* Books the answer to a write of kind (EndpointSlice, Service, Namespace; others are
 * ignored) with HTTP method. A 403 whose Status says the namespace is being deleted is
 * not a refusal of svclink: nothing can be created there by anyone. Returns true when the
 * answer is a refusal. body may be NULL. */
bool write_refusals_record(write_refusals *r, const char *kind, const char *method, const char *ns, int status,
                           const char *body, uint64_t now_ms);
/* One write as a refusal names it: "create endpointslices in namespace demo"; false for a
 * kind or method the table does not track. */
bool write_refusals_describe(const char *kind, const char *method, const char *ns, char *out, size_t len);
/* The first refusal that still counts, as "create endpointslices (403 in namespace demo)";
 * false when there is none. */
bool write_refusals_current(const write_refusals *r, uint64_t now_ms, char *why, size_t len);

#endif
