/* kcfg: reads a kubeconfig with libyaml's event API into a small bounded tree, then walks
 * only the chosen context, cluster and user, applying the trust rules of kcfg.h. */
#include "kcfg.h"

#include "b64.h"
#include "cfg.h"
#include "txt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define KN_NONE UINT32_MAX
/* Bytes of one name a message shows, and of a list of names. */
#define KCFG_NAME_SHOW 64u
#define KCFG_LIST_SHOW 200u
#define KCFG_NAME_BUF (KCFG_NAME_SHOW * 4u + 4u)
#define KCFG_WHERE_BUF (KCFG_NAME_BUF + 32u)
#define KCFG_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KCFG_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------------------ */

/* Sets the kind and message and evaluates to -1, so each error path stays one statement. */
#define KCFG_FAIL(err, k, ...) ((err)->kind = (k), txt_errorf((err)->msg, sizeof(err)->msg, __VA_ARGS__), -1)

static int kcfg_nomem(kcfg_error *err)
{
    return KCFG_FAIL(err, KCFG_ERR_NOMEM, "out of memory while reading the kubeconfig");
}

/* A name from the document (or a path) as a message shows it: bytes outside printable
 * ASCII, quotes and backslashes escaped as \xHH, so a name cannot forge log lines or
 * break the quoting; cut after KCFG_NAME_SHOW bytes. */
static const char *kcfg_show(const char *s, char buf[KCFG_NAME_BUF])
{
    size_t o = 0, i;
    for (i = 0; s[i] != '\0' && i < KCFG_NAME_SHOW; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            buf[o++] = (char)c;
        } else {
            snprintf(buf + o, 5, "\\x%02x", c);
            o += 4;
        }
    }
    if (s[i] != '\0') {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

/* "cluster \"name\"": the prefix of every message about one entry. */
static void kcfg_where(char where[KCFG_WHERE_BUF], const char *what, const char *name)
{
    char shown[KCFG_NAME_BUF];
    snprintf(where, KCFG_WHERE_BUF, "%s \"%s\"", what, kcfg_show(name, shown));
}

const char *kcfg_err_kind_name(kcfg_err_kind kind)
{
    switch (kind) {
    case KCFG_OK:
        return "OK";
    case KCFG_ERR_INVALID:
        return "Invalid";
    case KCFG_ERR_REFUSED:
        return "Refused";
    case KCFG_ERR_UNSUPPORTED:
        return "Unsupported";
    case KCFG_ERR_LIMIT:
        return "TooLarge";
    case KCFG_ERR_IO:
        return "IOError";
    case KCFG_ERR_NOMEM:
        return "OutOfMemory";
    }
    return "Unknown";
}

/* ---- the tree ------------------------------------------------------------------------ */

enum { KN_SCALAR = 1, KN_SEQ, KN_MAP };
/* Scalar flags: KN_PLAIN is an untagged plain scalar, the only kind YAML resolves to
 * null, bool or a merge key by its text; explicit !!bool, !!null, !!merge count too. */
enum { KN_PLAIN = 1, KN_TAG_BOOL = 2, KN_TAG_NULL = 4, KN_TAG_MERGE = 8 };

typedef struct {
    uint8_t kind;
    uint8_t flags;
    uint32_t size;  /* nodes this one stands for, itself and aliased subtrees included */
    uint32_t first; /* scalar: offset in text; collection: index in kids */
    uint32_t count; /* scalar: length; collection: children (keys and values for maps) */
} knode;

typedef struct {
    uint32_t node;
    size_t pending_base; /* where this collection's children start in pending */
    char *anchor;        /* owned; registered when the collection ends */
} kopen;

typedef struct {
    char *name; /* owned */
    uint32_t node;
} kanchor;

/* Nodes refer to each other by index; an alias is simply a second reference to its
 * anchor's node, so nothing is ever copied. */
typedef struct {
    knode *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t *kids;
    size_t n_kids, cap_kids;
    uint32_t *pending; /* children of the collections still open, innermost last */
    size_t n_pending, cap_pending;
    char *text; /* every scalar, NUL-terminated; wiped before free (tokens, keys) */
    size_t n_text, cap_text;
    kopen open[KCFG_MAX_DEPTH];
    size_t depth;
    kanchor anchors[KCFG_MAX_ANCHORS];
    size_t n_anchors;
    size_t budget; /* nodes plus alias expansions so far, against KCFG_MAX_NODES */
    size_t documents;
    uint32_t root;
} ktree;

static void ktree_init(ktree *t)
{
    memset(t, 0, sizeof *t);
    t->root = KN_NONE;
}

static void ktree_free(ktree *t)
{
    free(t->nodes);
    free(t->kids);
    free(t->pending);
    txt_wipe(t->text, t->cap_text);
    free(t->text);
    for (size_t i = 0; i < t->depth; i++)
        free(t->open[i].anchor);
    for (size_t i = 0; i < t->n_anchors; i++)
        free(t->anchors[i].name);
    ktree_init(t);
}

/* Grows an array of elem-sized items to hold need; sizes stay far below overflow since
 * need is bounded by KCFG_MAX_NODES. */
static int ktree_grow(void **arr, size_t *cap, size_t need, size_t elem)
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
static int ktree_text_reserve(ktree *t, size_t extra)
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
        txt_wipe(t->text, t->cap_text);
        free(t->text);
    }
    t->text = grown;
    t->cap_text = n;
    return 0;
}

static int ktree_new_node(ktree *t, uint8_t kind, uint32_t line, uint32_t *idx, kcfg_error *err)
{
    if (t->budget >= KCFG_MAX_NODES)
        return KCFG_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig has more than %u YAML nodes (line %u)", KCFG_MAX_NODES, line);
    if (ktree_grow((void **)&t->nodes, &t->cap_nodes, t->n_nodes + 1, sizeof *t->nodes) != 0)
        return kcfg_nomem(err);
    t->budget++;
    *idx = (uint32_t)t->n_nodes++;
    t->nodes[*idx] = (knode){.kind = kind, .size = 1};
    return 0;
}

