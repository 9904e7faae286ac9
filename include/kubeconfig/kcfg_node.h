/* kcfg_node: the readers of a kcfg_tree that give its nodes kubectl's meaning (null, set,
 * strings, booleans, a mapping's fields), and kcfg_node_ctx, the walk they take part in. */
#ifndef SVCLINK_KUBECONFIG_KCFG_NODE_H
#define SVCLINK_KUBECONFIG_KCFG_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_types.h"
#include "kubeconfig/kcfg_tree.h"

/* The walk over one tree: what the readers, the selection (kcfg_select) and the credential
 * checks (kcfg_cred) share. Readers only use t and err. */
typedef struct {
    const kcfg_tree *t;
    kcfg_trust trust;
    const char *base_dir;
    kcfg_config *out;
    kcfg_error *err;
} kcfg_node_ctx;

/* Node i (never KCFG_TREE_NONE), a scalar's NUL-terminated text, a collection's k-th child. */
const kcfg_tree_node *kcfg_node_node(const kcfg_node_ctx *c, uint32_t i);
const char *kcfg_node_text(const kcfg_node_ctx *c, uint32_t i);
uint32_t kcfg_node_kid(const kcfg_node_ctx *c, uint32_t i, uint32_t k);

/* Null: absent (KCFG_TREE_NONE), !!null, or a plain "", ~, null, Null, NULL. */
bool kcfg_node_is_null(const kcfg_node_ctx *c, uint32_t i);
/* Set means present, not null and not an empty string: kubectl treats those alike. */
bool kcfg_node_is_set(const kcfg_node_ctx *c, uint32_t i);
/* "a list", "a mapping" or "a string", for messages. */
const char *kcfg_node_kind_name(const kcfg_node_ctx *c, uint32_t i);

/* The values of the given keys in mapping map (KCFG_TREE_NONE when absent); null or absent map
 * reads as empty. A repeated key or a merge key is an error: either would make us read
 * something other than what kubectl reads. where prefixes the messages. 0 or -1. */
int kcfg_node_fields(const kcfg_node_ctx *c, uint32_t map, const char *where, const char *const *keys, size_t nkeys,
              uint32_t *vals);
/* A string field: *out borrows the tree's text, NULL when not set. 0 or -1. */
int kcfg_node_string(const kcfg_node_ctx *c, uint32_t v, const char *where, const char *field, const char **out);
/* A boolean field: plain or !!bool true/True/TRUE or false/False/FALSE; false when null.
 * 0 or -1. */
int kcfg_node_bool(const kcfg_node_ctx *c, uint32_t v, const char *where, const char *field, bool *out);
/* *out = a malloc'd copy of s (NULL for NULL) for the result; 0, or -1 out of memory. */
int kcfg_node_dup(const kcfg_node_ctx *c, const char *s, char **out);

#endif
