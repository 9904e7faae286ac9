/* write_refusals: a small table of (resource, verb) pairs with the times of their last 403
 * and last success; nothing is allocated. */
#include "write/write_refusals.h"

#include <stdio.h>
#include <string.h>

static const char *const write_refusals_kinds[WRITE_REFUSALS_RESOURCES] = {"EndpointSlice", "Service", "Namespace"};
static const char *const write_refusals_resources[WRITE_REFUSALS_RESOURCES] = {"endpointslices", "services",
                                                                                "namespaces"};
static const char *const write_refusals_methods[WRITE_REFUSALS_VERBS] = {"POST", "PUT", "PATCH", "DELETE"};
static const char *const write_refusals_verbs[WRITE_REFUSALS_VERBS] = {"create", "update", "patch", "delete"};

static int write_refusals_index(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        if (name != NULL && strcmp(names[i], name) == 0)
            return i;
    }
    return -1;
}

bool write_refusals_record(write_refusals *r, const char *kind, const char *method, const char *ns, int status,
                           const char *body, uint64_t now_ms)
{
    int k = write_refusals_index(write_refusals_kinds, WRITE_REFUSALS_RESOURCES, kind);
    int v = write_refusals_index(write_refusals_methods, WRITE_REFUSALS_VERBS, method);
    if (k < 0 || v < 0)
        return false;
    if (status >= 200 && status < 300) {
        r->succeeded_ms[k][v] = now_ms;
        return false;
    }
    /* The API server's namespace lifecycle admission says so in the Status's causes. */
    if (status != 403 || (body != NULL && strstr(body, "\"NamespaceTerminating\"") != NULL))
        return false;
    r->refused_ms[k][v] = now_ms;
    snprintf(r->ns[k][v], sizeof r->ns[k][v], "%s", ns != NULL ? ns : "");
    return true;
}

bool write_refusals_describe(const char *kind, const char *method, const char *ns, char *out, size_t len)
{
    int k = write_refusals_index(write_refusals_kinds, WRITE_REFUSALS_RESOURCES, kind);
    int v = write_refusals_index(write_refusals_methods, WRITE_REFUSALS_VERBS, method);
    if (k < 0 || v < 0)
        return false;
    if (ns != NULL && ns[0] != '\0')
        snprintf(out, len, "%s %s in namespace %s", write_refusals_verbs[v], write_refusals_resources[k], ns);
    else
        snprintf(out, len, "%s %s", write_refusals_verbs[v], write_refusals_resources[k]);
    return true;
}

bool write_refusals_current(const write_refusals *r, uint64_t now_ms, char *why, size_t len)
{
    for (int k = 0; k < WRITE_REFUSALS_RESOURCES; k++) {
        for (int v = 0; v < WRITE_REFUSALS_VERBS; v++) {
            uint64_t at = r->refused_ms[k][v];
            if (at == 0 || r->succeeded_ms[k][v] > at || now_ms - at > WRITE_REFUSALS_HOLD_MS)
                continue;
            if (r->ns[k][v][0] != '\0')
                snprintf(why, len, "%s %s (403 in namespace %s)", write_refusals_verbs[v], write_refusals_resources[k],
                         r->ns[k][v]);
            else
                snprintf(why, len, "%s %s (403)", write_refusals_verbs[v], write_refusals_resources[k]);
            return true;
        }
    }
    return false;
}
