/* backoff: the retry policy in one place. Jitter is +-20 % of the step; the step doubles
 * per failure and is capped; a believable Retry-After replaces the computed delay. */
#include "base/backoff.h"

void backoff_init(backoff *b, uint32_t base_ms, uint32_t max_ms, uint32_t seed)
{
    b->base_ms = base_ms ? base_ms : 1;
    b->max_ms = max_ms < b->base_ms ? b->base_ms : max_ms;
    b->next_ms = b->base_ms;
    b->seed = seed ? seed : 0x9e3779b9u;
}

uint32_t backoff_rand(backoff *b, uint32_t n)
{
    uint32_t x = b->seed;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b->seed = x;
    return n ? x % n : 0;
}

uint32_t backoff_next(backoff *b, int64_t retry_after_s)
{
    uint32_t step = b->next_ms;
    b->next_ms = step > b->max_ms / 2 ? b->max_ms : step * 2;
    if (retry_after_s > 0 && retry_after_s <= BACKOFF_MAX_RETRY_AFTER_S)
        return (uint32_t)retry_after_s * 1000u;
    uint32_t spread = step / 5;
    return step - spread + backoff_rand(b, spread * 2 + 1);
}

void backoff_reset(backoff *b)
{
    b->next_ms = b->base_ms;
}