/* Hands a finished node to the collection being built, or makes it the root. */
static int ktree_attach(ktree *t, uint32_t idx, kcfg_error *err)
{
    if (t->depth == 0) {
        t->root = idx;
        return 0;
    }
    if (ktree_grow((void **)&t->pending, &t->cap_pending, t->n_pending + 1, sizeof *t->pending) != 0)
        return kcfg_nomem(err);
    t->pending[t->n_pending++] = idx;
    return 0;
}

/* Takes ownership of name (may be NULL: no anchor). */
static int ktree_add_anchor(ktree *t, char *name, uint32_t node, uint32_t line, kcfg_error *err)
{
    if (name == NULL)
        return 0;
    if (t->n_anchors == KCFG_MAX_ANCHORS) {
        free(name);
        return KCFG_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig has more than %u YAML anchors (line %u)", KCFG_MAX_ANCHORS,
                         line);
    }
    t->anchors[t->n_anchors++] = (kanchor){.name = name, .node = node};
    return 0;
}

static int ktree_dup_anchor(const yaml_char_t *anchor, char **out, kcfg_error *err)
{
    *out = NULL;
    if (anchor == NULL)
        return 0;
    *out = strdup((const char *)anchor);
    return *out == NULL ? kcfg_nomem(err) : 0;
}

static int ktree_scalar(ktree *t, const yaml_event_t *ev, uint32_t line, kcfg_error *err)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    uint32_t idx;
    if (memchr(v, '\0', n) != NULL)
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "line %u: a YAML string contains a NUL character", line);
    /* kubectl would decode !!binary keys and values; reading them as text would make us
     * see different fields than it does. */
    if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:binary") == 0)
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "line %u: !!binary values are not supported", line);
    if (ktree_new_node(t, KN_SCALAR, line, &idx, err) != 0)
        return -1;
    if (ktree_text_reserve(t, n + 1) != 0)
        return kcfg_nomem(err);
    knode *node = &t->nodes[idx];
    node->first = (uint32_t)t->n_text;
    node->count = (uint32_t)n;
    if (tag == NULL && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        node->flags = KN_PLAIN;
    else if (tag != NULL && strcmp(tag, YAML_BOOL_TAG) == 0)
        node->flags = KN_TAG_BOOL;
    else if (tag != NULL && strcmp(tag, YAML_NULL_TAG) == 0)
        node->flags = KN_TAG_NULL;
    else if (tag != NULL && strcmp(tag, "tag:yaml.org,2002:merge") == 0)
        node->flags = KN_TAG_MERGE;
    memcpy(t->text + t->n_text, v, n);
    t->text[t->n_text + n] = '\0';
    t->n_text += n + 1;
    char *anchor;
    if (ktree_dup_anchor(ev->data.scalar.anchor, &anchor, err) != 0 ||
        ktree_add_anchor(t, anchor, idx, line, err) != 0)
        return -1;
    return ktree_attach(t, idx, err);
}

static int ktree_start(ktree *t, uint8_t kind, const yaml_char_t *anchor, uint32_t line, kcfg_error *err)
{
    uint32_t idx;
    if (t->depth == KCFG_MAX_DEPTH)
        return KCFG_FAIL(err, KCFG_ERR_LIMIT, "line %u: YAML nested deeper than %u levels", line, KCFG_MAX_DEPTH);
    if (ktree_new_node(t, kind, line, &idx, err) != 0)
        return -1;
    kopen *o = &t->open[t->depth];
    if (ktree_dup_anchor(anchor, &o->anchor, err) != 0)
        return -1;
    o->node = idx;
    o->pending_base = t->n_pending;
    t->depth++;
    return 0;
}

static int ktree_end(ktree *t, uint32_t line, kcfg_error *err)
{
    kopen o = t->open[--t->depth];
    size_t n = t->n_pending - o.pending_base;
    if (ktree_grow((void **)&t->kids, &t->cap_kids, t->n_kids + n, sizeof *t->kids) != 0) {
        free(o.anchor);
        return kcfg_nomem(err);
    }
    if (n > 0)
        memcpy(t->kids + t->n_kids, t->pending + o.pending_base, n * sizeof *t->kids);
    knode *node = &t->nodes[o.node];
    node->first = (uint32_t)t->n_kids;
    node->count = (uint32_t)n;
    /* Bounded by the budget, which counted every node and alias expansion below. */
    for (size_t i = 0; i < n; i++)
        node->size += t->nodes[t->kids[t->n_kids + i]].size;
    t->n_kids += n;
    t->n_pending = o.pending_base;
    if (ktree_add_anchor(t, o.anchor, o.node, line, err) != 0)
        return -1;
    return ktree_attach(t, o.node, err);
}

/* Only anchors of complete nodes are registered, so an alias cannot form a cycle; its
 * cost is the size of what it repeats, which is what any walk over it would pay. */
static int ktree_alias(ktree *t, const char *name, uint32_t line, kcfg_error *err)
{
    char shown[KCFG_NAME_BUF];
    for (size_t i = t->n_anchors; i-- > 0;) {
        if (strcmp(t->anchors[i].name, name) != 0)
            continue;
        uint32_t target = t->anchors[i].node;
        if (t->budget + t->nodes[target].size > KCFG_MAX_NODES)
            return KCFG_FAIL(err, KCFG_ERR_LIMIT,
                             "line %u: YAML aliases expand the kubeconfig to more than %u nodes", line, KCFG_MAX_NODES);
        t->budget += t->nodes[target].size;
        return ktree_attach(t, target, err);
    }
    return KCFG_FAIL(err, KCFG_ERR_INVALID, "line %u: alias *%s does not name a complete anchored node before it",
                     line, kcfg_show(name, shown));
}

