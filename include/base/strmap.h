/* smap: a string-keyed hash map (separate chaining, FNV-1a) for the caches; the map owns
 * copies of its keys, values are the caller's. */
#ifndef SVCLINK_SMAP_H
#define SVCLINK_SMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct smap_entry {
    struct smap_entry *next;
    uint64_t hash;
    void *value;
    char key[]; /* owned copy, NUL-terminated */
} smap_entry;

typedef struct {
    smap_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
} smap;

void smap_init(smap *m);
/* Frees the entries and buckets; values are the caller's to free first (smap_each). */
void smap_free(smap *m);
void *smap_get(const smap *m, const char *key);
/* Inserts or replaces; returns the previous value (NULL if none) through *old when old is
 * not NULL. 0, or -1 on OOM (map unchanged). */
int smap_put(smap *m, const char *key, void *value, void **old);
/* Removes key and returns its value (NULL when absent). */
void *smap_del(smap *m, const char *key);
size_t smap_count(const smap *m);

/* Iteration that survives smap_del of the current entry: for (smap_iter it = smap_iter_start(m);
 * smap_iter_ok(&it); smap_iter_next(&it)) use it.e->key, it.e->value. */
typedef struct {
    const smap *m;
    size_t bucket;
    smap_entry *e, *next;
} smap_iter;
smap_iter smap_iter_start(const smap *m);
int smap_iter_ok(const smap_iter *it);
void smap_iter_next(smap_iter *it);

/* FNV-1a over len bytes, continuing from h (start with SMAP_FNV_OFFSET). */
/* Keys of the form "ns/name" (one namespace, one object name), as lview, the engine and
 * apply use them. SMAP_KEY_MAX holds a 63-character namespace and a 253-character name. */
#define SMAP_KEY_MAX 320
/* Writes "ns/name" into key[SMAP_KEY_MAX]; 0, or -1 when it does not fit. */
int smap_key(char *key, const char *ns, const char *name);
/* Splits "ns/name": the namespace into ns[64], *name pointing into key; 0, or -1 when key
 * has no '/' or the namespace is longer than 63. */
int smap_key_split(const char *key, char ns[64], const char **name);

#define SMAP_FNV_OFFSET 0xcbf29ce484222325ull
uint64_t smap_fnv(uint64_t h, const void *data, size_t len);

#endif
