/* ns_optout: a small set of opted-out namespace names with one bit per label; a relist
 * remembers the bits it started from so only real changes are reported. */
#include "cache/ns_optout.h"

#include <stdint.h>
#include <string.h>

void ns_optout_init(ns_optout *o, ns_optout_changed_cb changed, void *arg)
{
    strmap_init(&o->ns);
    o->changed = changed;
    o->arg = arg;
}

void ns_optout_free(ns_optout *o)
{
    strmap_free(&o->ns); /* the values are plain bits */
}

static uintptr_t ns_optout_bits(const ns_optout *o, const char *ns)
{
    return (uintptr_t)strmap_get(&o->ns, ns);
}

/* Stores v (0 drops the entry) and reports a change of the current bits being non-zero. */
static void ns_optout_store(ns_optout *o, const char *ns, uintptr_t v, bool report)
{
    bool was = (ns_optout_bits(o, ns) & 0xff) != 0;
    if (v == 0)
        strmap_del(&o->ns, ns);
    else if (strmap_put(&o->ns, ns, (void *)v, NULL) != 0)
        return; /* out of memory: the namespace stays as it was */
    if (report && was != ((v & 0xff) != 0) && o->changed != NULL)
        o->changed(o->arg, ns);
}

void ns_optout_list_begin(ns_optout *o)
{
    /* Keep what each namespace was before the list in the second byte; the list restates
     * the current bits. A list begun over an unfinished one keeps the older "before". */
    for (strmap_iter it = strmap_iter_start(&o->ns); strmap_iter_ok(&it); strmap_iter_next(&it)) {
        uintptr_t v = (uintptr_t)it.e->value;
        uintptr_t before = (v & 0x10000u) ? (v >> 8) & 0xff : v & 0xff;
        it.e->value = (void *)((before << 8) | 0x10000u);
    }
}

void ns_optout_list_end(ns_optout *o)
{
    bool again = true;
    while (again) {
        again = false;
        for (strmap_iter it = strmap_iter_start(&o->ns); strmap_iter_ok(&it); strmap_iter_next(&it)) {
            uintptr_t v = (uintptr_t)it.e->value;
            if (!(v & 0x10000u))
                continue;
            bool before = ((v >> 8) & 0xff) != 0, now = (v & 0xff) != 0;
            char ns[64];
            if (strlen(it.e->key) >= sizeof ns)
                continue;
            strcpy(ns, it.e->key);
            if ((v & 0xff) == 0)
                strmap_del(&o->ns, ns);
            else
                it.e->value = (void *)(v & 0xff);
            if (before != now && o->changed != NULL)
                o->changed(o->arg, ns);
            again = (v & 0xff) == 0; /* the map changed under the iterator: start over */
            if (again)
                break;
        }
    }
}

static uintptr_t ns_optout_label_bits(const json_doc *doc, int obj)
{
    int labels = json_path(doc, obj, "metadata", "labels", NULL);
    uintptr_t bits = 0;
    if (json_str_eq(doc, json_obj_get(doc, labels, NS_OPTOUT_LABEL), "false"))
        bits |= NS_OPTOUT_BY_LABEL;
    if (json_str_eq(doc, json_obj_get(doc, labels, NS_OPTOUT_ALIAS_LABEL), "false"))
        bits |= NS_OPTOUT_BY_ALIAS;
    return bits;
}

void ns_optout_set(ns_optout *o, const json_doc *doc, int obj, bool present)
{
    char ns[64];
    if (json_str_copy(doc, json_path(doc, obj, "metadata", "name", NULL), ns, sizeof ns, NULL) != 0)
        return;
    uintptr_t v = ns_optout_bits(o, ns);
    uintptr_t bits = present ? ns_optout_label_bits(doc, obj) : 0;
    if (v & 0x10000u) {
        /* Reported at the end of the list, against what it was before. */
        strmap_put(&o->ns, ns, (void *)((v & ~(uintptr_t)0xff) | bits), NULL);
        return;
    }
    /* Every namespace passes by; only opted-out ones are stored (0 stores nothing). */
    ns_optout_store(o, ns, bits, true);
}

bool ns_optout_out(const ns_optout *o, const char *ns)
{
    return o != NULL && (ns_optout_bits(o, ns) & 0xff) != 0;
}
