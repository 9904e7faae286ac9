/* Unit tests for intern: one copy per distinct string, references counted to the last, long
 * strings refused, and packed IPv6 endpoints reading back through slice_data_ep. */
#include "cache/intern.h"
#include "cache/slice.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

UNIT_TEST(intern_shares_one_copy_and_frees_with_the_last_reference)
{
    size_t before = intern_count();
    const char *a = intern_get("http", 4);
    const char *b = intern_get("https", 4); /* the same four bytes */
    const char *c = intern_get("grpc", 4);
    CHECK(a != NULL && a == b && c != NULL && c != a);
    CHECK_STR_EQ(a, "http");
    CHECK(intern_count() == before + 2);
    intern_put(b);
    CHECK(intern_count() == before + 2 && strcmp(a, "http") == 0); /* a still holds it */
    intern_put(a);
    intern_put(c);
    CHECK(intern_count() == before);
    intern_put(NULL);
}

UNIT_TEST(intern_refuses_strings_over_its_limit)
{
    static char big[INTERN_MAX + 2];
    memset(big, 'x', sizeof big - 1);
    CHECK(intern_get(big, INTERN_MAX + 1) == NULL);
    const char *fits = intern_get(big, INTERN_MAX);
    CHECK(fits != NULL && strlen(fits) == INTERN_MAX);
    intern_put(fits);
}

UNIT_TEST(intern_survives_growth_of_its_table)
{
    static const char *held[1000];
    char s[16];
    size_t before = intern_count();
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(s, sizeof s, "p%d", i);
        held[i] = intern_get(s, (size_t)n);
    }
    CHECK(intern_count() == before + 1000);
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        int n = snprintf(s, sizeof s, "p%d", i);
        const char *again = intern_get(s, (size_t)n);
        ok &= again == held[i] && strcmp(again, s) == 0;
        intern_put(again);
    }
    CHECK(ok);
    for (int i = 0; i < 1000; i++)
        intern_put(held[i]);
    CHECK(intern_count() == before);
}

UNIT_TEST(slice_packs_ipv6_endpoints_and_hostnames_past_a_dropped_one)
{
    static const char text[] =
        "{\"addressType\":\"IPv6\",\"ports\":[{\"name\":\"http\",\"port\":80}],\"endpoints\":["
        "{\"addresses\":[\"fd00::1\"],\"hostname\":\"a\"},{\"addresses\":[\"::1\"],\"hostname\":\"lo\"},"
        "{\"addresses\":[\"fd00::2\"],\"conditions\":{\"ready\":true}},"
        "{\"addresses\":[\"fd00::3\"],\"hostname\":\"c\"}]}";
    json_doc doc;
    char err[128];
    json_doc_init(&doc);
    CHECK(json_parse(&doc, text, strlen(text), err, sizeof err) == 0);
    slice_data d;
    CHECK(slice_parse(&doc, 0, &d, err, sizeof err) == 0);
    CHECK(d.neps == 3 && d.dropped == 1 && slice_ep_size(d.addr_type) == 17);
    if (d.neps == 3) {
        slice_ep e0 = slice_data_ep(&d, 0), e1 = slice_data_ep(&d, 1), e2 = slice_data_ep(&d, 2);
        CHECK(e0.addr[0] == 0xfd && e0.addr[15] == 1 && e0.hostname != NULL && strcmp(e0.hostname, "a") == 0);
        CHECK(e1.addr[15] == 2 && e1.hostname == NULL && e1.cond == (SLICE_READY_SET | SLICE_READY));
        CHECK(e2.addr[15] == 3 && e2.hostname != NULL && strcmp(e2.hostname, "c") == 0);
    }
    slice_data_free(&d);
    json_doc_free(&doc);
}
