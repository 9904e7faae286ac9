/* strmap: a string-keyed hash map (separate chaining, FNV-1a) for the caches; the map owns
 * copies of its keys, values are the caller's. */
#ifndef SVCLINK_BASE_STRMAP_H
#define SVCLINK_BASE_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_entry {
    struct strmap_entry *next;
    uint64_t hash;
    void *value;
    char key[]; /* owned copy, NUL-terminated */
} strmap_entry;

typedef struct {
    strmap_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
} strmap;

void strmap_init(strmap *m);
/* Frees the entries and buckets; values are the caller's to free first (strmap_each). */
void strmap_free(strmap *m);
void *strmap_get(const strmap *m, const char *key);
/* Inserts or replaces; returns the previous value (NULL if none) through *old when old is
 * not NULL. 0, or -1 on OOM (map unchanged). */
int strmap_put(strmap *m, const char *key, void *value, void **old);
/* Removes key and returns its value (NULL when absent). */
void *strmap_del(strmap *m, const char *key);
size_t strmap_count(const strmap *m);

/* Iteration that survives strmap_del of the current entry: for (strmap_iter it = strmap_iter_start(m);
 * strmap_iter_ok(&it); strmap_iter_next(&it)) use it.e->key, it.e->value. */
typedef struct {
    const strmap *m;
    size_t bucket;
    strmap_entry *e, *next;
} strmap_iter;
strmap_iter strmap_iter_start(const strmap *m);
int strmap_iter_ok(const strmap_iter *it);
void strmap_iter_next(strmap_iter *it);

/* FNV-1a over len bytes, continuing from h (start with STRMAP_FNV_OFFSET). */
/* Keys of the form "ns/name" (one namespace, one object name), as main_view, the engine and
 * apply use them. STRMAP_KEY_MAX holds a 63-character namespace and a 253-character name. */
#define STRMAP_KEY_MAX 320
/* Writes "ns/name" into key[STRMAP_KEY_MAX]; 0, or -1 when it does not fit. */
int strmap_key(char *key, const char *ns, const char *name);
/* Splits "ns/name": the namespace into ns[64], *name pointing into key; 0, or -1 when key
 * has no '/' or the namespace is longer than 63. */
int strmap_key_split(const char *key, char ns[64], const char **name);

#define STRMAP_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t strmap_fnv(uint64_t h, const void *data, size_t len);

#endif