static int ktree_event(ktree *t, const yaml_event_t *ev, bool *done, kcfg_error *err)
{
    uint32_t line = (uint32_t)ev->start_mark.line + 1;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (t->documents++ > 0)
            return KCFG_FAIL(err, KCFG_ERR_INVALID,
                             "line %u: a second YAML document; a kubeconfig is a single document", line);
        return 0;
    case YAML_SCALAR_EVENT:
        return ktree_scalar(t, ev, line, err);
    case YAML_ALIAS_EVENT:
        return ktree_alias(t, (const char *)ev->data.alias.anchor, line, err);
    case YAML_SEQUENCE_START_EVENT:
        return ktree_start(t, KN_SEQ, ev->data.sequence_start.anchor, line, err);
    case YAML_MAPPING_START_EVENT:
        return ktree_start(t, KN_MAP, ev->data.mapping_start.anchor, line, err);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        return ktree_end(t, line, err);
    case YAML_STREAM_END_EVENT:
        *done = true;
        return 0;
    default:
        return 0;
    }
}

static int ktree_yaml_error(const yaml_parser_t *p, kcfg_error *err)
{
    const char *problem = p->problem != NULL ? p->problem : "syntax error";
    if (p->error == YAML_MEMORY_ERROR)
        return kcfg_nomem(err);
    if (p->error == YAML_READER_ERROR)
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "not valid YAML: %s (byte %zu)", problem, p->problem_offset);
    return KCFG_FAIL(err, KCFG_ERR_INVALID, "not valid YAML: line %zu column %zu: %s%s%s", p->problem_mark.line + 1,
                     p->problem_mark.column + 1, p->context != NULL ? p->context : "",
                     p->context != NULL ? ", " : "", problem);
}

/* The event API only: each event is turned into a node at once and freed, so memory
 * follows the tree (bounded) rather than libyaml's document model. */
static int ktree_build(ktree *t, const char *yaml, size_t len, kcfg_error *err)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return kcfg_nomem(err);
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
    int rc = 0;
    bool done = false;
    while (rc == 0 && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = ktree_yaml_error(&parser, err);
            break;
        }
        rc = ktree_event(t, &ev, &done, err);
        if (ev.type == YAML_SCALAR_EVENT)
            txt_wipe(ev.data.scalar.value, ev.data.scalar.length);
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    if (rc == 0 && t->root == KN_NONE)
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "kubeconfig is empty");
    return rc;
}

/* ---- reading the tree ------------------------------------------------------------------ */

typedef struct {
    const ktree *t;
    kcfg_trust trust;
    const char *base_dir;
    kcfg_config *out;
    kcfg_error *err;
} kctx;

static const knode *kn(const kctx *c, uint32_t i)
{
    return &c->t->nodes[i];
}

static const char *kn_text(const kctx *c, uint32_t i)
{
    return c->t->text + c->t->nodes[i].first;
}

static uint32_t kn_kid(const kctx *c, uint32_t i, uint32_t k)
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

static bool kn_is_null(const kctx *c, uint32_t i)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    if (i == KN_NONE)
        return true;
    const knode *n = kn(c, i);
    if (n->kind != KN_SCALAR)
        return false;
    return (n->flags & KN_TAG_NULL) != 0 || ((n->flags & KN_PLAIN) != 0 && kn_text_in(kn_text(c, i), nulls));
}

/* Set means present, not null and not an empty string: kubectl treats those alike. */
static bool kn_is_set(const kctx *c, uint32_t i)
{
    return !kn_is_null(c, i) && !(kn(c, i)->kind == KN_SCALAR && kn(c, i)->count == 0);
}

static const char *kn_kind_name(const kctx *c, uint32_t i)
{
    switch (kn(c, i)->kind) {
    case KN_SEQ:
        return "a list";
    case KN_MAP:
        return "a mapping";
    default:
        return "a string";
    }
}

/* The values of the given keys in mapping map (KN_NONE when absent); null or absent map
 * reads as empty. A repeated key or a merge key is an error: either would make us read
 * something other than what kubectl reads. */
static int kn_fields(const kctx *c, uint32_t map, const char *where, const char *const *keys, size_t nkeys,
                     uint32_t *vals)
{
    for (size_t j = 0; j < nkeys; j++)
        vals[j] = KN_NONE;
    if (kn_is_null(c, map))
        return 0;
    if (kn(c, map)->kind != KN_MAP)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: expected a mapping, found %s", where, kn_kind_name(c, map));
    for (uint32_t i = 0; i + 1 < kn(c, map)->count; i += 2) {
        uint32_t k = kn_kid(c, map, i);
        if (kn(c, k)->kind != KN_SCALAR)
            continue;
        const char *key = kn_text(c, k);
        if ((kn(c, k)->flags & KN_TAG_MERGE) != 0 || ((kn(c, k)->flags & KN_PLAIN) != 0 && strcmp(key, "<<") == 0))
            return KCFG_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: YAML merge keys (<<) are not supported; write the fields out", where);
        for (size_t j = 0; j < nkeys; j++) {
            if (strcmp(key, keys[j]) != 0)
                continue;
            if (vals[j] != KN_NONE)
                return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: field \"%s\" appears twice", where, keys[j]);
            vals[j] = kn_kid(c, map, i + 1);
        }
    }
    return 0;
}

/* A string field: *out borrows the tree's text, NULL when not set. */
static int kn_string(const kctx *c, uint32_t v, const char *where, const char *field, const char **out)
{
    *out = NULL;
    if (!kn_is_set(c, v))
        return 0;
    if (kn(c, v)->kind != KN_SCALAR)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s must be a string, found %s", where, field,
                         kn_kind_name(c, v));
    *out = kn_text(c, v);
    return 0;
}

static int kn_bool(const kctx *c, uint32_t v, const char *where, const char *field, bool *out)
{
    static const char *const yes[] = {"true", "True", "TRUE", NULL};
    static const char *const no[] = {"false", "False", "FALSE", NULL};
    *out = false;
    if (kn_is_null(c, v))
        return 0;
    const knode *n = kn(c, v);
    if (n->kind == KN_SCALAR && (n->flags & (KN_PLAIN | KN_TAG_BOOL)) != 0) {
        if (kn_text_in(kn_text(c, v), yes)) {
            *out = true;
            return 0;
        }
        if (kn_text_in(kn_text(c, v), no))
            return 0;
    }
    return KCFG_FAIL(c->err, KCFG_ERR_INVALID,
                     "%s: %s must be true or false (unquoted; YAML 1.1 forms such as yes, no, on, off "
                     "are not accepted)",
                     where, field);
}

