/* Unit tests for http_buf: growth keeps the bytes and the NUL, an impossible size is refused
 * with the buffer unchanged, reset keeps the memory and free may be repeated. */
#include "net/http_buf.h"
#include "unit.h"

#include <stdint.h>

UNIT_TEST(http_buf_growth)
{
    http_buf b;
    http_buf_init(&b);
    char block[1000];
    memset(block, 'q', sizeof block);
    for (int i = 0; i < 100; i++)
        CHECK(http_buf_append(&b, block, sizeof block) == 0);
    CHECK(b.len == 100000 && b.cap > b.len && b.data[b.len] == '\0');
    CHECK(b.data[0] == 'q' && b.data[99999] == 'q');
    CHECK(http_buf_append(&b, block, SIZE_MAX - 2) == -1);
    CHECK(b.len == 100000);
    http_buf_reset(&b);
    CHECK(b.len == 0 && b.data[0] == '\0' && b.cap >= 100001);
    http_buf_free(&b);
    http_buf_free(&b);
    CHECK(b.data == NULL && b.cap == 0);
}
