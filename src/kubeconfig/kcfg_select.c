/* kcfg_select: selection in a kubeconfig: the top-level checks, then the context (named or
 * current-context), its cluster and its user, each found once by name in its list. */
#include "kubeconfig/kcfg_select.h"
#include "base/k8sname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "kubeconfig/kcfg_cred.h"
#include "kubeconfig/kcfg_err.h"
#include "base/text.h"

/* Bytes of a list of names a message shows. */
#define KCFG_SELECT_LIST_SHOW 200u

/* ---- named lists ------------------------------------------------------------------------ */

/* "a, b, c" from the name fields of a list, cut at KCFG_SELECT_LIST_SHOW: for "not found". */
static void klist_names(const kcfg_node_ctx *c, uint32_t list, char *buf, size_t cap)
{
    size_t len = 0;
    bool any = false;
    buf[0] = '\0';
    uint32_t n = kcfg_node_is_null(c, list) ? 0 : kcfg_node_node(c, list)->count;
    for (uint32_t i = 0; i < n; i++) {
        static const char *const keys[] = {"name"};
        uint32_t name;
        const char *s;
        kcfg_error ignored;
        kcfg_node_ctx quiet = *c;
        quiet.err = &ignored;
        if (kcfg_node_fields(&quiet, kcfg_node_kid(c, list, i), "", keys, 1, &name) != 0 ||
            kcfg_node_string(&quiet, name, "", "", &s) != 0 || s == NULL)
            continue;
        char shown[KCFG_ERR_NAME_BUF];
        kcfg_err_show(s, shown);
        if (len + strlen(shown) + 2 > KCFG_SELECT_LIST_SHOW) {
            snprintf(buf + len, cap - len, "%s...", any ? ", " : "");
            return;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", any ? ", " : "", shown);
        any = true;
    }
    if (!any)
        snprintf(buf, cap, "none");
}

/* Finds the entry of list (contexts, clusters or users) named name and returns its
 * body (the "context", "cluster" or "user" value). Every entry must be a mapping; the
 * name must occur once. owner prefixes the not-found message ("" or "context \"x\": "). */
static int klist_find(const kcfg_node_ctx *c, uint32_t list, const char *plural, const char *what, const char *name,
                      const char *owner, uint32_t *body)
{
    char shown[KCFG_ERR_NAME_BUF];
    const char *const keys[] = {"name", what};
    bool found = false;
    uint32_t n = kcfg_node_is_null(c, list) ? 0 : kcfg_node_node(c, list)->count;
    *body = KCFG_TREE_NONE;
    for (uint32_t i = 0; i < n; i++) {
        char where[48];
        uint32_t vals[2];
        const char *item_name;
        snprintf(where, sizeof where, "%s[%u]", plural, i);
        if (kcfg_node_fields(c, kcfg_node_kid(c, list, i), where, keys, 2, vals) != 0 ||
            kcfg_node_string(c, vals[0], where, "name", &item_name) != 0)
            return -1;
        if (item_name == NULL || strcmp(item_name, name) != 0)
            continue;
        if (found)
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s%s \"%s\" is defined twice (kubectl refuses this too)",
                             owner, what, kcfg_err_show(name, shown));
        found = true;
        *body = vals[1];
    }
    if (found)
        return 0;
    char names[KCFG_SELECT_LIST_SHOW + 8];
    klist_names(c, list, names, sizeof names);
    return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s%s \"%s\" not found (%s: %s)", owner, what, kcfg_err_show(name, shown),
                     plural, names);
}

/* ---- the document ------------------------------------------------------------------ */

enum { TOP_API, TOP_KIND, TOP_CLUSTERS, TOP_USERS, TOP_CONTEXTS, TOP_CURRENT, TOP_N };
static const char *const ktop_keys[TOP_N] = {"apiVersion", "kind", "clusters", "users", "contexts", "current-context"};

enum { CX_CLUSTER, CX_USER, CX_NAMESPACE, CX_N };
static const char *const kcontext_keys[CX_N] = {"cluster", "user", "namespace"};

/* A helpful word when the document is not a mapping at all. */
static int kroot_not_mapping(const kcfg_node_ctx *c, uint32_t root)
{
    const char *hint = "";
    if (kcfg_node_node(c, root)->kind == KCFG_TREE_SCALAR && kcfg_node_node(c, root)->count >= 16) {
        uint8_t *decoded;
        size_t n;
        if (b64_decode(kcfg_node_text(c, root), kcfg_node_node(c, root)->count, &decoded, &n, NULL) == 0) {
            hint = "; it looks base64-encoded: decode it first";
            text_wipe(decoded, n);
            free(decoded);
        }
    }
    return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig is not a YAML mapping but %s%s", kcfg_node_kind_name(c, root),
                     hint);
}

