/* kcfg_tree: builds the bounded tree of kcfg_tree.h from libyaml events, one event at a time,
 * counting nodes and alias expansions against the limits as it goes. */
#include "kubeconfig/kcfg_tree.h"

#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "kubeconfig/kcfg_err.h"
#include "base/text.h"

void kcfg_tree_init(kcfg_tree *t)
{
    memset(t, 0, sizeof *t);
    t->root = KCFG_TREE_NONE;
}

void kcfg_tree_free(kcfg_tree *t)
{
    free(t->nodes);
    free(t->kids);
    free(t->pending);
    text_wipe(t->text, t->cap_text);
    free(t->text);
    for (size_t i = 0; i < t->depth; i++)
        free(t->open[i].anchor);
    for (size_t i = 0; i < t->n_anchors; i++)
        free(t->anchors[i].name);
    kcfg_tree_init(t);
}

/* Grows an array of elem-sized items to hold need; sizes stay far below overflow since
 * need is bounded by KCFG_MAX_NODES. */
static int kcfg_tree_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap != 0 ? *cap : 64;
    while (n < need)
        n *= 2;
    void *grown = realloc(*arr, n * elem);
    if (grown == NULL)
        return -1;
    *arr = grown;
    *cap = n;
    return 0;
}

/* Not realloc: the old block holds secrets and must be wiped before it is released. */
static int kcfg_tree_text_reserve(kcfg_tree *t, size_t extra)
{
    if (t->n_text + extra <= t->cap_text)
        return 0;
    size_t n = t->cap_text != 0 ? t->cap_text * 2 : 4096;
    while (n < t->n_text + extra)
        n *= 2;
    char *grown = malloc(n);
    if (grown == NULL)
        return -1;
    if (t->text != NULL) {
        memcpy(grown, t->text, t->n_text);
        text_wipe(t->text, t->cap_text);
        free(t->text);
    }
    t->text = grown;
    t->cap_text = n;
    return 0;
}

static int kcfg_tree_new_node(kcfg_tree *t, uint8_t kind, uint32_t line, uint32_t *idx, kcfg_error *err)
{
    if (t->budget >= KCFG_MAX_NODES)
        return KCFG_ERR_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig has more than %u YAML nodes (line %u)", KCFG_MAX_NODES, line);
    if (kcfg_tree_grow((void **)&t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof *t->nodes) != 0)
        return kcfg_err_nomem(err);
    t->budget++;
    *idx = (uint32_t)t->n_nodes++;
    t->nodes[*idx] = (kcfg_tree_node){.kind = kind, .size = 1};
    return 0;
}

/* Hands a finished node to the collection being built, or makes it the root. */
static int kcfg_tree_attach(kcfg_tree *t, uint32_t idx, kcfg_error *err)
{
    if (t->depth == 0) {
        t->root = idx;
        return 0;
    }
    if (kcfg_tree_grow((void **)&t->pending, &t->cap_pending, t->n_pending + 1, sizeof *t->pending) != 0)
        return kcfg_err_nomem(err);
    t->pending[t->n_pending++] = idx;
    return 0;
}

/* Takes ownership of name (may be NULL: no anchor). */
static int kcfg_tree_add_anchor(kcfg_tree *t, char *name, uint32_t node, uint32_t line, kcfg_error *err)
{
    if (name == NULL)
        return 0;
    if (t->n_anchors == KCFG_MAX_ANCHORS) {
        free(name);
        return KCFG_ERR_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig has more than %u YAML anchors (line %u)", KCFG_MAX_ANCHORS,
                         line);
    }
    t->anchors[t->n_anchors++] = (kcfg_tree_anchor){.name = name, .node = node};
    return 0;
}

static int kcfg_tree_dup_anchor(const yaml_char_t *anchor, char **out, kcfg_error *err)
{
    *out = NULL;
    if (anchor == NULL)
        return 0;
    *out = strdup((const char *)anchor);
    return *out == NULL ? kcfg_err_nomem(err) : 0;
}

static int kcfg_tree_scalar(kcfg_tree *t, const yaml_event_t *ev, uint32_t line, kcfg_error *err)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    uint32_t idx;
    if (memchr(v, '\0', n) != NULL)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "line %u: a YAML string contains a NUL character", line);
    /* kubectl would decode !!binary keys and values; reading them as text would make us
     * see different fields than it does. */
    if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:binary") == 0)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "line %u: !!binary values are not supported", line);
    if (kcfg_tree_new_node(t, KCFG_TREE_SCALAR, line, &idx, err) != 0)
        return -1;
    if (kcfg_tree_text_reserve(t, n + 1) != 0)
        return kcfg_err_nomem(err);
    kcfg_tree_node *node = &t->nodes[idx];
    node->first = (uint32_t)t->n_text;
    node->count = (uint32_t)n;
    if (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        node->flags = KCFG_TREE_PLAIN;
    else if (tag != NULL && strcmp(tag, YAML_BOOL_TAG) == 0)
        node->flags = KCFG_TREE_TAG_BOOL;
    else if (tag != NULL && strcmp(tag, YAML_NULL_TAG) == 0)
        node->flags = KCFG_TREE_TAG_NULL;
    else if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:merge") == 0)
        node->flags = KCFG_TREE_TAG_MERGE;
    memcpy(t->text + t->n_text, v, n);
    t->text[t->n_text + n] = '\0';
    t->n_text += n + 1;
    char *anchor;
    if (kcfg_tree_dup_anchor(ev->data.scalar.anchor, &anchor, err) != 0 ||
        kcfg_tree_add_anchor(t, anchor, idx, line, err) != 0)
        return -1;
    return kcfg_tree_attach(t, idx, err);
}