static int kdup(const kctx *c, const char *s, char **out)
{
    *out = NULL;
    if (s == NULL)
        return 0;
    *out = strdup(s);
    return *out == NULL ? kcfg_nomem(c->err) : 0;
}

/* ---- named lists ------------------------------------------------------------------------ */

/* "a, b, c" from the name fields of a list, cut at KCFG_LIST_SHOW: for "not found". */
static void klist_names(const kctx *c, uint32_t list, char *buf, size_t cap)
{
    size_t len = 0;
    bool any = false;
    buf[0] = '\0';
    uint32_t n = kn_is_null(c, list) ? 0 : kn(c, list)->count;
    for (uint32_t i = 0; i < n; i++) {
        static const char *const keys[] = {"name"};
        uint32_t name;
        const char *s;
        kcfg_error ignored;
        kctx quiet = *c;
        quiet.err = &ignored;
        if (kn_fields(&quiet, kn_kid(c, list, i), "", keys, 1, &name) != 0 ||
            kn_string(&quiet, name, "", "", &s) != 0 || s == NULL)
            continue;
        char shown[KCFG_NAME_BUF];
        kcfg_show(s, shown);
        if (len + strlen(shown) + 2 > KCFG_LIST_SHOW) {
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
static int klist_find(const kctx *c, uint32_t list, const char *plural, const char *what, const char *name,
                      const char *owner, uint32_t *body)
{
    char shown[KCFG_NAME_BUF];
    const char *const keys[] = {"name", what};
    bool found = false;
    uint32_t n = kn_is_null(c, list) ? 0 : kn(c, list)->count;
    *body = KN_NONE;
    for (uint32_t i = 0; i < n; i++) {
        char where[48];
        uint32_t vals[2];
        const char *item_name;
        snprintf(where, sizeof where, "%s[%u]", plural, i);
        if (kn_fields(c, kn_kid(c, list, i), where, keys, 2, vals) != 0 ||
            kn_string(c, vals[0], where, "name", &item_name) != 0)
            return -1;
        if (item_name == NULL || strcmp(item_name, name) != 0)
            continue;
        if (found)
            return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s%s \"%s\" is defined twice (kubectl refuses this too)",
                             owner, what, kcfg_show(name, shown));
        found = true;
        *body = vals[1];
    }
    if (found)
        return 0;
    char names[KCFG_LIST_SHOW + 8];
    klist_names(c, list, names, sizeof names);
    return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s%s \"%s\" not found (%s: %s)", owner, what, kcfg_show(name, shown),
                     plural, names);
}

/* ---- trust rules ------------------------------------------------------------------------ */

typedef enum { KP_ALLOW, KP_REFUSE, KP_UNSUPPORTED } kpolicy_action;

typedef struct {
    uint8_t field; /* index into the section's keys */
    uint8_t untrusted, trusted;
    const char *why; /* the reason shown */
} kpolicy;

/* A file path in an untrusted kubeconfig would let a link read the controller's own files
 * (its service-account token, say) and send them to a server of its choosing. */
#define KP_FILE_WHY(alt) "it names a file on the controller's host; use " alt " instead"

/* Rules are checked in order, so the most dangerous field is the one named. */
static int kpolicy_check(const kctx *c, const char *where, const char *const *keys, const uint32_t *vals,
                         const kpolicy *rules, size_t nrules)
{
    for (size_t r = 0; r < nrules; r++) {
        if (!kn_is_set(c, vals[rules[r].field]))
            continue;
        uint8_t action = c->trust == KCFG_TRUSTED ? rules[r].trusted : rules[r].untrusted;
        const char *field = keys[rules[r].field];
        if (action == KP_REFUSE)
            return KCFG_FAIL(c->err, KCFG_ERR_REFUSED,
                             "%s: field \"%s\" is not allowed in a ClusterLink kubeconfig (%s)",
                             where, field, rules[r].why);
        if (action == KP_UNSUPPORTED)
            return KCFG_FAIL(c->err, KCFG_ERR_UNSUPPORTED, "%s: field \"%s\" is not supported (%s)", where, field,
                             rules[r].why);
    }
    return 0;
}

/* ---- files (trusted mode and in-cluster) ---------------------------------------------- */

/* base_dir/path unless path is absolute or there is no base_dir; caller frees. */
static char *kpath_join(const char *base_dir, const char *path)
{
    if (path[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
        return strdup(path);
    size_t n = strlen(base_dir) + strlen(path) + 2;
    char *joined = malloc(n);
    if (joined != NULL)
        snprintf(joined, n, "%s/%s", base_dir, path);
    return joined;
}

static int kfile_fail(kcfg_error *err, kcfg_err_kind kind, const char *where, const char *what, const char *path,
                      const char *problem)
{
    char shown[KCFG_NAME_BUF];
    return KCFG_FAIL(err, kind, "%s%scannot read %s \"%s\": %s", where != NULL ? where : "", where != NULL ? ": " : "",
                     what, kcfg_show(path, shown), problem);
}

/* Reads a whole regular file of at most KCFG_MAX_DOC_BYTES into a NUL-terminated buffer
 * (caller frees). Only regular files: a FIFO or device could block or never end. */
static int kfile_read(const char *path, const char *where, const char *what, uint8_t **out, size_t *out_len,
                      kcfg_error *err)
{
    struct stat st;
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kfile_fail(err, KCFG_ERR_IO, where, what, path, strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return kfile_fail(err, KCFG_ERR_IO, where, what, path, "not a regular file");
    }
    if (st.st_size > (off_t)KCFG_MAX_DOC_BYTES) {
        close(fd);
        return kfile_fail(err, KCFG_ERR_LIMIT, where, what, path, "larger than 1 MiB");
    }
    size_t cap = (size_t)st.st_size, len = 0;
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL) {
        close(fd);
        return kcfg_nomem(err);
    }
    while (len < cap) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            free(buf);
            return kfile_fail(err, KCFG_ERR_IO, where, what, path, strerror(saved));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

/* The token file is re-read by the client as it rotates; here it must merely exist. */
static int kfile_check(const char *path, const char *where, const char *what, kcfg_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return kfile_fail(err, KCFG_ERR_IO, where, what, path, strerror(errno));
    close(fd);
    return 0;
}

static bool kpem_present(const uint8_t *data, size_t len)
{
    static const char begin[] = "-----BEGIN ";
    const size_t n = sizeof begin - 1;
    for (size_t i = 0; i + n <= len; i++)
        if (data[i] == '-' && memcmp(data + i, begin, n) == 0)
            return true;
    return false;
}

/* ---- PEM fields: *-data or (trusted) a file --------------------------------------------- */

typedef struct {
    const char *data_field, *file_field;
    uint32_t data, file;
} kpem_src;

static int kpem_from_data(const kctx *c, const char *where, const char *field, const char *text, uint8_t **out,
                          size_t *out_len)
{
    size_t bad = 0;
    /* b64 reports running out of memory as a failure at byte 0; errno tells them apart. */
    errno = 0;
    if (b64_decode(text, strlen(text), out, out_len, &bad) != 0) {
        if (bad == 0 && errno == ENOMEM)
            return kcfg_nomem(c->err);
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s is not valid base64 (byte %zu)", where, field, bad);
    }
    if (kpem_present(*out, *out_len))
        return 0;
    return KCFG_FAIL(c->err, KCFG_ERR_INVALID,
                     "%s: %s does not decode to PEM (no \"-----BEGIN\" line); was it base64-encoded twice?", where,
                     field);
}

static int kpem_from_file(const kctx *c, const char *where, const char *field, const char *path, uint8_t **out,
                          size_t *out_len)
{
    char what[64];
    char *full = kpath_join(c->base_dir, path);
    if (full == NULL)
        return kcfg_nomem(c->err);
    snprintf(what, sizeof what, "%s file", field);
    int rc = kfile_read(full, where, what, out, out_len, c->err);
    if (rc == 0 && !kpem_present(*out, *out_len)) {
        char shown[KCFG_NAME_BUF];
        rc = KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s file \"%s\" does not hold PEM (no \"-----BEGIN\" line)", where,
                       field, kcfg_show(full, shown));
    }
    free(full);
    return rc;
}

/* Decodes the *-data field or reads the file field (the trust rules already refused the
 * file in untrusted mode). *out stays NULL when neither is set. */
static int kpem_load(const kctx *c, const char *where, const kpem_src *src, uint8_t **out, size_t *out_len)
{
    const char *data, *file;
    *out = NULL;
    *out_len = 0;
    if (kn_string(c, src->data, where, src->data_field, &data) != 0 ||
        kn_string(c, src->file, where, src->file_field, &file) != 0)
        return -1;
    if (data != NULL && file != NULL)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s and %s are both set; use one (kubectl refuses both too)",
                         where, src->data_field, src->file_field);
    int rc = 0;
    if (data != NULL)
        rc = kpem_from_data(c, where, src->data_field, data, out, out_len);
    else if (file != NULL)
        rc = kpem_from_file(c, where, src->file_field, file, out, out_len);
    if (rc != 0) {
        txt_wipe(*out, *out_len);
        free(*out);
        *out = NULL;
        *out_len = 0;
    }
    return rc;
}

/* ---- cluster ------------------------------------------------------------------------- */

enum { CL_SERVER, CL_CA_DATA, CL_CA_FILE, CL_INSECURE, CL_TLS_NAME, CL_PROXY, CL_N };
static const char *const kcluster_keys[CL_N] = {
    "server", "certificate-authority-data", "certificate-authority", "insecure-skip-tls-verify", "tls-server-name",
    "proxy-url",
};
static const kpolicy kcluster_rules[] = {
    {CL_CA_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("certificate-authority-data")},
    {CL_PROXY, KP_REFUSE, KP_UNSUPPORTED,
     "a proxy would see or redirect the controller's traffic; svclink connects to API servers directly"},
};

static int kcluster_server(const kctx *c, const char *where, uint32_t v)
{
    const char *server;
    char problem[URL_ERR_MAX];
    if (kn_string(c, v, where, "server", &server) != 0)
        return -1;
    if (server == NULL)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: server is not set", where);
    if (url_parse(server, &c->out->url, problem, sizeof problem) != 0)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: server: %s", where, problem);
    return kdup(c, server, &c->out->server);
}

static int kcluster_tls_name(const kctx *c, const char *where, uint32_t v)
{
    const char *name;
    char problem[URL_ERR_MAX];
    if (kn_string(c, v, where, "tls-server-name", &name) != 0)
        return -1;
    if (name == NULL)
        return 0;
    if (url_host_parse(name, strlen(name), &c->out->tls_server, problem, sizeof problem) != 0)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: tls-server-name: %s", where, problem);
    return kdup(c, c->out->tls_server.name, &c->out->tls_server_name);
}

static int kcluster(const kctx *c, const char *name, uint32_t body)
{
    char where[KCFG_WHERE_BUF];
    uint32_t v[CL_N];
    bool insecure;
    kcfg_where(where, "cluster", name);
    if (kn_fields(c, body, where, kcluster_keys, CL_N, v) != 0 ||
        kpolicy_check(c, where, kcluster_keys, v, kcluster_rules, KCFG_COUNT(kcluster_rules)) != 0 ||
        kcluster_server(c, where, v[CL_SERVER]) != 0 ||
        kn_bool(c, v[CL_INSECURE], where, kcluster_keys[CL_INSECURE], &insecure) != 0)
        return -1;
    if (insecure && (kn_is_set(c, v[CL_CA_DATA]) || kn_is_set(c, v[CL_CA_FILE])))
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID,
                         "%s: insecure-skip-tls-verify cannot be combined with %s (kubectl refuses this too); "
                         "keep the CA and drop insecure-skip-tls-verify",
                         where, kcluster_keys[kn_is_set(c, v[CL_CA_DATA]) ? CL_CA_DATA : CL_CA_FILE]);
    c->out->insecure_skip_tls_verify = insecure;
    const kpem_src ca = {kcluster_keys[CL_CA_DATA], kcluster_keys[CL_CA_FILE], v[CL_CA_DATA], v[CL_CA_FILE]};
    if (kpem_load(c, where, &ca, &c->out->ca_pem, &c->out->ca_pem_len) != 0)
        return -1;
    return kcluster_tls_name(c, where, v[CL_TLS_NAME]);
}

