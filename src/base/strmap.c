/* strmap: chained hash table that doubles at load factor 1; small and predictable, which is
 * what caches of a few thousand Services need. */
#include "base/strmap.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

uint64_t strmap_fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

void strmap_init(strmap *m)
{
    memset(m, 0, sizeof *m);
}

void strmap_free(strmap *m)
{
    for (size_t b = 0; b < m->nbuckets; b++) {
        strmap_entry *e = m->buckets[b];
        while (e != NULL) {
            strmap_entry *next = e->next;
            free(e);
            e = next;
        }
    }
    free(m->buckets);
    memset(m, 0, sizeof *m);
}

static strmap_entry **strmap_slot(const strmap *m, const char *key, uint64_t h)
{
    strmap_entry **p = &m->buckets[h & (m->nbuckets - 1)];
    while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
        p = &(*p)->next;
    return p;
}

void *strmap_get(const strmap *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    strmap_entry *e = *strmap_slot(m, key, strmap_fnv(STRMAP_FNV_OFFSET, key, strlen(key)));
    return e != NULL ? e->value : NULL;
}

static int strmap_grow(strmap *m)
{
    size_t n = m->nbuckets ? m->nbuckets * 2 : 16;
    strmap_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < m->nbuckets; i++) {
        strmap_entry *e = m->buckets[i];
        while (e != NULL) {
            strmap_entry *next = e->next;
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

int strmap_put(strmap *m, const char *key, void *value, void **old)
{
    if (old != NULL)
        *old = NULL;
    if (m->count >= m->nbuckets && strmap_grow(m) != 0 && m->nbuckets == 0)
        return -1; /* a failed grow of a non-empty map just leaves longer chains */
    size_t klen = strlen(key);
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, key, klen);
    strmap_entry **p = strmap_slot(m, key, h);
    if (*p != NULL) {
        if (old != NULL)
            *old = (*p)->value;
        (*p)->value = value;
        return 0;
    }
    strmap_entry *e = malloc(sizeof *e + klen + 1);
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

void *strmap_del(strmap *m, const char *key)
{
    if (m->nbuckets == 0)
        return NULL;
    strmap_entry **p = strmap_slot(m, key, strmap_fnv(STRMAP_FNV_OFFSET, key, strlen(key)));
    strmap_entry *e = *p;
    if (e == NULL)
        return NULL;
    *p = e->next;
    void *v = e->value;
    free(e);
    m->count--;
    return v;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}

static void strmap_iter_settle(strmap_iter *it)
{
    while (it->e == NULL && it->bucket < it->m->nbuckets) {
        it->e = it->m->buckets[it->bucket++];
    }
    it->next = it->e != NULL ? it->e->next : NULL;
}

strmap_iter strmap_iter_start(const strmap *m)
{
    strmap_iter it = {.m = m, .bucket = 0, .e = NULL, .next = NULL};
    strmap_iter_settle(&it);
    return it;
}

int strmap_iter_ok(const strmap_iter *it)
{
    return it->e != NULL;
}

void strmap_iter_next(strmap_iter *it)
{
    it->e = it->next;
    strmap_iter_settle(it);
}

int strmap_key(char *key, const char *ns, const char *name)
{
    int n = snprintf(key, STRMAP_KEY_MAX, "%s/%s", ns, name);
    return n > 0 && n < STRMAP_KEY_MAX ? 0 : -1;
}

int strmap_key_split(const char *key, char ns[64], const char **name)
{
    const char *slash = strchr(key, '/');
    if (slash == NULL || slash - key > 63)
        return -1;
    memcpy(ns, key, (size_t)(slash - key));
    ns[slash - key] = '\0';
    *name = slash + 1;
    return 0;
}
