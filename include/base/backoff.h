/* backoff: capped exponential retry delays with jitter, honouring a server's Retry-After;
 * pure arithmetic, shared by everything in svclink that retries. */
#ifndef SVCLINK_BASE_BACKOFF_H
#define SVCLINK_BASE_BACKOFF_H

#include <stdint.h>

/* Plain data; the caller owns it (usually inside a bigger struct). */
typedef struct {
    uint32_t base_ms; /* first delay */
    uint32_t max_ms;  /* no delay exceeds this (before jitter) */
    uint32_t next_ms; /* the delay the next failure waits, before jitter */
    uint32_t seed;    /* xorshift state for the jitter; never 0 */
} backoff;

/* A Retry-After beyond this is not believed: a broken server must not park us for hours. */
#define BACKOFF_MAX_RETRY_AFTER_S 600

void backoff_init(backoff *b, uint32_t base_ms, uint32_t max_ms, uint32_t seed);
/* The delay to wait after one more failure: the current step with +-20 % jitter (so many
 * clients that failed together do not retry together), or retry_after_s seconds when the
 * server asked for 1 to BACKOFF_MAX_RETRY_AFTER_S of them. Doubles the step up to max. */
uint32_t backoff_next(backoff *b, int64_t retry_after_s);
/* After a success: the next failure starts again from base. */
void backoff_reset(backoff *b);
/* A jitter source for callers that spread other periodic work: uniform in [0, n). */
uint32_t backoff_rand(backoff *b, uint32_t n);

#endif