/* ---- user -------------------------------------------------------------------------------- */

enum {
    US_EXEC, US_AUTH_PROVIDER, US_TOKEN_FILE, US_CERT_FILE, US_KEY_FILE, US_USERNAME, US_PASSWORD, US_AS, US_AS_UID,
    US_AS_GROUPS, US_AS_EXTRA, US_CERT_DATA, US_KEY_DATA, US_TOKEN, US_N
};
static const char *const kuser_keys[US_N] = {
    "exec", "auth-provider", "tokenFile", "client-certificate", "client-key", "username", "password", "as", "as-uid",
    "as-groups", "as-user-extra", "client-certificate-data", "client-key-data", "token",
};
#define KP_BASIC_WHY "Kubernetes removed basic authentication; use a token or a client certificate"
#define KP_AS_WHY "impersonation is not implemented; give the link a credential for the identity it should use"
static const kpolicy kuser_rules[] = {
    {US_EXEC, KP_REFUSE, KP_UNSUPPORTED, "credential plugins would run programs inside the controller"},
    {US_AUTH_PROVIDER, KP_REFUSE, KP_UNSUPPORTED, "auth-provider plugins would run inside the controller"},
    {US_TOKEN_FILE, KP_REFUSE, KP_ALLOW,
     "it names a file on the controller's host, such as the controller's own service-account token; "
     "use token instead"},
    {US_CERT_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("client-certificate-data")},
    {US_KEY_FILE, KP_REFUSE, KP_ALLOW, KP_FILE_WHY("client-key-data")},
    {US_USERNAME, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_BASIC_WHY},
    {US_PASSWORD, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_BASIC_WHY},
    {US_AS, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_UID, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_GROUPS, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
    {US_AS_EXTRA, KP_UNSUPPORTED, KP_UNSUPPORTED, KP_AS_WHY},
};

/* Trusted mode says why exec and auth-provider fail in its own terms. */
static const char *kuser_trusted_why(int field)
{
    return field == US_EXEC ? "svclink is a static binary that runs no credential plugins; use a token or a client "
                              "certificate"
                            : "auth-provider plugins are not built in; use a token or a client certificate";
}

static int kuser_policy(const kctx *c, const char *where, const uint32_t *v)
{
    if (c->trust == KCFG_TRUSTED) {
        for (int f = US_EXEC; f <= US_AUTH_PROVIDER; f++)
            if (kn_is_set(c, v[f]))
                return KCFG_FAIL(c->err, KCFG_ERR_UNSUPPORTED, "%s: field \"%s\" is not supported (%s)", where,
                                 kuser_keys[f], kuser_trusted_why(f));
    }
    return kpolicy_check(c, where, kuser_keys, v, kuser_rules, KCFG_COUNT(kuser_rules));
}

/* The token goes into an Authorization header: a CR, LF or other control byte there
 * would split the request. Names the position, never the value. */
static int kuser_token(const kctx *c, const char *where, uint32_t v)
{
    const char *token;
    if (kn_string(c, v, where, "token", &token) != 0)
        return -1;
    if (token == NULL)
        return 0;
    for (size_t i = 0; token[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)token[i];
        if (ch < 0x21 || ch > 0x7e)
            return KCFG_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: token has a byte that cannot go in an HTTP header (position %zu)", where, i);
    }
    return kdup(c, token, &c->out->token);
}

static int kuser_token_file(const kctx *c, const char *where, uint32_t v)
{
    const char *path;
    if (kn_string(c, v, where, "tokenFile", &path) != 0)
        return -1;
    if (path == NULL)
        return 0;
    c->out->token_file = kpath_join(c->base_dir, path);
    if (c->out->token_file == NULL)
        return kcfg_nomem(c->err);
    return kfile_check(c->out->token_file, where, "tokenFile", c->err);
}

static int kuser(const kctx *c, const char *name, uint32_t body)
{
    char where[KCFG_WHERE_BUF];
    uint32_t v[US_N];
    kcfg_config *out = c->out;
    kcfg_where(where, "user", name);
    if (kn_fields(c, body, where, kuser_keys, US_N, v) != 0 || kuser_policy(c, where, v) != 0)
        return -1;
    const kpem_src cert = {kuser_keys[US_CERT_DATA], kuser_keys[US_CERT_FILE], v[US_CERT_DATA], v[US_CERT_FILE]};
    const kpem_src key = {kuser_keys[US_KEY_DATA], kuser_keys[US_KEY_FILE], v[US_KEY_DATA], v[US_KEY_FILE]};
    if (kpem_load(c, where, &cert, &out->client_cert_pem, &out->client_cert_pem_len) != 0 ||
        kpem_load(c, where, &key, &out->client_key_pem, &out->client_key_pem_len) != 0)
        return -1;
    if ((out->client_cert_pem == NULL) != (out->client_key_pem == NULL))
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: %s is set without %s; a client certificate needs its key",
                         where,
                         out->client_cert_pem != NULL ? "client-certificate-data (or client-certificate)"
                                                      : "client-key-data (or client-key)",
                         out->client_cert_pem != NULL ? "client-key-data" : "client-certificate-data");
    if (kuser_token(c, where, v[US_TOKEN]) != 0)
        return -1;
    return kuser_token_file(c, where, v[US_TOKEN_FILE]);
}