static int ktop_check(const kcfg_node_ctx *c, const uint32_t *top)
{
    char shown[KCFG_ERR_NAME_BUF];
    const char *kind, *api;
    if (kcfg_node_string(c, top[TOP_KIND], "kubeconfig", "kind", &kind) != 0 ||
        kcfg_node_string(c, top[TOP_API], "kubeconfig", "apiVersion", &api) != 0)
        return -1;
    if (kind != NULL && strcmp(kind, "Config") != 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: kind is \"%s\", expected \"Config\"",
                         kcfg_err_show(kind, shown));
    if (api != NULL && strcmp(api, "v1") != 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: apiVersion is \"%s\", expected \"v1\"",
                         kcfg_err_show(api, shown));
    for (int i = TOP_CLUSTERS; i <= TOP_CONTEXTS; i++)
        if (!kcfg_node_is_null(c, top[i]) && kcfg_node_node(c, top[i])->kind != KCFG_TREE_SEQ)
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: %s must be a list, found %s", ktop_keys[i],
                             kcfg_node_kind_name(c, top[i]));
    return 0;
}

static int kcontext_fields(const kcfg_node_ctx *c, const char *name, uint32_t body, const char **cluster, const char **user)
{
    char where[KCFG_ERR_WHERE_BUF], shown[KCFG_ERR_NAME_BUF];
    uint32_t v[CX_N];
    const char *ns;
    kcfg_err_where(where, "context", name);
    if (kcfg_node_fields(c, body, where, kcontext_keys, CX_N, v) != 0 ||
        kcfg_node_string(c, v[CX_CLUSTER], where, "cluster", cluster) != 0 ||
        kcfg_node_string(c, v[CX_USER], where, "user", user) != 0 ||
        kcfg_node_string(c, v[CX_NAMESPACE], where, "namespace", &ns) != 0)
        return -1;
    if (*cluster == NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s names no cluster", where);
    /* The namespace ends up in API paths: only a valid name may get there. */
    if (ns != NULL && !k8sname_is_dns_label(ns, strlen(ns)))
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: namespace \"%s\" is not a valid namespace name", where,
                         kcfg_err_show(ns, shown));
    return kcfg_node_dup(c, ns, &c->out->namespace_name);
}

int kcfg_select_resolve(const kcfg_node_ctx *c, const char *context_name)
{
    uint32_t root = c->t->root, top[TOP_N], body;
    const char *cluster, *user;
    if (kcfg_node_node(c, root)->kind != KCFG_TREE_MAP)
        return kroot_not_mapping(c, root);
    if (kcfg_node_fields(c, root, "kubeconfig", ktop_keys, TOP_N, top) != 0 || ktop_check(c, top) != 0)
        return -1;
    if (context_name == NULL &&
        kcfg_node_string(c, top[TOP_CURRENT], "kubeconfig", "current-context", &context_name) != 0)
        return -1;
    if (context_name == NULL) {
        char names[KCFG_SELECT_LIST_SHOW + 8];
        klist_names(c, top[TOP_CONTEXTS], names, sizeof names);
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: current-context is not set (contexts: %s)", names);
    }
    if (klist_find(c, top[TOP_CONTEXTS], "contexts", "context", context_name, "", &body) != 0 ||
        kcontext_fields(c, context_name, body, &cluster, &user) != 0 ||
        kcfg_node_dup(c, context_name, &c->out->context_name) != 0)
        return -1;
    char owner[KCFG_ERR_WHERE_BUF + 2];
    kcfg_err_where(owner, "context", context_name);
    strcat(owner, ": ");
    if (klist_find(c, top[TOP_CLUSTERS], "clusters", "cluster", cluster, owner, &body) != 0 ||
        kcfg_cred_cluster(c, cluster, body) != 0 || kcfg_node_dup(c, cluster, &c->out->cluster_name) != 0)
        return -1;
    if (user == NULL)
        return 0;
    if (klist_find(c, top[TOP_USERS], "users", "user", user, owner, &body) != 0 || kcfg_cred_user(c, user, body) != 0)
        return -1;
    return kcfg_node_dup(c, user, &c->out->user_name);
}
