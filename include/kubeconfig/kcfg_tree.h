/* kcfg_tree: a kubeconfig's YAML read with libyaml's event API into a small bounded tree:
 * nodes by index, aliases as second references, every limit of kcfg.h enforced. */
#ifndef SVCLINK_KUBECONFIG_KCFG_TREE_H
#define SVCLINK_KUBECONFIG_KCFG_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_types.h"

#define KCFG_TREE_NONE UINT32_MAX

enum { KCFG_TREE_SCALAR = 1, KCFG_TREE_SEQ, KCFG_TREE_MAP };
/* Scalar flags: KCFG_TREE_PLAIN is an untagged plain scalar, the only kind YAML resolves to
 * null, bool or a merge key by its text; explicit !!bool, !!null, !!merge count too. */
enum { KCFG_TREE_PLAIN = 1, KCFG_TREE_TAG_BOOL = 2, KCFG_TREE_TAG_NULL = 4, KCFG_TREE_TAG_MERGE = 8 };

typedef struct {
    uint8_t kind;
    uint8_t flags;
    uint32_t size;  /* nodes this one stands for, itself and aliased subtrees included */
    uint32_t first; /* scalar: offset in text; collection: index in kids */
    uint32_t count; /* scalar: length; collection: children (keys and values for maps) */
} kcfg_tree_node;

typedef struct {
    uint32_t node;
    size_t pending_base; /* where this collection's children start in pending */
    char *anchor;        /* owned; registered when the collection ends */
} kcfg_tree_level;

typedef struct {
    char *name; /* owned */
    uint32_t node;
} kcfg_tree_anchor;

/* Nodes refer to each other by index; an alias is simply a second reference to its
 * anchor's node, so nothing is ever copied. */
typedef struct {
    kcfg_tree_node *nodes;
    size_t n_nodes, cap_nodes;
    uint32_t *kids;
    size_t n_kids, cap_kids;
    uint32_t *pending; /* children of the collections still open, innermost last */
    size_t n_pending, cap_pending;
    char *text; /* every scalar, NUL-terminated; wiped before free (tokens, keys) */
    size_t n_text, cap_text;
    kcfg_tree_level open[KCFG_MAX_DEPTH];
    size_t depth;
    kcfg_tree_anchor anchors[KCFG_MAX_ANCHORS];
    size_t n_anchors;
    size_t budget; /* nodes plus alias expansions so far, against KCFG_MAX_NODES */
    size_t documents;
    uint32_t root;
} kcfg_tree;

/* An empty tree, no root yet. */
void kcfg_tree_init(kcfg_tree *t);
/* Releases everything, wiping the text first (it holds tokens and keys); t is empty. */
void kcfg_tree_free(kcfg_tree *t);
/* Reads len bytes of YAML into t (fresh from kcfg_tree_init): one document, within the
 * KCFG_MAX_* limits, no !!binary, no NUL in a string, aliases only to complete anchored
 * nodes. 0, or -1 with *err set; an empty document is an error. Free t either way. */
int kcfg_tree_build(kcfg_tree *t, const char *yaml, size_t len, kcfg_error *err);

#endif