/* ---- the document ------------------------------------------------------------------ */

enum { TOP_API, TOP_KIND, TOP_CLUSTERS, TOP_USERS, TOP_CONTEXTS, TOP_CURRENT, TOP_N };
static const char *const ktop_keys[TOP_N] = {"apiVersion", "kind", "clusters", "users", "contexts", "current-context"};

enum { CX_CLUSTER, CX_USER, CX_NAMESPACE, CX_N };
static const char *const kcontext_keys[CX_N] = {"cluster", "user", "namespace"};

/* A helpful word when the document is not a mapping at all. */
static int kroot_not_mapping(const kctx *c, uint32_t root)
{
    const char *hint = "";
    if (kn(c, root)->kind == KN_SCALAR && kn(c, root)->count >= 16) {
        uint8_t *decoded;
        size_t n;
        if (b64_decode(kn_text(c, root), kn(c, root)->count, &decoded, &n, NULL) == 0) {
            hint = "; it looks base64-encoded: decode it first";
            txt_wipe(decoded, n);
            free(decoded);
        }
    }
    return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig is not a YAML mapping but %s%s", kn_kind_name(c, root),
                     hint);
}

static int ktop_check(const kctx *c, const uint32_t *top)
{
    char shown[KCFG_NAME_BUF];
    const char *kind, *api;
    if (kn_string(c, top[TOP_KIND], "kubeconfig", "kind", &kind) != 0 ||
        kn_string(c, top[TOP_API], "kubeconfig", "apiVersion", &api) != 0)
        return -1;
    if (kind != NULL && strcmp(kind, "Config") != 0)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: kind is \"%s\", expected \"Config\"",
                         kcfg_show(kind, shown));
    if (api != NULL && strcmp(api, "v1") != 0)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: apiVersion is \"%s\", expected \"v1\"",
                         kcfg_show(api, shown));
    for (int i = TOP_CLUSTERS; i <= TOP_CONTEXTS; i++)
        if (!kn_is_null(c, top[i]) && kn(c, top[i])->kind != KN_SEQ)
            return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: %s must be a list, found %s", ktop_keys[i],
                             kn_kind_name(c, top[i]));
    return 0;
}

