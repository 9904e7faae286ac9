/* Unit tests for lease's pure parts: the acquire/renew/wait decision on the local clock,
 * reading a Lease object, and the bodies written to take, renew and release it. */
#include "controller/lease.h"
#include "unit.h"

#include <stdlib.h>

static lease_record lease_rec(const char *holder, int64_t duration_s)
{
    lease_record r;
    memset(&r, 0, sizeof r);
    r.present = true;
    snprintf(r.holder, sizeof r.holder, "%s", holder);
    r.duration_s = duration_s;
    snprintf(r.resource_version, sizeof r.resource_version, "42");
    snprintf(r.acquire_time, sizeof r.acquire_time, "2026-11-22T00:00:00.000000Z");
    r.transitions = 3;
    return r;
}

UNIT_TEST(lease_decide_follows_client_go_rules)
{
    lease_record none;
    memset(&none, 0, sizeof none);
    CHECK(lease_decide(&none, "me", 0, 1000, 15000) == LEASE_CREATE);
    lease_record mine = lease_rec("me", 15);
    CHECK(lease_decide(&mine, "me", 1000, 1000000, 15000) == LEASE_RENEW);
    lease_record freed = lease_rec("", 1);
    CHECK(lease_decide(&freed, "me", 1000, 1000, 15000) == LEASE_TAKE);
    lease_record theirs = lease_rec("other", 15);
    /* Valid until 15 s after we last saw it change, measured on our clock. */
    CHECK(lease_decide(&theirs, "me", 1000, 15999, 15000) == LEASE_WAIT);
    CHECK(lease_decide(&theirs, "me", 1000, 16000, 15000) == LEASE_TAKE);
    /* The holder's duration counts, not ours. */
    lease_record short_lease = lease_rec("other", 2);
    CHECK(lease_decide(&short_lease, "me", 1000, 3000, 15000) == LEASE_TAKE);
    /* No duration in the record: ours. */
    lease_record no_duration = lease_rec("other", 0);
    CHECK(lease_decide(&no_duration, "me", 1000, 15000, 15000) == LEASE_WAIT);
}

static int lease_parse_text(const char *text, lease_record *rec)
{
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    int rc = json_parse(&doc, text, strlen(text), err, sizeof err) == 0 ? lease_parse(&doc, 0, rec) : -2;
    json_doc_free(&doc);
    return rc;
}

UNIT_TEST(lease_parse_reads_spec_and_tolerates_gaps)
{
    lease_record r;
    CHECK(lease_parse_text("{\"metadata\":{\"name\":\"svclink\",\"resourceVersion\":\"77\"},\"spec\":{"
                           "\"holderIdentity\":\"pod-a_1234\",\"leaseDurationSeconds\":15,"
                           "\"acquireTime\":\"2026-11-22T00:00:00.000000Z\",\"renewTime\":\"2026-11-22T00:00:05.000000Z\","
                           "\"leaseTransitions\":4}}",
                           &r) == 0);
    CHECK(r.present);
    CHECK_STR_EQ(r.holder, "pod-a_1234");
    CHECK_STR_EQ(r.resource_version, "77");
    CHECK_STR_EQ(r.renew_time, "2026-11-22T00:00:05.000000Z");
    CHECK(r.duration_s == 15 && r.transitions == 4);
    CHECK(lease_parse_text("{\"metadata\":{\"resourceVersion\":\"1\"}}", &r) == 0);
    CHECK(r.present && r.holder[0] == '\0' && r.duration_s == 0);
    CHECK(lease_parse_text("{\"spec\":{}}", &r) == -1);
    CHECK(lease_parse_text("[1,2]", &r) == -1);
    /* An over-long holder is cut, never overflowing. */
    char big[600];
    snprintf(big, sizeof big, "{\"metadata\":{},\"spec\":{\"holderIdentity\":\"%0300d\"}}", 0);
    CHECK(lease_parse_text(big, &r) == 0 && strlen(r.holder) < sizeof r.holder);
}

static lease_record lease_body_parsed(const lease_record *prev, const char *identity)
{
    lease_config cfg = {.ns = "cloudpilot", .name = "svclink", .identity = "me", .duration_ms = 14500,
                        .renew_deadline_ms = 10000, .retry_ms = 2000};
    size_t len = 0;
    char *body = lease_body(&cfg, prev, identity, "2026-11-22T01:02:03.000004Z", &len);
    lease_record out;
    memset(&out, 0, sizeof out);
    CHECK(body != NULL && len == strlen(body));
    if (body != NULL) {
        CHECK(strstr(body, "\"namespace\":\"cloudpilot\"") != NULL);
        CHECK(strstr(body, "\"kind\":\"Lease\"") != NULL);
        CHECK(lease_parse_text(body, &out) == 0);
    }
    free(body);
    return out;
}

UNIT_TEST(lease_body_take_renew_release)
{
    lease_record none;
    memset(&none, 0, sizeof none);
    lease_record created = lease_body_parsed(&none, "me");
    CHECK_STR_EQ(created.holder, "me");
    CHECK(created.transitions == 0 && created.duration_s == 15); /* rounded up */
    CHECK(created.resource_version[0] == '\0');
    CHECK_STR_EQ(created.acquire_time, "2026-11-22T01:02:03.000004Z");

    lease_record theirs = lease_rec("other", 15);
    lease_record taken = lease_body_parsed(&theirs, "me");
    CHECK_STR_EQ(taken.holder, "me");
    CHECK(taken.transitions == 4);
    CHECK_STR_EQ(taken.resource_version, "42"); /* compare-and-swap on what we saw */
    CHECK_STR_EQ(taken.acquire_time, "2026-11-22T01:02:03.000004Z");

    lease_record mine = lease_rec("me", 15);
    lease_record renewed = lease_body_parsed(&mine, "me");
    CHECK(renewed.transitions == 3);
    CHECK_STR_EQ(renewed.acquire_time, "2026-11-22T00:00:00.000000Z");
    CHECK_STR_EQ(renewed.renew_time, "2026-11-22T01:02:03.000004Z");

    lease_record released = lease_body_parsed(&mine, "");
    CHECK_STR_EQ(released.holder, "");
    CHECK(released.duration_s == 1 && released.transitions == 3);
}