static int kcfg_tree_start(kcfg_tree *t, uint8_t kind, const yaml_char_t *anchor, uint32_t line, kcfg_error *err)
{
    uint32_t idx;
    if (t->depth == KCFG_MAX_DEPTH)
        return KCFG_ERR_FAIL(err, KCFG_ERR_LIMIT, "line %u: YAML nested deeper than %u levels", line, KCFG_MAX_DEPTH);
    if (kcfg_tree_new_node(t, kind, line, &idx, err) != 0)
        return -1;
    kcfg_tree_level *o = &t->open[t->depth];
    if (kcfg_tree_dup_anchor(anchor, &o->anchor, err) != 0)
        return -1;
    o->node = idx;
    o->pending_base = t->n_pending;
    t->depth++;
    return 0;
}

static int kcfg_tree_end(kcfg_tree *t, uint32_t line, kcfg_error *err)
{
    kcfg_tree_level o = t->open[--t->depth];
    size_t n = t->n_pending - o.pending_base;
    if (kcfg_tree_grow((void **)&t->kids, &t->cap_kids, t->n_kids + n, sizeof *t->kids) != 0) {
        free(o.anchor);
        return kcfg_err_nomem(err);
    }
    if (n > 0)
        memcpy(t->kids + t->n_kids, t->pending + o.pending_base, n * sizeof *t->kids);
    kcfg_tree_node *node = &t->nodes[o.node];
    node->first = (uint32_t)t->n_kids;
    node->count = (uint32_t)n;
    /* Bounded by the budget, which counted every node and alias expansion below. */
    for (size_t i = 0; i < n; i++)
        node->size += t->nodes[t->kids[t->n_kids + i]].size;
    t->n_kids += n;
    t->n_pending = o.pending_base;
    if (kcfg_tree_add_anchor(t, o.anchor, o.node, line, err) != 0)
        return -1;
    return kcfg_tree_attach(t, o.node, err);
}

/* Only anchors of complete nodes are registered, so an alias cannot form a cycle; its
 * cost is the size of what it repeats, which is what any walk over it would pay. */
static int kcfg_tree_alias(kcfg_tree *t, const char *name, uint32_t line, kcfg_error *err)
{
    char shown[KCFG_ERR_NAME_BUF];
    for (size_t i = t->n_anchors; i-- > 0;) {
        if (strcmp(t->anchors[i].name, name) != 0)
            continue;
        uint32_t target = t->anchors[i].node;
        if (t->budget + t->nodes[target].size > KCFG_MAX_NODES)
            return KCFG_ERR_FAIL(err, KCFG_ERR_LIMIT,
                             "line %u: YAML aliases expand the kubeconfig to more than %u nodes", line, KCFG_MAX_NODES);
        t->budget += t->nodes[target].size;
        return kcfg_tree_attach(t, target, err);
    }
    return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "line %u: alias *%s does not name a complete anchored node before it",
                     line, kcfg_err_show(name, shown));
}

static int kcfg_tree_event(kcfg_tree *t, const yaml_event_t *ev, bool *done, kcfg_error *err)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (t->documents++ > 0)
            return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID,
                             "line %u: a second YAML document; a kubeconfig is a single document", line);
        return 0;
    case YAML_SCALAR_EVENT:
        return kcfg_tree_scalar(t, ev, line, err);
    case YAML_ALIAS_EVENT:
        return kcfg_tree_alias(t, (const char *)ev->data.alias.anchor, line, err);
    case YAML_SEQUENCE_START_EVENT:
        return kcfg_tree_start(t, KCFG_TREE_SEQ, ev->data.sequence_start.anchor, line, err);
    case YAML_MAPPING_START_EVENT:
        return kcfg_tree_start(t, KCFG_TREE_MAP, ev->data.mapping_start.anchor, line, err);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return kcfg_tree_end(t, line, err);
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    default:
        return 0;
    }
}

static int kcfg_tree_yaml_error(const yaml_parser_t *p, kcfg_error *err)
{
    const char *problem = p->problem != NULL ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR)
        return kcfg_err_nomem(err);
    if (p->error == YAML_READER_ERROR)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "not valid YAML: %s (byte %zu)", problem, p->problem_offset);
    return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "not valid YAML: line %zu column %zu: %s%s%s", p->problem_mark.line + 1,
                     p->problem_mark.column + 1, p->context != NULL ? p->context : "",
                     p->context != NULL ? ", " : "", problem);
}

/* The event API only: each event is turned into a node at once and freed, so memory
 * follows the tree (bounded) rather than libyaml's document model. */
int kcfg_tree_build(kcfg_tree *t, const char *yaml, size_t len, kcfg_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return kcfg_err_nomem(err);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    int rc = 0;
    bool done = false;
    while (rc == 0 && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = kcfg_tree_yaml_error(&parser, err);
            break;
        }
        rc = kcfg_tree_event(t, &ev, &done, err);
        if (ev.type == YAML_SCALAR_EVENT)
            text_wipe(ev.data.scalar.value, ev.data.scalar.length);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && t->root == KCFG_TREE_NONE)
        return KCFG_ERR_FAIL(err, KCFG_ERR_INVALID, "kubeconfig is empty");
    return rc;
}