static int kcontext_fields(const kctx *c, const char *name, uint32_t body, const char **cluster, const char **user)
{
    char where[KCFG_WHERE_BUF], shown[KCFG_NAME_BUF];
    uint32_t v[CX_N];
    const char *ns;
    kcfg_where(where, "context", name);
    if (kn_fields(c, body, where, kcontext_keys, CX_N, v) != 0 ||
        kn_string(c, v[CX_CLUSTER], where, "cluster", cluster) != 0 ||
        kn_string(c, v[CX_USER], where, "user", user) != 0 ||
        kn_string(c, v[CX_NAMESPACE], where, "namespace", &ns) != 0)
        return -1;
    if (*cluster == NULL)
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s names no cluster", where);
    /* The namespace ends up in API paths: only a valid name may get there. */
    if (ns != NULL && !cfg_is_dns_label(ns, strlen(ns)))
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "%s: namespace \"%s\" is not a valid namespace name", where,
                         kcfg_show(ns, shown));
    return kdup(c, ns, &c->out->namespace_name);
}

static int kresolve(const kctx *c, const char *context_name)
{
    uint32_t root = c->t->root, top[TOP_N], body;
    const char *cluster, *user;
    if (kn(c, root)->kind != KN_MAP)
        return kroot_not_mapping(c, root);
    if (kn_fields(c, root, "kubeconfig", ktop_keys, TOP_N, top) != 0 || ktop_check(c, top) != 0)
        return -1;
    if (context_name == NULL &&
        kn_string(c, top[TOP_CURRENT], "kubeconfig", "current-context", &context_name) != 0)
        return -1;
    if (context_name == NULL) {
        char names[KCFG_LIST_SHOW + 8];
        klist_names(c, top[TOP_CONTEXTS], names, sizeof names);
        return KCFG_FAIL(c->err, KCFG_ERR_INVALID, "kubeconfig: current-context is not set (contexts: %s)", names);
    }
    if (klist_find(c, top[TOP_CONTEXTS], "contexts", "context", context_name, "", &body) != 0 ||
        kcontext_fields(c, context_name, body, &cluster, &user) != 0 ||
        kdup(c, context_name, &c->out->context_name) != 0)
        return -1;
    char owner[KCFG_WHERE_BUF + 2];
    kcfg_where(owner, "context", context_name);
    strcat(owner, ": ");
    if (klist_find(c, top[TOP_CLUSTERS], "clusters", "cluster", cluster, owner, &body) != 0 ||
        kcluster(c, cluster, body) != 0 || kdup(c, cluster, &c->out->cluster_name) != 0)
        return -1;
    if (user == NULL)
        return 0;
    if (klist_find(c, top[TOP_USERS], "users", "user", user, owner, &body) != 0 || kuser(c, user, body) != 0)
        return -1;
    return kdup(c, user, &c->out->user_name);
}

/* ---- public ----------------------------------------------------------------------------- */

/* Callers may pass err NULL when they only want the status; a scratch error stands in. */
static kcfg_error kcfg_scratch_err;

static kcfg_error *kcfg_start(kcfg_config *out, kcfg_error *err)
{
    if (err == NULL)
        err = &kcfg_scratch_err;
    memset(out, 0, sizeof *out);
    err->kind = KCFG_OK;
    err->msg[0] = '\0';
    return err;
}

