/* addrpol: CIDR sets (sorted, binary-searched per prefix length, so thousands of node
 * addresses cost a few comparisons per endpoint) and the deny/allow verdict on an address. */
#include "spec/addrpol.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

static size_t addrpol_width(int family)
{
    return family == 4 ? 4 : 16;
}

static void addrpol_mask(uint8_t *addr, size_t width, unsigned bits)
{
    for (size_t i = 0; i < width; i++) {
        unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * (unsigned)i : 0;
        addr[i] &= (uint8_t)(0xff00u >> keep);
    }
}

addrpol_cidr addrpol_host(int family, const uint8_t *addr)
{
    addrpol_cidr c;
    memset(&c, 0, sizeof c);
    c.family = (uint8_t)family;
    c.bits = (uint8_t)(8 * addrpol_width(family));
    memcpy(c.addr, addr, addrpol_width(family));
    return c;
}

/* The prefix length after '/': decimal, no sign, no leading zero (as Go's ParseCIDR). */
static int addrpol_bits(const char *s, size_t len, unsigned max, unsigned *out)
{
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return -1;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

int addrpol_cidr_parse(const char *text, size_t len, addrpol_cidr *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *slash = memchr(text, '/', len);
    size_t alen = slash != NULL ? (size_t)(slash - text) : len;
    char buf[ADDRPOL_TEXT_MAX];
    bool ok = alen > 0 && alen < sizeof buf && memchr(text, '\0', len) == NULL;
    if (ok) {
        memcpy(buf, text, alen);
        buf[alen] = '\0';
        if (inet_pton(AF_INET, buf, out->addr) == 1)
            out->family = 4;
        else if (inet_pton(AF_INET6, buf, out->addr) == 1)
            out->family = 6;
        else
            ok = false;
    }
    unsigned max = out->family == 4 ? 32 : 128, bits = max;
    if (ok && slash != NULL)
        ok = addrpol_bits(slash + 1, len - alen - 1, max, &bits) == 0;
    if (!ok) {
        int shown = len > 64 ? 64 : (int)len;
        text_errorf(err, errlen, "\"%.*s%s\" is not an IP address or CIDR (examples: 10.0.0.0/8, 192.0.2.7, fd00::/64)",
                   shown, text, len > 64 ? "..." : "");
        memset(out, 0, sizeof *out);
        return -1;
    }
    out->bits = (uint8_t)bits;
    addrpol_mask(out->addr, addrpol_width(out->family), bits);
    return 0;
}

void addrpol_addr_format(int family, const uint8_t *addr, char out[ADDRPOL_ADDR_STR])
{
    if (inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, out, ADDRPOL_ADDR_STR) == NULL)
        snprintf(out, ADDRPOL_ADDR_STR, "?");
}

void addrpol_cidr_format(const addrpol_cidr *c, char out[ADDRPOL_TEXT_MAX])
{
    char a[ADDRPOL_ADDR_STR];
    addrpol_addr_format(c->family, c->addr, a);
    if (c->bits == 8 * addrpol_width(c->family))
        snprintf(out, ADDRPOL_TEXT_MAX, "%s", a);
    else
        snprintf(out, ADDRPOL_TEXT_MAX, "%s/%u", a, (unsigned)c->bits);
}

/* ---- sets ---- */

void addrpol_set_init(addrpol_set *s)
{
    memset(s, 0, sizeof *s);
}

void addrpol_set_free(addrpol_set *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

void addrpol_set_clear(addrpol_set *s)
{
    s->n = 0;
    memset(s->lens4, 0, sizeof s->lens4);
    memset(s->lens6, 0, sizeof s->lens6);
}

static int addrpol_cmp(const addrpol_cidr *a, const addrpol_cidr *b)
{
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->bits != b->bits)
        return a->bits < b->bits ? -1 : 1;
    return memcmp(a->addr, b->addr, 16);
}

/* The index of c in s, or where it would go (*found false). */
static size_t addrpol_find(const addrpol_set *s, const addrpol_cidr *c, bool *found)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = addrpol_cmp(&s->v[mid], c);
        if (r == 0) {
            *found = true;
            return mid;
        }
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/* Canonical form: unused bytes and host bits zero, so equal ranges compare equal. -1 for
 * a family other than 4 and 6. */
static int addrpol_canon(const addrpol_cidr *c, addrpol_cidr *k)
{
    *k = *c;
    if (k->family != 4 && k->family != 6)
        return -1;
    unsigned max = k->family == 4 ? 32 : 128;
    if (k->bits > max)
        k->bits = (uint8_t)max;
    if (k->family == 4)
        memset(k->addr + 4, 0, 12);
    addrpol_mask(k->addr, addrpol_width(k->family), k->bits);
    return 0;
}

static void addrpol_note_len(addrpol_set *s, const addrpol_cidr *k)
{
    uint8_t *lens = k->family == 4 ? s->lens4 : s->lens6;
    lens[k->bits / 8] |= (uint8_t)(1u << (k->bits % 8));
}

static int addrpol_qcmp(const void *a, const void *b)
{
    return addrpol_cmp(a, b);
}

