/* Unit tests for backoff: doubling to the cap, jitter bounds, Retry-After, and reset. */
#include "base/backoff.h"
#include "unit.h"

UNIT_TEST(backoff_doubles_to_cap_with_bounded_jitter)
{
    backoff b;
    backoff_init(&b, 500, 30000, 42);
    uint32_t step = 500;
    for (int i = 0; i < 20; i++) {
        uint32_t d = backoff_next(&b, -1);
        CHECK(d >= step - step / 5 && d <= step + step / 5);
        step = step * 2 > 30000 ? 30000 : step * 2;
    }
    CHECK(b.next_ms == 30000);
}

UNIT_TEST(backoff_jitter_spreads)
{
    backoff b;
    backoff_init(&b, 10000, 10000, 7);
    uint32_t lo = UINT32_MAX, hi = 0;
    for (int i = 0; i < 200; i++) {
        uint32_t d = backoff_next(&b, -1);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    CHECK(lo >= 8000 && hi <= 12000);
    CHECK(hi - lo > 2000); /* it really varies */
}

UNIT_TEST(backoff_retry_after_wins_when_believable)
{
    backoff b;
    backoff_init(&b, 500, 30000, 1);
    CHECK(backoff_next(&b, 7) == 7000);
    CHECK(b.next_ms == 1000); /* the step still advanced */
    uint32_t d = backoff_next(&b, 100000); /* not believable: computed delay instead */
    CHECK(d >= 800 && d <= 1200);
    d = backoff_next(&b, 0);
    CHECK(d >= 1600 && d <= 2400);
}

UNIT_TEST(backoff_reset_and_degenerate_init)
{
    backoff b;
    backoff_init(&b, 500, 30000, 3);
    backoff_next(&b, -1);
    backoff_next(&b, -1);
    backoff_reset(&b);
    CHECK(b.next_ms == 500);
    backoff_init(&b, 0, 0, 0);
    CHECK(b.base_ms == 1 && b.max_ms == 1 && b.seed != 0);
    CHECK(backoff_next(&b, -1) == 1);
    CHECK(backoff_rand(&b, 0) == 0);
}