int kcfg_parse(const char *yaml, size_t len, const char *context_name, kcfg_trust trust, const char *base_dir,
               kcfg_config *out, kcfg_error *err)
{
    err = kcfg_start(out, err);
    if (len > KCFG_MAX_DOC_BYTES)
        return KCFG_FAIL(err, KCFG_ERR_LIMIT, "kubeconfig is %zu bytes; the limit is %u", len, KCFG_MAX_DOC_BYTES);
    if (yaml == NULL || len == 0)
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "kubeconfig is empty");
    ktree t;
    ktree_init(&t);
    int rc = ktree_build(&t, yaml, len, err);
    if (rc == 0) {
        const kctx c = {.t = &t, .trust = trust, .base_dir = base_dir, .out = out, .err = err};
        rc = kresolve(&c, context_name);
    }
    ktree_free(&t);
    if (rc != 0)
        kcfg_free(out);
    return rc;
}

int kcfg_read_file(const char *path, char **text, size_t *len, kcfg_error *err)
{
    uint8_t *buf = NULL;
    kcfg_error local;
    int rc = kfile_read(path, NULL, "kubeconfig", &buf, len, err != NULL ? err : &local);
    *text = (char *)buf;
    return rc;
}

int kcfg_load_file(const char *path, const char *context_name, kcfg_config *out, kcfg_error *err)
{
    return kcfg_load_file_as(path, context_name, KCFG_TRUSTED, out, err);
}

int kcfg_load_file_as(const char *path, const char *context_name, kcfg_trust trust, kcfg_config *out,
                      kcfg_error *err)
{
    uint8_t *text;
    size_t len;
    err = kcfg_start(out, err);
    if (kfile_read(path, NULL, "kubeconfig", &text, &len, err) != 0)
        return -1;
    const char *slash = strrchr(path, '/');
    char *base_dir = NULL;
    if (slash != NULL) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        base_dir = strndup(path, n);
        if (base_dir == NULL) {
            txt_wipe(text, len);
            free(text);
            return kcfg_nomem(err);
        }
    }
    int rc = kcfg_parse((const char *)text, len, context_name, trust, base_dir, out, err);
    txt_wipe(text, len);
    free(text);
    free(base_dir);
    return rc;
}

/* ---- in-cluster --------------------------------------------------------------------------- */

static int kin_env(const char *name, const char **out, kcfg_error *err)
{
    *out = getenv(name);
    if (*out == NULL || (*out)[0] == '\0')
        return KCFG_FAIL(err, KCFG_ERR_INVALID,
                         "%s is not set: svclink is not running in a pod; give it --kubeconfig", name);
    return 0;
}

static int kin_server(kcfg_config *out, kcfg_error *err)
{
    const char *host, *port;
    char problem[URL_ERR_MAX];
    if (kin_env("KUBERNETES_SERVICE_HOST", &host, err) != 0 || kin_env("KUBERNETES_SERVICE_PORT", &port, err) != 0)
        return -1;
    bool v6 = strchr(host, ':') != NULL && host[0] != '[';
    size_t n = strlen(host) + strlen(port) + 16;
    out->server = malloc(n);
    if (out->server == NULL)
        return kcfg_nomem(err);
    snprintf(out->server, n, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    if (url_parse(out->server, &out->url, problem, sizeof problem) != 0)
        return KCFG_FAIL(err, KCFG_ERR_INVALID,
                         "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT do not make a valid URL: %s", problem);
    return 0;
}

static int kin_namespace(const char *path, kcfg_config *out, kcfg_error *err)
{
    uint8_t *text;
    size_t len;
    char shown[KCFG_NAME_BUF];
    if (kfile_read(path, NULL, "service account namespace file", &text, &len, err) != 0)
        return -1;
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    if (!cfg_is_dns_label((const char *)text, len) || strlen((const char *)text) != len) {
        free(text);
        return KCFG_FAIL(err, KCFG_ERR_INVALID, "service account namespace file \"%s\" does not hold a namespace name",
                         kcfg_show(path, shown));
    }
    out->namespace_name = (char *)text;
    return 0;
}

static int kin_files(const char *dir, kcfg_config *out, kcfg_error *err)
{
    char *ca = kpath_join(dir, "ca.crt"), *ns = kpath_join(dir, "namespace");
    out->token_file = kpath_join(dir, "token");
    int rc = ca == NULL || ns == NULL || out->token_file == NULL ? kcfg_nomem(err) : 0;
    if (rc == 0)
        rc = kfile_read(ca, NULL, "service account CA file", &out->ca_pem, &out->ca_pem_len, err);
    if (rc == 0 && !kpem_present(out->ca_pem, out->ca_pem_len)) {
        char shown[KCFG_NAME_BUF];
        rc = KCFG_FAIL(err, KCFG_ERR_INVALID, "service account CA file \"%s\" does not hold PEM", kcfg_show(ca, shown));
    }
    if (rc == 0)
        rc = kfile_check(out->token_file, NULL, "service account token file", err);
    if (rc == 0)
        rc = kin_namespace(ns, out, err);
    free(ca);
    free(ns);
    return rc;
}

int kcfg_in_cluster(const char *sa_dir, kcfg_config *out, kcfg_error *err)
{
    err = kcfg_start(out, err);
    int rc = kin_server(out, err);
    if (rc == 0)
        rc = kin_files(sa_dir != NULL ? sa_dir : KCFG_SA_DIR, out, err);
    if (rc == 0 && ((out->context_name = strdup("in-cluster")) == NULL ||
                    (out->cluster_name = strdup("in-cluster")) == NULL ||
                    (out->user_name = strdup("serviceaccount")) == NULL))
        rc = kcfg_nomem(err);
    if (rc != 0)
        kcfg_free(out);
    return rc;
}

void kcfg_free(kcfg_config *cfg)
{
    free(cfg->server);
    free(cfg->ca_pem);
    free(cfg->tls_server_name);
    free(cfg->client_cert_pem);
    txt_wipe(cfg->client_key_pem, cfg->client_key_pem_len);
    free(cfg->client_key_pem);
    txt_wipe(cfg->token, cfg->token != NULL ? strlen(cfg->token) : 0);
    free(cfg->token);
    free(cfg->token_file);
    free(cfg->namespace_name);
    free(cfg->context_name);
    free(cfg->cluster_name);
    free(cfg->user_name);
    memset(cfg, 0, sizeof *cfg);
}
