/* Unit tests for addrpol: CIDR parsing (v4, v6, /0, /32, /128, malformed), set membership at
 * range boundaries, and the verdict order (denied ranges first, then the allow-lists). */
#include "spec/addrpol.h"
#include "unit.h"

#include <arpa/inet.h>
#include <stdlib.h>

static addrpol_cidr ta_cidr(const char *text)
{
    addrpol_cidr c;
    char err[200];
    if (addrpol_cidr_parse(text, strlen(text), &c, err, sizeof err) != 0)
        memset(&c, 0xee, sizeof c);
    return c;
}

static bool ta_parses(const char *text)
{
    addrpol_cidr c;
    char err[200];
    return addrpol_cidr_parse(text, strlen(text), &c, err, sizeof err) == 0;
}

/* The address of text (4 or 6 by its form), into a 16-byte buffer. */
static int ta_addr(const char *text, uint8_t out[16])
{
    memset(out, 0, 16);
    if (inet_pton(AF_INET, text, out) == 1)
        return 4;
    return inet_pton(AF_INET6, text, out) == 1 ? 6 : 0;
}

static bool ta_in(const addrpol_set *s, const char *ip)
{
    uint8_t a[16];
    int f = ta_addr(ip, a);
    return f != 0 && addrpol_set_contains(s, f, a);
}

static addrpol_reason ta_check(const addrpol *p, const char *ip)
{
    uint8_t a[16];
    int f = ta_addr(ip, a);
    return addrpol_check(p, f, a);
}

UNIT_TEST(addrpol_parses_addresses_and_ranges)
{
    addrpol_cidr c = ta_cidr("10.96.0.0/12");
    CHECK(c.family == 4 && c.bits == 12 && c.addr[0] == 10 && c.addr[1] == 96);
    c = ta_cidr("192.0.2.7");
    CHECK(c.family == 4 && c.bits == 32 && c.addr[3] == 7);
    c = ta_cidr("fd00:1::/64");
    CHECK(c.family == 6 && c.bits == 64 && c.addr[0] == 0xfd && c.addr[3] == 1);
    c = ta_cidr("::1");
    CHECK(c.family == 6 && c.bits == 128 && c.addr[15] == 1);
    c = ta_cidr("0.0.0.0/0");
    CHECK(c.family == 4 && c.bits == 0);
    c = ta_cidr("::/0");
    CHECK(c.family == 6 && c.bits == 0);
    /* Host bits are cleared, as ParseCIDR does: 10.1.2.3/8 is 10.0.0.0/8. */
    c = ta_cidr("10.1.2.3/8");
    CHECK(c.bits == 8 && c.addr[0] == 10 && c.addr[1] == 0 && c.addr[2] == 0 && c.addr[3] == 0);
    c = ta_cidr("10.255.255.255/9");
    CHECK(c.addr[1] == 0x80 && c.addr[2] == 0);
    char text[ADDRPOL_TEXT_MAX];
    c = ta_cidr("2001:db8::1/32");
    addrpol_cidr_format(&c, text);
    CHECK_STR_EQ(text, "2001:db8::/32");
    c = ta_cidr("192.0.2.7/32");
    addrpol_cidr_format(&c, text);
    CHECK_STR_EQ(text, "192.0.2.7");
}

