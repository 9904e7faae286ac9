/* knode: the readers of a ktree that give its nodes kubectl's meaning (null, set,
 * strings, booleans, a mapping's fields), and kn_ctx, the walk they take part in. */
#ifndef SVCLINK_KNODE_H
#define SVCLINK_KNODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kcfg.h"
#include "ktree.h"

/* The walk over one tree: what the readers, the selection (ksel) and the credential
 * checks (kcred) share. Readers only use t and err. */
typedef struct {
    const ktree *t;
    kcfg_trust trust;
    const char *base_dir;
    kcfg_config *out;
    kcfg_error *err;
} kn_ctx;

/* Node i (never KTREE_NONE), a scalar's NUL-terminated text, a collection's k-th child. */
const ktree_node *kn_node(const kn_ctx *c, uint32_t i);
const char *kn_text(const kn_ctx *c, uint32_t i);
uint32_t kn_kid(const kn_ctx *c, uint32_t i, uint32_t k);

/* Null: absent (KTREE_NONE), !!null, or a plain "", ~, null, Null, NULL. */
bool kn_is_null(const kn_ctx *c, uint32_t i);
/* Set means present, not null and not an empty string: kubectl treats those alike. */
bool kn_is_set(const kn_ctx *c, uint32_t i);
/* "a list", "a mapping" or "a string", for messages. */
const char *kn_kind_name(const kn_ctx *c, uint32_t i);

/* The values of the given keys in mapping map (KTREE_NONE when absent); null or absent map
 * reads as empty. A repeated key or a merge key is an error: either would make us read
 * something other than what kubectl reads. where prefixes the messages. 0 or -1. */
int kn_fields(const kn_ctx *c, uint32_t map, const char *where, const char *const *keys, size_t nkeys,
              uint32_t *vals);
/* A string field: *out borrows the tree's text, NULL when not set. 0 or -1. */
int kn_string(const kn_ctx *c, uint32_t v, const char *where, const char *field, const char **out);
/* A boolean field: plain or !!bool true/True/TRUE or false/False/FALSE; false when null.
 * 0 or -1. */
int kn_bool(const kn_ctx *c, uint32_t v, const char *where, const char *field, bool *out);
/* *out = a malloc'd copy of s (NULL for NULL) for the result; 0, or -1 out of memory. */
int kn_dup(const kn_ctx *c, const char *s, char **out);

#endif
