/* knode: reads the kubeconfig tree as kubectl does: what null, "set", a string and a
 * boolean are, and a mapping's fields with repeated and merge keys refused. */
#include "knode.h"

#include <string.h>

#include "kerr.h"

const ktree_node *kn_node(const kn_ctx *c, uint32_t i)
{
    return &c->t->nodes[i];
}

const char *kn_text(const kn_ctx *c, uint32_t i)
{
    return c->t->text + c->t->nodes[i].first;
}

uint32_t kn_kid(const kn_ctx *c, uint32_t i, uint32_t k)
{
    return c->t->kids[c->t->nodes[i].first + k];
}

static bool kn_text_in(const char *s, const char *const *set)
{
    for (; *set != NULL; set++)
        if (strcmp(s, *set) == 0)
            return true;
    return false;
}

bool kn_is_null(const kn_ctx *c, uint32_t i)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    if (i == KTREE_NONE)
        return true;
    const ktree_node *n = kn_node(c, i);
    if (n->kind != KTREE_SCALAR)
        return false;
    return (n->flags & KTREE_TAG_NULL) != 0 ||
           ((n->flags & KTREE_PLAIN) != 0 && kn_text_in(kn_text(c, i), nulls));
}

bool kn_is_set(const kn_ctx *c, uint32_t i)
{
    return !kn_is_null(c, i) && !(kn_node(c, i)->kind == KTREE_SCALAR && kn_node(c, i)->count == 0);
}

const char *kn_kind_name(const kn_ctx *c, uint32_t i)
{
    switch (kn_node(c, i)->kind) {
    case KTREE_SEQ:
        return "a list";
    case KTREE_MAP:
        return "a mapping";
    default:
        return "a string";
    }
}

int kn_fields(const kn_ctx *c, uint32_t map, const char *where, const char *const *keys, size_t nkeys,
                     uint32_t *vals)
{
    for (size_t j = 0; j < nkeys; j++)
        vals[j] = KTREE_NONE;
    if (kn_is_null(c, map))
        return 0;
    if (kn_node(c, map)->kind != KTREE_MAP)
        return KERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: expected a mapping, found %s", where, kn_kind_name(c, map));
    for (uint32_t i = 0; i + 1 < kn_node(c, map)->count; i += 2) {
        uint32_t k = kn_kid(c, map, i);
        if (kn_node(c, k)->kind != KTREE_SCALAR)
            continue;
        const char *key = kn_text(c, k);
        if ((kn_node(c, k)->flags & KTREE_TAG_MERGE) != 0 ||
            ((kn_node(c, k)->flags & KTREE_PLAIN) != 0 && strcmp(key, "<<") == 0))
            return KERR_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: YAML merge keys (<<) are not supported; write the fields out", where);
        for (size_t j = 0; j < nkeys; j++) {
            if (strcmp(key, keys[j]) != 0)
                continue;
            if (vals[j] != KTREE_NONE)
                return KERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: field \"%s\" appears twice", where, keys[j]);
            vals[j] = kn_kid(c, map, i + 1);
        }
    }
    return 0;
}

int kn_string(const kn_ctx *c, uint32_t v, const char *where, const char *field, const char **out)
{
    *out = NULL;
    if (!kn_is_set(c, v))
        return 0;
    if (kn_node(c, v)->kind != KTREE_SCALAR)
        return KERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s must be a string, found %s", where, field,
                         kn_kind_name(c, v));
    *out = kn_text(c, v);
    return 0;
}

int kn_bool(const kn_ctx *c, uint32_t v, const char *where, const char *field, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    *out = false;
    if (kn_is_null(c, v))
        return 0;
    const ktree_node *n = kn_node(c, v);
    if (n->kind == KTREE_SCALAR && (n->flags & (KTREE_PLAIN | KTREE_TAG_BOOL)) != 0) {
        if (kn_text_in(kn_text(c, v), yes)) {
            *out = true;
            return 0;
        }
        if (kn_text_in(kn_text(c, v), no))
            return 0;
    }
    return KERR_FAIL(c->err, KCFG_ERR_INVALID,
                     "%s: %s must be true or false (unquoted; YAML 1.1 forms such as yes, no, on, off "
                     "are not accepted)",
                     where, field);
}

int kn_dup(const kn_ctx *c, const char *s, char **out)
{
    *out = NULL;
    if (s == NULL)
        return 0;
    *out = strdup(s);
    return *out == NULL ? kerr_nomem(c->err) : 0;
}
