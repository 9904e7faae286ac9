/* smap: chained hash table that doubles at load factor 1; small and predictable, which is
 * what caches of a few thousand Services need. */
#include "smap.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

uint64_t smap_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void smap_init(smap *m)
{
    memset(m, 0, sizeof *m);
}

void smap_free(smap *m)
{
    for (size_t b = 0; b < m->nbuckets; b++) {
        smap_entry *e = m->buckets[b];
        while (e != NULL) {
            smap_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    memset(m, 0, sizeof *m);
}

static smap_entry **smap_slot(const smap *m, const char *key, uint64_t h)
{
    smap_entry **p = &m->buckets[h & (m->nbuckets - 1)];
    while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->next;
    return p;
}

void *smap_get(const smap *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    smap_entry *e = *smap_slot(m, key, smap_fnv(SMAP_FNV_OFFSET, key, strlen(key)));
    return e != NULL ? e->value : NULL;
}

static int smap_grow(smap *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    smap_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < m->nbuckets; i++) {
        smap_entry *e = m->buckets[i];
        while (e != NULL) {
            smap_entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(m->buckets);
    m->buckets = b;
    m->nbuckets = n;
    return 0;
}

int smap_put(smap *m, const char *key, void *value, void **old)
{
    if (old != NULL)
        *old = NULL;
    if (m->count >= m->nbuckets && smap_grow(m) != 0 && m->nbuckets == 0)
        return -1; /* a failed grow of a non-empty map just leaves longer chains */
    size_t klen = strlen(key);
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, key, klen);
    smap_entry **p = smap_slot(m, key, h);
    if (*p != NULL) {
        if (old != NULL)
            *old = (*p)->value;
        (*p)->value = value;
        return 0;
    }
    smap_entry *e = malloc(sizeof *e + klen + 1);
    if (e == NULL)
        return -1;
    e->next = NULL;
    e->hash = h;
    e->value = value;
    memcpy(e->key, key, klen + 1);
    *p = e;
    m->count++;
    return 0;
}

void *smap_del(smap *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    smap_entry **p = smap_slot(m, key, smap_fnv(SMAP_FNV_OFFSET, key, strlen(key)));
    smap_entry *e = *p;
    if (e == NULL)
        return NULL;
    *p = e->next;
    void *v = e->value;
    free(e);
    m->count--;
    return v;
}

size_t smap_count(const smap *m)
{
    return m->count;
}

static void smap_iter_settle(smap_iter *it)
{
    while (it->e == NULL && it->bucket < it->m->nbuckets) {
        it->e = it->m->buckets[it->bucket++];
    }
    it->next = it->e != NULL ? it->e->next : NULL;
}

smap_iter smap_iter_start(const smap *m)
{
    smap_iter it = {.m = m, .bucket = 0, .e = NULL, .next = NULL};
    smap_iter_settle(&it);
    return it;
}

int smap_iter_ok(const smap_iter *it)
{
    return it->e != NULL;
}

void smap_iter_next(smap_iter *it)
{
    it->e = it->next;
    smap_iter_settle(it);
}

int smap_key(char *key, const char *ns, const char *name)
{
    int n = snprintf(key, SMAP_KEY_MAX, "%s/%s", ns, name);
    return n > 0 && n < SMAP_KEY_MAX ? 0 : -1;
}

int smap_key_split(const char *key, char ns[64], const char **name)
{
    const char *slash = strchr(key, '/');
    if (slash == NULL || slash - key > 63)
        return -1;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = '\0';
    *name = slash + 1;
    return 0;
}
