/* intern: the process's table of interned strings: a chained hash table of reference-counted
 * entries, each string stored once in its entry; single-threaded like the event loop. */
#include "cache/intern.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"

typedef struct intern_entry {
    struct intern_entry *next;
    uint64_t hash;
    uint32_t refs;
    uint32_t len;
    char s[];
} intern_entry;

/* The table owns every entry; an entry lives while a reference to its string does. */
static struct {
    intern_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 */
    size_t count;
} intern_table;

static intern_entry *intern_entry_of(const char *s)
{
    return (intern_entry *)(void *)(s - offsetof(intern_entry, s));
}

static int intern_grow(void)
{
    size_t n = intern_table.nbuckets ? intern_table.nbuckets * 2 : 64;
    intern_entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return -1;
    for (size_t i = 0; i < intern_table.nbuckets; i++) {
        for (intern_entry *e = intern_table.buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    }
    free(intern_table.buckets);
    intern_table.buckets = b;
    intern_table.nbuckets = n;
    return 0;
}

const char *intern_get(const char *s, size_t len)
{
    if (len > INTERN_MAX)
        return NULL;
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, s, len);
    if (intern_table.nbuckets > 0) {
        for (intern_entry *e = intern_table.buckets[h & (intern_table.nbuckets - 1)]; e != NULL; e = e->next) {
            if (e->hash == h && e->len == len && memcmp(e->s, s, len) == 0) {
                if (e->refs == UINT32_MAX)
                    return NULL;
                e->refs++;
                return e->s;
            }
        }
    }
    if (intern_table.count >= intern_table.nbuckets && intern_grow() != 0)
        return NULL;
    intern_entry *e = malloc(sizeof *e + len + 1);
    if (e == NULL)
        return NULL;
    e->hash = h;
    e->refs = 1;
    e->len = (uint32_t)len;
    memcpy(e->s, s, len);
    e->s[len] = '\0';
    size_t b = h & (intern_table.nbuckets - 1);
    e->next = intern_table.buckets[b];
    intern_table.buckets[b] = e;
    intern_table.count++;
    return e->s;
}

const char *intern_json(const json_doc *doc, int tok)
{
    char buf[INTERN_MAX + 1];
    size_t len;
    if (!json_is_string(doc, tok) || json_str_copy(doc, tok, buf, sizeof buf, &len) != 0)
        return NULL;
    return intern_get(buf, len);
}

void intern_put(const char *s)
{
    if (s == NULL)
        return;
    intern_entry *e = intern_entry_of(s);
    if (--e->refs > 0)
        return;
    for (intern_entry **p = &intern_table.buckets[e->hash & (intern_table.nbuckets - 1)]; *p != NULL; p = &(*p)->next) {
        if (*p == e) {
            *p = e->next;
            break;
        }
    }
    free(e);
    /* The last string gone: the buckets go too, so a process (or a unit test) that has
     * released everything holds nothing of the table. */
    if (--intern_table.count == 0) {
        free(intern_table.buckets);
        intern_table.buckets = NULL;
        intern_table.nbuckets = 0;
    }
}

size_t intern_count(void)
{
    return intern_table.count;
}
