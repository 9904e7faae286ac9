/* addrpol: the address policy: sets of IPv4/IPv6 CIDRs and single addresses, and the verdict
 * on a remote endpoint's address (the main cluster's own ranges denied, allow-lists applied). */
#ifndef SVCLINK_SPEC_ADDRPOL_H
#define SVCLINK_SPEC_ADDRPOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text of one entry: a full IPv6 address with an embedded IPv4 and "/128". */
#define ADDRPOL_TEXT_MAX 64
/* Big enough for any formatted address (INET6_ADDRSTRLEN). */
#define ADDRPOL_ADDR_STR 46

/* One range: family 4 or 6, the first `bits` bits of addr (the rest zero). A single
 * address is a /32 or /128. */
typedef struct {
    uint8_t family;
    uint8_t bits;
    uint8_t addr[16]; /* network order; 4 bytes used for IPv4 */
} addrpol_cidr;

/* A set of ranges, kept sorted and without repeats so two sets compare with memcmp, and
 * looked up with one binary search per prefix length present. Owns its array. */
typedef struct {
    addrpol_cidr *v;
    size_t n, cap;
    uint8_t lens4[5], lens6[17]; /* bitmaps of the prefix lengths present (0..32, 0..128) */
} addrpol_set;

/* Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address or "v6/n" (no zone, no spaces). Bits
 * beyond the prefix are cleared, as the API server's own ParseCIDR does. 0, or -1 with
 * err saying what is wrong with text (quoted, at most 64 characters shown). */
int addrpol_cidr_parse(const char *text, size_t len, addrpol_cidr *out, char *err, size_t errlen);
/* "10.96.0.0/12"; single addresses are written without "/32" or "/128". */
void addrpol_cidr_format(const addrpol_cidr *c, char out[ADDRPOL_TEXT_MAX]);
/* family 4 or 6. */
void addrpol_addr_format(int family, const uint8_t *addr, char out[ADDRPOL_ADDR_STR]);
/* The single address (family, addr) as a range (/32 or /128). */
addrpol_cidr addrpol_host(int family, const uint8_t *addr);

void addrpol_set_init(addrpol_set *s);
void addrpol_set_free(addrpol_set *s);
/* Empties the set, keeping its storage. */
void addrpol_set_clear(addrpol_set *s);
/* Adds c (a repeat is a no-op). 0, or -1 when out of memory (set unchanged). */
int addrpol_set_add(addrpol_set *s, const addrpol_cidr *c);
/* Adds n ranges at once (sorting once: for thousands of node addresses). 0, or -1 when out
 * of memory (set unchanged). */
int addrpol_set_add_many(addrpol_set *s, const addrpol_cidr *v, size_t n);
/* Adds every item of a comma-separated list; what names the list in err (for example
 * "--service-cidrs"). 0, or -1 with err naming the item (the set may hold the ones before). */
int addrpol_set_add_list(addrpol_set *s, const char *list, const char *what, char *err, size_t errlen);
/* Every range of from added to s. 0, or -1 when out of memory. */
int addrpol_set_merge(addrpol_set *s, const addrpol_set *from);
/* True when addr (family 4 or 6) lies inside a range of the set. */
bool addrpol_set_contains(const addrpol_set *s, int family, const uint8_t *addr);
bool addrpol_set_equal(const addrpol_set *a, const addrpol_set *b);
/* The set as "a, b, c" (truncated to outlen). */
void addrpol_set_format(const addrpol_set *s, char *out, size_t outlen);

/* Why an address is refused; ADDRPOL_PASS when it may be written. The order is the order
 * of the checks: the first that matches names the reason. */
typedef enum {
    ADDRPOL_PASS = 0,
    ADDRPOL_SERVICE_CIDR, /* inside one of the main cluster's Service CIDRs */
    ADDRPOL_NODE,         /* one of the main cluster's node addresses */
    ADDRPOL_APISERVER,    /* the main cluster's API server */
    ADDRPOL_NOT_ALLOWED,  /* outside --allowed-cidrs or the link's spec.allowedCIDRs */
    ADDRPOL_REASONS
} addrpol_reason;

/* The policy one link's endpoints are judged by; every set is borrowed and may be NULL
 * (nothing denied for that reason; no allow-list; an empty allow-list counts as none). An
 * endpoint must be inside every allow-list that is set: the link's can only narrow the global. */
typedef struct {
    const addrpol_set *deny[ADDRPOL_NOT_ALLOWED]; /* indexed by ADDRPOL_SERVICE_CIDR..ADDRPOL_APISERVER */
    const addrpol_set *allow_global;              /* --allowed-cidrs */
    const addrpol_set *allow_link;                /* spec.allowedCIDRs */
} addrpol;

addrpol_reason addrpol_check(const addrpol *p, int family, const uint8_t *addr);
/* The metric label of a reason ("service-cidr", "node", "apiserver", "not-allowed"). */
const char *addrpol_reason_label(addrpol_reason r);
/* A few words for status messages ("main Service CIDR", ...). */
const char *addrpol_reason_text(addrpol_reason r);

#endif
