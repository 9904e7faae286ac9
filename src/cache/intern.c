/* istr: the process's table of interned strings: a chained hash table of reference-counted
 * entries, each string stored once in its entry; single-threaded like the event loop. */
#include "istr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smap.h"

typedef struct istr_entry {
    struct istr_entry *next;
    uint64_t hash;
    uint32_t refs;
    uint32_t len;
    char s[];
} istr_entry;

/* The table owns every entry; an entry lives while a reference to its string does. */
static struct {
    istr_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 */
    size_t count;
} istr_table;

static istr_entry *istr_entry_of(const char *s)
{
    return (istr_entry *)(void *)(s - offsetof(istr_entry, s));
}

static int istr_grow(void)
{
    size_t n = istr_table.nbuckets ? istr_table.nbuckets * 2 : 64;
    istr_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < istr_table.nbuckets; i++) {
        for (istr_entry *e = istr_table.buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(istr_table.buckets);
    istr_table.buckets = b;
    istr_table.nbuckets = n;
    return 0;
}

const char *istr_get(const char *s, size_t len)
{
    if (len > ISTR_MAX)
        return NULL;
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, s, len);
    if (istr_table.nbuckets > 0) {
        for (istr_entry *e = istr_table.buckets[h & (istr_table.nbuckets - 1)]; e != NULL; e = e->next) {
            if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
                if (e->refs == UINT32_MAX)
                    return NULL;
                e->refs++;
                return e->s;
            }
        }
    }
    if (istr_table.count >= istr_table.nbuckets && istr_grow() != 0)
        return NULL;
    istr_entry *e = malloc(sizeof *e + len + 1);
    if (e == NULL)
        return NULL;
    e->hash = h;
    e->refs = 1;
    e->len = (uint32_t)len;
    memcpy(e->s, s, len);
    e->s[len] = '\0';
    size_t b = h & (istr_table.nbuckets - 1);
    e->next = istr_table.buckets[b];
    istr_table.buckets[b] = e;
    istr_table.count++;
    return e->s;
}

const char *istr_json(const json_doc *doc, int tok)
{
    char buf[ISTR_MAX + 1];
    size_t len;
    if (!json_is_string(doc, tok) || json_str_copy(doc, tok, buf, sizeof buf, &len) != 0)
        return NULL;
    return istr_get(buf, len);
}

void istr_put(const char *s)
{
    if (s == NULL)
        return;
    istr_entry *e = istr_entry_of(s);
    if (--e->refs > 0)
        return;
    for (istr_entry **p = &istr_table.buckets[e->hash & (istr_table.nbuckets - 1)]; *p != NULL; p = &(*p)->next) {
        if (*p == e) {
            *p = e->next;
            break;
        }
    }
    free(e);
    /* The last string gone: the buckets go too, so a process (or a unit test) that has
     * released everything holds nothing of the table. */
    if (--istr_table.count == 0) {
        free(istr_table.buckets);
        istr_table.buckets = NULL;
        istr_table.nbuckets = 0;
    }
}

size_t istr_count(void)
{
    return istr_table.count;
}