int addrpol_set_add_many(addrpol_set *s, const addrpol_cidr *v, size_t n)
{
    if (n == 0)
        return 0;
    if (n > (SIZE_MAX / sizeof *s->v) - s->n)
        return -1;
    if (s->n + n > s->cap) {
        size_t cap = s->n + n;
        addrpol_cidr *grown = realloc(s->v, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->v = grown;
        s->cap = cap;
    }
    size_t w = s->n;
    for (size_t i = 0; i < n; i++) {
        if (addrpol_canon(&v[i], &s->v[w]) == 0)
            w++;
    }
    if (w > 1)
        qsort(s->v, w, sizeof *s->v, addrpol_qcmp);
    size_t out = 0;
    for (size_t r = 0; r < w; r++) {
        if (out > 0 && addrpol_cmp(&s->v[out - 1], &s->v[r]) == 0)
            continue;
        s->v[out] = s->v[r];
        addrpol_note_len(s, &s->v[out++]);
    }
    s->n = out;
    return 0;
}

int addrpol_set_add(addrpol_set *s, const addrpol_cidr *c)
{
    addrpol_cidr k;
    if (addrpol_canon(c, &k) != 0)
        return -1;
    bool found;
    size_t at = addrpol_find(s, &k, &found);
    if (found)
        return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        addrpol_cidr *grown = realloc(s->v, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        s->v = grown;
        s->cap = cap;
    }
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof *s->v);
    s->v[at] = k;
    s->n++;
    addrpol_note_len(s, &k);
    return 0;
}

int addrpol_set_add_list(addrpol_set *s, const char *list, const char *what, char *err, size_t errlen)
{
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        addrpol_cidr c;
        char why[200];
        if (addrpol_cidr_parse(p, len, &c, why, sizeof why) != 0) {
            text_errorf(err, errlen, "%s: %s", what, len == 0 ? "an empty item in the list" : why);
            return -1;
        }
        if (addrpol_set_add(s, &c) != 0) {
            text_errorf(err, errlen, "%s: out of memory", what);
            return -1;
        }
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

int addrpol_set_merge(addrpol_set *s, const addrpol_set *from)
{
    for (size_t i = 0; from != NULL && i < from->n; i++) {
        if (addrpol_set_add(s, &from->v[i]) != 0)
            return -1;
    }
    return 0;
}

bool addrpol_set_contains(const addrpol_set *s, int family, const uint8_t *addr)
{
    if (s == NULL || s->n == 0 || (family != 4 && family != 6))
        return false;
    const uint8_t *lens = family == 4 ? s->lens4 : s->lens6;
    unsigned max = family == 4 ? 32 : 128;
    for (unsigned bits = 0; bits <= max; bits++) {
        if (!(lens[bits / 8] & (1u << (bits % 8))))
            continue;
        addrpol_cidr k;
        memset(&k, 0, sizeof k);
        k.family = (uint8_t)family;
        k.bits = (uint8_t)bits;
        memcpy(k.addr, addr, addrpol_width(family));
        addrpol_mask(k.addr, addrpol_width(family), bits);
        bool found;
        addrpol_find(s, &k, &found);
        if (found)
            return true;
    }
    return false;
}

bool addrpol_set_equal(const addrpol_set *a, const addrpol_set *b)
{
    size_t na = a != NULL ? a->n : 0, nb = b != NULL ? b->n : 0;
    return na == nb && (na == 0 || memcmp(a->v, b->v, na * sizeof *a->v) == 0);
}

void addrpol_set_format(const addrpol_set *s, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; s != NULL && i < s->n && used + 1 < outlen; i++) {
        char one[ADDRPOL_TEXT_MAX];
        addrpol_cidr_format(&s->v[i], one);
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", one);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* ---- the verdict ---- */

addrpol_reason addrpol_check(const addrpol *p, int family, const uint8_t *addr)
{
    /* ::ffff:a.b.c.d reaches a.b.c.d: judge the IPv4 address inside. */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (family == 6 && memcmp(addr, mapped, 12) == 0) {
        family = 4;
        addr += 12;
    }
    for (int r = ADDRPOL_SERVICE_CIDR; r < ADDRPOL_NOT_ALLOWED; r++) {
        if (addrpol_set_contains(p->deny[r], family, addr))
            return (addrpol_reason)r;
    }
    /* An empty allow-list is no allow-list, as an empty includedNamespaces is. */
    if (p->allow_global != NULL && p->allow_global->n > 0 && !addrpol_set_contains(p->allow_global, family, addr))
        return ADDRPOL_NOT_ALLOWED;
    if (p->allow_link != NULL && p->allow_link->n > 0 && !addrpol_set_contains(p->allow_link, family, addr))
        return ADDRPOL_NOT_ALLOWED;
    return ADDRPOL_PASS;
}

const char *addrpol_reason_label(addrpol_reason r)
{
    switch (r) {
    case ADDRPOL_SERVICE_CIDR:
        return "service-cidr";
    case ADDRPOL_NODE:
        return "node";
    case ADDRPOL_APISERVER:
        return "apiserver";
    case ADDRPOL_NOT_ALLOWED:
        return "not-allowed";
    default:
        return "pass";
    }
}

const char *addrpol_reason_text(addrpol_reason r)
{
    switch (r) {
    case ADDRPOL_SERVICE_CIDR:
        return "main Service CIDR";
    case ADDRPOL_NODE:
        return "main node address";
    case ADDRPOL_APISERVER:
        return "main API server";
    case ADDRPOL_NOT_ALLOWED:
        return "outside allowedCIDRs";
    default:
        return "allowed";
    }
}
