/* Unit tests for http_lines: lines split at every byte boundary, CRLF and empty lines,
 * the length bound, a stop from the callback, and the buffer released after a long line. */
#include "net/http_lines.h"
#include "unit.h"

#include <stdlib.h>

typedef struct {
    char got[512];
    size_t got_len;
    int lines;
    int stop_after; /* 0: never */
} lines_seen;

static int lines_collect(void *arg, const char *line, size_t len)
{
    lines_seen *s = arg;
    if (s->got_len + len + 1 < sizeof s->got) {
        memcpy(s->got + s->got_len, line, len);
        s->got_len += len;
        s->got[s->got_len++] = '|';
        s->got[s->got_len] = '\0';
    }
    s->lines++;
    return s->stop_after != 0 && s->lines >= s->stop_after;
}

UNIT_TEST(http_lines_every_split_point)
{
    const char *body = "{\"a\":1}\r\n\n{\"b\":22}\n{\"c\":333}";
    size_t n = strlen(body);
    for (size_t cut = 0; cut <= n; cut++) {
        http_lines s;
        http_lines_init(&s, 64, 16);
        lines_seen seen = {0};
        CHECK(http_lines_feed(&s, body, cut, lines_collect, &seen) == HTTP_LINES_OK);
        CHECK(http_lines_feed(&s, body + cut, n - cut, lines_collect, &seen) == HTTP_LINES_OK);
        CHECK(http_lines_finish(&s, lines_collect, &seen) == HTTP_LINES_OK);
        CHECK_STR_EQ(seen.got, "{\"a\":1}|{\"b\":22}|{\"c\":333}|");
        http_lines_free(&s);
    }
}

UNIT_TEST(http_lines_byte_at_a_time)
{
    const char *body = "one\ntwo\r\nthree\n";
    http_lines s;
    http_lines_init(&s, 64, 16);
    lines_seen seen = {0};
    for (size_t i = 0; body[i] != '\0'; i++)
        CHECK(http_lines_feed(&s, body + i, 1, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(http_lines_finish(&s, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK_STR_EQ(seen.got, "one|two|three|");
    CHECK(seen.lines == 3);
    http_lines_free(&s);
}

UNIT_TEST(http_lines_bound_is_exact)
{
    char line[34];
    memset(line, 'x', 32);
    line[32] = '\n';
    line[33] = '\0';
    http_lines s;
    http_lines_init(&s, 32, 8);
    lines_seen seen = {0};
    /* 32 bytes is allowed, whole or in pieces; 33 is not, whole or in pieces. */
    CHECK(http_lines_feed(&s, line, 33, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(http_lines_feed(&s, line, 10, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(http_lines_feed(&s, line + 10, 23, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(seen.lines == 2);
    CHECK(http_lines_feed(&s, "y", 1, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(http_lines_feed(&s, line, 32, lines_collect, &seen) == HTTP_LINES_TOO_LONG);
    http_lines_reset(&s);
    CHECK(http_lines_feed(&s, "y", 1, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(http_lines_feed(&s, line, 33, lines_collect, &seen) == HTTP_LINES_TOO_LONG);
    http_lines_reset(&s);
    char long_whole[40];
    memset(long_whole, 'z', 33);
    long_whole[33] = '\n';
    CHECK(http_lines_feed(&s, long_whole, 34, lines_collect, &seen) == HTTP_LINES_TOO_LONG);
    CHECK(seen.lines == 2);
    http_lines_free(&s);
}

UNIT_TEST(http_lines_stop_leaves_the_rest)
{
    http_lines s;
    http_lines_init(&s, 64, 16);
    lines_seen seen = {.stop_after = 2};
    CHECK(http_lines_feed(&s, "a\nb\nc\n", 6, lines_collect, &seen) == HTTP_LINES_STOPPED);
    CHECK_STR_EQ(seen.got, "a|b|");
    http_lines_free(&s);
}

UNIT_TEST(http_lines_long_line_buffer_released)
{
    char big[200];
    memset(big, 'q', sizeof big);
    http_lines s;
    http_lines_init(&s, 1024, 64);
    lines_seen seen = {0};
    CHECK(http_lines_feed(&s, big, sizeof big, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(s.cap >= sizeof big && s.buf != NULL);
    CHECK(http_lines_feed(&s, "\nsmall", 6, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(seen.lines == 1);
    CHECK(s.len == 5 && s.cap <= 4096);
    CHECK(http_lines_finish(&s, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(seen.lines == 2);
    CHECK(http_lines_finish(&s, lines_collect, &seen) == HTTP_LINES_OK);
    CHECK(seen.lines == 2);
    http_lines_free(&s);
}