UNIT_TEST(addrpol_refuses_malformed_text)
{
    const char *bad[] = {"", "/", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08",
                         "10.0.0.0/1000", "10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "10.0.0.0/8/8",
                         "fe80::1%eth0", " 10.0.0.1", "10.0.0.1 ", "10.0.0.1/8 ", "gggg::", "1:2:3:4:5:6:7:8:9",
                         "example.com", "10.0.0.0/0x8",
                         "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_MSG(!ta_parses(bad[i]), bad[i]);
    }
    /* A NUL inside the given length is refused, not cut short. */
    addrpol_cidr c;
    char err[200];
    CHECK(addrpol_cidr_parse("10.0.0.1\0/8", 11, &c, err, sizeof err) != 0);
    /* The message quotes the text, cut to 64 characters. */
    char longtext[300];
    memset(longtext, '9', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    CHECK(addrpol_cidr_parse(longtext, strlen(longtext), &c, err, sizeof err) != 0);
    CHECK(strstr(err, "...") != NULL && strlen(err) < 200);
}

UNIT_TEST(addrpol_set_boundaries_v4)
{
    addrpol_set s;
    addrpol_set_init(&s);
    char err[200];
    CHECK(addrpol_set_add_list(&s, "10.96.0.0/12,192.0.2.7", "--x", err, sizeof err) == 0);
    CHECK(ta_in(&s, "10.96.0.0") && ta_in(&s, "10.111.255.255") && ta_in(&s, "10.100.1.2"));
    CHECK(!ta_in(&s, "10.95.255.255") && !ta_in(&s, "10.112.0.0"));
    CHECK(ta_in(&s, "192.0.2.7") && !ta_in(&s, "192.0.2.6") && !ta_in(&s, "192.0.2.8"));
    /* IPv4 ranges never match IPv6 addresses. */
    CHECK(!ta_in(&s, "a60::1") && !ta_in(&s, "::"));
    addrpol_set_free(&s);
}

UNIT_TEST(addrpol_set_boundaries_v6_and_zero_length)
{
    addrpol_set s;
    addrpol_set_init(&s);
    char err[200];
    CHECK(addrpol_set_add_list(&s, "fd00:10:96::/112,2001:db8::5", "--x", err, sizeof err) == 0);
    CHECK(ta_in(&s, "fd00:10:96::") && ta_in(&s, "fd00:10:96::ffff") && !ta_in(&s, "fd00:10:96::1:0"));
    CHECK(!ta_in(&s, "fd00:10:95:ffff:ffff:ffff:ffff:ffff"));
    CHECK(ta_in(&s, "2001:db8::5") && !ta_in(&s, "2001:db8::4"));
    CHECK(!ta_in(&s, "10.0.0.1"));
    addrpol_set_clear(&s);
    CHECK(s.n == 0 && !ta_in(&s, "fd00:10:96::"));
    CHECK(addrpol_set_add_list(&s, "::/0", "--x", err, sizeof err) == 0);
    CHECK(ta_in(&s, "::") && ta_in(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") && !ta_in(&s, "1.2.3.4"));
    CHECK(addrpol_set_add_list(&s, "0.0.0.0/0", "--x", err, sizeof err) == 0);
    CHECK(ta_in(&s, "0.0.0.0") && ta_in(&s, "255.255.255.255"));
    addrpol_set_free(&s);
}

UNIT_TEST(addrpol_set_list_errors_name_the_item)
{
    addrpol_set s;
    addrpol_set_init(&s);
    char err[300];
    CHECK(addrpol_set_add_list(&s, "10.0.0.0/8,10.0.0.0/40", "--allowed-cidrs", err, sizeof err) != 0);
    CHECK(strstr(err, "--allowed-cidrs") != NULL && strstr(err, "10.0.0.0/40") != NULL);
    CHECK(addrpol_set_add_list(&s, "10.0.0.0/8,", "--allowed-cidrs", err, sizeof err) != 0);
    CHECK(strstr(err, "empty") != NULL);
    addrpol_set_free(&s);
}

UNIT_TEST(addrpol_set_dedups_sorts_and_compares)
{
    addrpol_set a, b;
    addrpol_set_init(&a);
    addrpol_set_init(&b);
    char err[200];
    CHECK(addrpol_set_add_list(&a, "10.0.0.0/8,192.0.2.1,10.1.0.0/8,fd00::/8", "x", err, sizeof err) == 0);
    CHECK(a.n == 3);
    addrpol_cidr many[3] = {ta_cidr("fd00::/8"), ta_cidr("192.0.2.1"), ta_cidr("10.0.0.0/8")};
    CHECK(addrpol_set_add_many(&b, many, 3) == 0);
    CHECK(addrpol_set_equal(&a, &b));
    CHECK(addrpol_set_add_many(&b, many, 3) == 0 && b.n == 3);
    addrpol_cidr extra = ta_cidr("192.0.2.2");
    CHECK(addrpol_set_add(&b, &extra) == 0 && !addrpol_set_equal(&a, &b));
    char text[200];
    addrpol_set_format(&a, text, sizeof text);
    CHECK_STR_EQ(text, "10.0.0.0/8, 192.0.2.1, fd00::/8");
    char tiny[8];
    addrpol_set_format(&a, tiny, sizeof tiny);
    CHECK(strlen(tiny) < sizeof tiny);
    /* Thousands of single addresses: every one found, a neighbour not. */
    addrpol_set_clear(&b);
    addrpol_cidr *hosts = calloc(5000, sizeof *hosts);
    CHECK(hosts != NULL);
    for (int i = 0; hosts != NULL && i < 5000; i++) {
        uint8_t ip[4] = {172, 16, (uint8_t)(i / 250), (uint8_t)(2 * (i % 125))};
        hosts[i] = addrpol_host(4, ip);
    }
    CHECK(hosts != NULL && addrpol_set_add_many(&b, hosts, 5000) == 0);
    CHECK(ta_in(&b, "172.16.0.0") && ta_in(&b, "172.16.19.248") && !ta_in(&b, "172.16.0.1"));
    free(hosts);
    addrpol_set_free(&a);
    addrpol_set_free(&b);
    CHECK(!addrpol_set_contains(NULL, 4, (const uint8_t[4]){10, 0, 0, 1}));
}

UNIT_TEST(addrpol_verdict_order_and_allow_lists)
{
    addrpol_set svc, nodes, api, allow, allow_link;
    addrpol_set *all[] = {&svc, &nodes, &api, &allow, &allow_link};
    for (size_t i = 0; i < 5; i++)
        addrpol_set_init(all[i]);
    char err[200];
    CHECK(addrpol_set_add_list(&svc, "10.96.0.0/16,fd00:96::/112", "s", err, sizeof err) == 0);
    CHECK(addrpol_set_add_list(&nodes, "10.245.0.9,172.18.0.2", "n", err, sizeof err) == 0);
    CHECK(addrpol_set_add_list(&api, "172.18.0.10", "a", err, sizeof err) == 0);
    addrpol p = {.deny = {[ADDRPOL_SERVICE_CIDR] = &svc, [ADDRPOL_NODE] = &nodes, [ADDRPOL_APISERVER] = &api}};
    CHECK(ta_check(&p, "10.96.0.1") == ADDRPOL_SERVICE_CIDR);
    CHECK(ta_check(&p, "fd00:96::1") == ADDRPOL_SERVICE_CIDR);
    CHECK(ta_check(&p, "::ffff:10.96.0.1") == ADDRPOL_SERVICE_CIDR); /* IPv4-mapped is the IPv4 address */
    CHECK(ta_check(&p, "172.18.0.2") == ADDRPOL_NODE);
    CHECK(ta_check(&p, "172.18.0.10") == ADDRPOL_APISERVER);
    CHECK(ta_check(&p, "10.245.0.8") == ADDRPOL_PASS);
    /* Empty allow-lists are no allow-lists. */
    p.allow_global = &allow;
    p.allow_link = &allow_link;
    CHECK(ta_check(&p, "10.246.0.1") == ADDRPOL_PASS);
    CHECK(addrpol_set_add_list(&allow, "10.244.0.0/14", "g", err, sizeof err) == 0);
    CHECK(ta_check(&p, "10.246.0.1") == ADDRPOL_PASS && ta_check(&p, "10.248.0.1") == ADDRPOL_NOT_ALLOWED);
    /* The link's list narrows the global one; it cannot widen it. */
    CHECK(addrpol_set_add_list(&allow_link, "10.245.0.0/16,192.0.2.0/24", "l", err, sizeof err) == 0);
    CHECK(ta_check(&p, "10.245.1.1") == ADDRPOL_PASS);
    CHECK(ta_check(&p, "10.246.0.1") == ADDRPOL_NOT_ALLOWED);
    CHECK(ta_check(&p, "192.0.2.1") == ADDRPOL_NOT_ALLOWED);
    /* A denied address inside the allow-lists is still denied, for the first reason. */
    CHECK(ta_check(&p, "10.245.0.9") == ADDRPOL_NODE);
    CHECK_STR_EQ(addrpol_reason_label(ADDRPOL_NOT_ALLOWED), "not-allowed");
    CHECK_STR_EQ(addrpol_reason_label(ADDRPOL_SERVICE_CIDR), "service-cidr");
    CHECK_STR_EQ(addrpol_reason_text(ADDRPOL_NODE), "main node address");
    addrpol none = {0};
    CHECK(ta_check(&none, "10.96.0.1") == ADDRPOL_PASS);
    for (size_t i = 0; i < 5; i++)
        addrpol_set_free(all[i]);
}
