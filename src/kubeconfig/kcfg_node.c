/* kcfg_node: reads the kubeconfig tree as kubectl does: what null, "set", a string and a
 * boolean are, and a mapping's fields with repeated and merge keys refused. */
#include "kubeconfig/kcfg_node.h"

#include <string.h>

#include "kubeconfig/kcfg_err.h"

const kcfg_tree_node *kcfg_node_node(const kcfg_node_ctx *c, uint32_t i)
{
    return &c->t->nodes[i];
}

const char *kcfg_node_text(const kcfg_node_ctx *c, uint32_t i)
{
    return c->t->text + c->t->nodes[i].first;
}

uint32_t kcfg_node_kid(const kcfg_node_ctx *c, uint32_t i, uint32_t k)
{
    return c->t->kids[c->t->nodes[i].first + k];
}

static bool kcfg_node_text_in(const char *s, const char *const *set)
{
    for (; *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

bool kcfg_node_is_null(const kcfg_node_ctx *c, uint32_t i)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    if (i == KCFG_TREE_NONE)
        return true;
    const kcfg_tree_node *n = kcfg_node_node(c, i);
    if (n->kind != KCFG_TREE_SCALAR)
        return false;
    return (n->flags & KCFG_TREE_TAG_NULL) != 0 ||
           ((n->flags & KCFG_TREE_PLAIN) != 0 && kcfg_node_text_in(kcfg_node_text(c, i), nulls));
}

bool kcfg_node_is_set(const kcfg_node_ctx *c, uint32_t i)
{
    return !kcfg_node_is_null(c, i) && !(kcfg_node_node(c, i)->kind == KCFG_TREE_SCALAR && kcfg_node_node(c, i)->count == 0);
}

const char *kcfg_node_kind_name(const kcfg_node_ctx *c, uint32_t i)
{
    switch (kcfg_node_node(c, i)->kind) {
    case KCFG_TREE_SEQ:
        return "a list";
    case KCFG_TREE_MAP:
        return "a mapping";
    default:
        return "a string";
    }
}

int kcfg_node_fields(const kcfg_node_ctx *c, uint32_t map, const char *where, const char *const *keys, size_t nkeys,
                     uint32_t *vals)
{
    for (size_t j = 0; j < nkeys; j++)
        vals[j] = KCFG_TREE_NONE;
    if (kcfg_node_is_null(c, map))
        return 0;
    if (kcfg_node_node(c, map)->kind != KCFG_TREE_MAP)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: expected a mapping, found %s", where, kcfg_node_kind_name(c, map));
    for (uint32_t i = 0; i + 1 < kcfg_node_node(c, map)->count; i += 2) {
        uint32_t k = kcfg_node_kid(c, map, i);
        if (kcfg_node_node(c, k)->kind != KCFG_TREE_SCALAR)
            continue;
        const char *key = kcfg_node_text(c, k);
        if ((kcfg_node_node(c, k)->flags & KCFG_TREE_TAG_MERGE) != 0 ||
            ((kcfg_node_node(c, k)->flags & KCFG_TREE_PLAIN) != 0 && strcmp(key, "<<") == 0))
            return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: YAML merge keys (<<) are not supported; write the fields out", where);
        for (size_t j = 0; j < nkeys; j++) {
            if (strcmp(key, keys[j]) != 0)
                continue;
            if (vals[j] != KCFG_TREE_NONE)
                return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: field \"%s\" appears twice", where, keys[j]);
            vals[j] = kcfg_node_kid(c, map, i + 1);
        }
    }
    return 0;
}

int kcfg_node_string(const kcfg_node_ctx *c, uint32_t v, const char *where, const char *field, const char **out)
{
    *out = NULL;
    if (!kcfg_node_is_set(c, v))
        return 0;
    if (kcfg_node_node(c, v)->kind != KCFG_TREE_SCALAR)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s must be a string, found %s", where, field,
                         kcfg_node_kind_name(c, v));
    *out = kcfg_node_text(c, v);
    return 0;
}

int kcfg_node_bool(const kcfg_node_ctx *c, uint32_t v, const char *where, const char *field, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    *out = false;
    if (kcfg_node_is_null(c, v))
        return 0;
    const kcfg_tree_node *n = kcfg_node_node(c, v);
    if (n->kind == KCFG_TREE_SCALAR && (n->flags & (KCFG_TREE_PLAIN | KCFG_TREE_TAG_BOOL)) != 0) {
        if (kcfg_node_text_in(kcfg_node_text(c, v), yes)) {
            *out = true;
            return 0;
        }
        if (kcfg_node_text_in(kcfg_node_text(c, v), no))
            return 0;
    }
    return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                     "%s: %s must be true or false (unquoted; YAML 1.1 forms such as yes, no, on, off "
                     "are not accepted)",
                     where, field);
}

int kcfg_node_dup(const kcfg_node_ctx *c, const char *s, char **out)
{
    *out = NULL;
    if (s == NULL)
        return 0;
    *out = strdup(s);
    return *out == NULL ? kcfg_err_nomem(c->err) : 0;
}
