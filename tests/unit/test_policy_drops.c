/* Unit tests for policy_drops: only new drops are counted, repeats and other links' drops are
 * not, and the status note names the first few addresses with a count of the rest. */
#include "reconcile/policy_drops.h"
#include "unit.h"

static plan_drop td_drop(const char *link, uint8_t a, uint8_t b, uint8_t c, uint8_t d, addrpol_reason r)
{
    plan_drop x;
    memset(&x, 0, sizeof x);
    x.link = link;
    x.family = 4;
    x.reason = (uint8_t)r;
    x.addr[0] = a;
    x.addr[1] = b;
    x.addr[2] = c;
    x.addr[3] = d;
    return x;
}

UNIT_TEST(a7_policy_drops_counts_each_drop_once)
{
    policy_drops d;
    policy_drops_init(&d);
    uint64_t fresh[ADDRPOL_REASONS] = {0};
    plan_drop v[] = {td_drop("a", 10, 96, 0, 1, ADDRPOL_SERVICE_CIDR), td_drop("b", 10, 9, 9, 9, ADDRPOL_NODE),
                     td_drop("a", 10, 246, 0, 7, ADDRPOL_NOT_ALLOWED),
                     td_drop("a", 10, 96, 0, 1, ADDRPOL_SERVICE_CIDR) /* in two remote slices */};
    CHECK(policy_drops_record(&d, "demo/web", "a", v, 4, fresh) == 1);
    CHECK(fresh[ADDRPOL_SERVICE_CIDR] == 1 && fresh[ADDRPOL_NOT_ALLOWED] == 1 && fresh[ADDRPOL_NODE] == 0);
    CHECK(d.total == 2);
    /* The same plan again (a resync) changes and counts nothing. */
    memset(fresh, 0, sizeof fresh);
    CHECK(policy_drops_record(&d, "demo/web", "a", v, 4, fresh) == 0);
    CHECK(fresh[ADDRPOL_SERVICE_CIDR] == 0 && fresh[ADDRPOL_NOT_ALLOWED] == 0);
    /* One goes, one comes: only the newcomer counts. */
    plan_drop w[] = {td_drop("a", 10, 96, 0, 1, ADDRPOL_SERVICE_CIDR), td_drop("a", 10, 96, 0, 2, ADDRPOL_SERVICE_CIDR)};
    CHECK(policy_drops_record(&d, "demo/web", "a", w, 2, fresh) == 1);
    CHECK(fresh[ADDRPOL_SERVICE_CIDR] == 1 && fresh[ADDRPOL_NOT_ALLOWED] == 0 && d.total == 2);
    /* Another Service adds to the total; nothing dropped any more empties it. */
    memset(fresh, 0, sizeof fresh);
    CHECK(policy_drops_record(&d, "demo/api", "a", v, 1, fresh) == 1 && d.total == 3 && fresh[ADDRPOL_SERVICE_CIDR] == 1);
    CHECK(policy_drops_record(&d, "demo/web", "a", NULL, 0, fresh) == 1 && d.total == 1);
    CHECK(policy_drops_record(&d, "demo/web", "a", NULL, 0, fresh) == 0);
    CHECK(policy_drops_record(&d, "demo/api", "a", v + 1, 1, fresh) == 1 && d.total == 0); /* only link b's */
    char note[300];
    policy_drops_format(&d, note, sizeof note);
    CHECK_STR_EQ(note, "");
    policy_drops_free(&d);
}

UNIT_TEST(a7_policy_drops_names_the_first_few)
{
    policy_drops d;
    policy_drops_init(&d);
    uint64_t fresh[ADDRPOL_REASONS] = {0};
    plan_drop v[] = {td_drop("a", 10, 96, 0, 1, ADDRPOL_SERVICE_CIDR), td_drop("a", 10, 246, 0, 7, ADDRPOL_NOT_ALLOWED),
                     td_drop("a", 172, 18, 0, 2, ADDRPOL_NODE), td_drop("a", 10, 0, 0, 5, ADDRPOL_APISERVER)};
    CHECK(policy_drops_record(&d, "demo/web", "a", v, 1, fresh) == 1);
    char note[400];
    policy_drops_format(&d, note, sizeof note);
    CHECK_STR_EQ(note, "address policy dropped 1 endpoint: 10.96.0.1 in demo/web (main Service CIDR)");
    CHECK(policy_drops_record(&d, "demo/web", "a", v, 4, fresh) == 1);
    CHECK(policy_drops_record(&d, "apps/db", "a", v + 2, 1, fresh) == 1);
    policy_drops_format(&d, note, sizeof note);
    CHECK_STR_EQ(note, "address policy dropped 5 endpoints: 172.18.0.2 in apps/db (main node address), 10.0.0.5 in "
                       "demo/web (main API server), 10.96.0.1 in demo/web (main Service CIDR) and 2 more");
    /* Cut to the buffer, still a C string. */
    char small[40];
    policy_drops_format(&d, small, sizeof small);
    CHECK(strlen(small) == sizeof small - 1 && strncmp(small, "address policy dropped 5", 24) == 0);
    policy_drops_format(&d, small, 0);
    policy_drops_free(&d);
}
