/* Unit tests for http_response and http_body: every response is fed whole, byte by byte, in every
 * two-piece split and in pseudo-random pieces, and must give the same transcript each time. */
#include "net/http_body.h"
#include "net/http_buf.h"
#include "net/http_response.h"
#include "unit.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

/* ---- a miniature connection: feeds pieces, parses heads, decodes bodies ------------- */

typedef struct {
    const char *method;
    uint64_t body_max;
    const http_limits *lim;
} run_opts;

typedef struct {
    const run_opts *o;
    http_buf log;  /* the transcript compared across splits */
    http_buf body; /* body of the current response */
    http_response r;
    http_body b;
    int state; /* 0 head, 1 body, 2 stopped by an error */
    char *conn;
    size_t conn_len;
} run_ctx;

__attribute__((format(printf, 2, 3))) static void run_log(run_ctx *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof line - 1)
        n = (int)sizeof line - 1;
    CHECK(http_buf_append(&c->log, line, (size_t)n) == 0);
}

static void run_drop(run_ctx *c, size_t n)
{
    memmove(c->conn, c->conn + n, c->conn_len - n);
    c->conn_len -= n;
}

static void run_log_head(run_ctx *c, const http_response *r)
{
    char cl[32] = "-";
    if (r->has_content_length)
        snprintf(cl, sizeof cl, "%" PRIu64, r->content_length);
    run_log(c, "H %d 1.%d [%s] ct=[%s] cl=%s te=%d close=%d ra=%" PRId64 "\n", r->status,
            r->minor_version, r->reason, r->content_type, cl, r->chunked, r->close,
            r->retry_after);
}

static void run_log_body(run_ctx *c)
{
    run_log(c, "B %zu [", c->body.len);
    CHECK(http_buf_append(&c->log, c->body.data ? c->body.data : "", c->body.len) == 0);
    run_log(c, "]\n");
    http_buf_reset(&c->body);
}

/* Parses the head from an exactly-sized copy of the connection buffer, so that ASan
 * catches any read past what has arrived. */
static int run_parse_head(run_ctx *c)
{
    char *exact = malloc(c->conn_len ? c->conn_len : 1);
    memcpy(exact, c->conn, c->conn_len);
    int rc = http_response_parse_head(&c->r, exact, c->conn_len, c->o->lim);
    free(exact);
    return rc;
}

static http_body_status run_decode(run_ctx *c, size_t *used, size_t *out)
{
    char *exact = malloc(c->conn_len ? c->conn_len : 1);
    memcpy(exact, c->conn, c->conn_len);
    http_body_status st = http_body_decode(&c->b, exact, c->conn_len, used, out);
    CHECK(*out <= *used && *used <= c->conn_len);
    memcpy(c->conn, exact, c->conn_len);
    free(exact);
    return st;
}

static void run_step(run_ctx *c)
{
    while (c->state != 2) {
        if (c->state == 0) {
            if (c->conn_len == 0)
                return;
            int rc = run_parse_head(c);
            if (rc == -2)
                return;
            if (rc == -1) {
                run_log(c, "E head: %s\n", c->r.error);
                c->state = 2;
                return;
            }
            CHECK(rc > 0 && (size_t)rc <= c->conn_len);
            run_log_head(c, &c->r);
            run_drop(c, (size_t)rc);
            if (http_body_init(&c->b, &c->r, c->o->method, c->o->body_max) < 0) {
                run_log(c, "E init: %s\n", c->b.error);
                c->state = 2;
                return;
            }
            c->state = 1;
            continue;
        }
        size_t used = 0, out = 0;
        size_t in = c->conn_len;
        http_body_status st = run_decode(c, &used, &out);
        CHECK(http_buf_append(&c->body, c->conn, out) == 0);
        run_drop(c, used);
        if (st == HTTP_BODY_ERROR) {
            run_log(c, "E body: %s\n", c->b.error);
            c->state = 2;
            return;
        }
        if (st == HTTP_BODY_DONE) {
            run_log_body(c);
            http_response_init(&c->r);
            c->state = 0;
            continue;
        }
        CHECK(st == HTTP_BODY_MORE && used == in);
        return;
    }
}

static void run_end(run_ctx *c)
{
    if (c->state == 1) {
        if (http_body_eof(&c->b)) {
            run_log_body(c);
            run_log(c, "EOF\n");
        } else {
            run_log(c, "E eof: %s\n", c->b.error);
        }
    } else if (c->state == 0) {
        run_log(c, c->conn_len == 0 ? "EOF\n" : "E eof: truncated head\n");
    }
}

/* Feeds in[0..len) in pieces of the given sizes (the last piece takes the rest) and
 * returns the transcript (caller frees). */
static char *run_pieces(const char *in, size_t len, const size_t *sizes, size_t nsizes,
                        const run_opts *o)
{
    run_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    http_buf_init(&c.log);
    http_buf_init(&c.body);
    http_response_init(&c.r);
    c.conn = malloc(len + 1);
    size_t at = 0;
    for (size_t i = 0; at < len; i++) {
        size_t n = i < nsizes ? sizes[i] : len - at;
        if (n > len - at)
            n = len - at;
        memcpy(c.conn + c.conn_len, in + at, n);
        c.conn_len += n;
        at += n;
        run_step(&c);
    }
    run_end(&c);
    free(c.conn);
    http_buf_free(&c.body);
    CHECK(http_buf_append(&c.log, "", 0) == 0);
    return c.log.data;
}

static const run_opts run_default = {"GET", HTTP_BODY_MAX_DEFAULT, NULL};

/* Runs whole, byte by byte, in two pieces at every offset (or a sample of offsets for
 * big inputs) and in 50 pseudo-random splits; returns the whole-input transcript after
 * checking that every other one is identical. */
static char *run_all(const char *in, size_t len, const run_opts *o)
{
    char *ref = run_pieces(in, len, NULL, 0, o);
    size_t *sizes = malloc((len + 1) * sizeof *sizes);
    bool small = len <= 20000;
    if (small) {
        for (size_t i = 0; i < len; i++)
            sizes[i] = 1;
        char *t = run_pieces(in, len, sizes, len, o);
        if (strcmp(t, ref) != 0)
            fprintf(stderr, "byte-by-byte differs:\n%s\nvs whole:\n%s\n", t, ref);
        CHECK(strcmp(t, ref) == 0);
        free(t);
    }
    size_t step = small ? 1 : len / 97 + 1;
    for (size_t k = 0; k <= len; k += step) {
        sizes[0] = k;
        char *t = run_pieces(in, len, sizes, 1, o);
        if (strcmp(t, ref) != 0)
            fprintf(stderr, "split at %zu differs:\n%s\nvs whole:\n%s\n", k, t, ref);
        CHECK(strcmp(t, ref) == 0);
        free(t);
    }
    uint32_t seed = 12345;
    for (int round = 0; round < 50; round++) {
        size_t n = 0;
        size_t maxpiece = small ? 17 : 4099;
        for (size_t total = 0; total < len; n++) {
            seed = seed * 1103515245u + 12345u;
            sizes[n] = (seed >> 16) % maxpiece + (round % 3 == 0 ? 0 : 1);
            total += sizes[n];
        }
        char *t = run_pieces(in, len, sizes, n, o);
        if (strcmp(t, ref) != 0)
            fprintf(stderr, "random split %d differs:\n%s\nvs whole:\n%s\n", round, t, ref);
        CHECK(strcmp(t, ref) == 0);
        free(t);
    }
    free(sizes);
    return ref;
}

/* run_all on a string, checking the transcript against what is expected. */
static void expect_transcript(const char *in, const run_opts *o, const char *want)
{
    char *got = run_all(in, strlen(in), o);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "transcript:\n%s\nexpected:\n%s\n", got, want);
    CHECK_STR_EQ(got, want);
    free(got);
}

/* run_all on a string, checking that the transcript contains want. */
static void expect_contains(const char *in, size_t len, const run_opts *o, const char *want)
{
    char *got = run_all(in, len, o);
    if (strstr(got, want) == NULL)
        fprintf(stderr, "transcript:\n%s\nlacks: %s\n", got, want);
    CHECK(strstr(got, want) != NULL);
    free(got);
}

static void expect_error(const char *in, const char *want)
{
    expect_contains(in, strlen(in), &run_default, want);
}

/* ---- good responses --------------------------------------------------------------- */

UNIT_TEST(http_content_length_200)
{
    expect_transcript("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      "content-LENGTH:   12  \r\nAudit-Id: 1f2e\r\n\r\n{\"kind\":\"X\"}",
                      &run_default,
                      "H 200 1.1 [OK] ct=[application/json] cl=12 te=0 close=0 ra=-1\n"
                      "B 12 [{\"kind\":\"X\"}]\nEOF\n");
}

/* Appends one chunk: its size in hex (zero-padded to width, upper or lower case), the
 * extension text, the data. */
static void put_chunk(http_buf *b, const char *data, int width, bool upper, const char *ext)
{
    char line[64];
    if (upper)
        snprintf(line, sizeof line, "%0*zX", width, strlen(data));
    else
        snprintf(line, sizeof line, "%0*zx", width, strlen(data));
    CHECK(http_buf_append(b, line, strlen(line)) == 0);
    CHECK(http_buf_append(b, ext, strlen(ext)) == 0);
    CHECK(http_buf_append(b, "\r\n", 2) == 0);
    CHECK(http_buf_append(b, data, strlen(data)) == 0);
    CHECK(http_buf_append(b, "\r\n", 2) == 0);
}

UNIT_TEST(http_chunked_watch_stream)
{
    const char *lines = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
                        "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}\n"
                        "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n";
    /* Chunk boundaries fall inside lines, and one chunk spans a line end. */
    const char *pieces[] = {"{\"type\":\"ADDED\",\"obj",
                            "ect\":{\"metadata\":{\"name\":\"a\"}}}\n{\"type\":\"MOD",
                            "IFIED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}",
                            "\n",
                            "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"9\"}}}\n"};
    const int widths[] = {1, 4, 1, 3, 1};
    const char *exts[] = {"", ";name=value", " ; a=\"quoted;x\" ;b", ";x", ""};
    http_buf in;
    http_buf_init(&in);
    const char *head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    CHECK(http_buf_append(&in, head, strlen(head)) == 0);
    for (size_t i = 0; i < 5; i++)
        put_chunk(&in, pieces[i], widths[i], i == 1, exts[i]);
    const char *tail = "000;last\r\nX-Trailer: done\r\nOther:\r\n\r\n";
    CHECK(http_buf_append(&in, tail, strlen(tail)) == 0);
    char want[1024];
    snprintf(want, sizeof want,
             "H 200 1.1 [OK] ct=[application/json] cl=- te=1 close=0 ra=-1\nB %zu [%s]\nEOF\n",
             strlen(lines), lines);
    char *got = run_all(in.data, in.len, &run_default);
    CHECK_STR_EQ(got, want);
    free(got);
    http_buf_free(&in);
}

UNIT_TEST(http_chunked_literal)
{
    expect_transcript("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
                      "5\r\nhello\r\n00000000000000000000006\r\n world\r\n0\r\n\r\n",
                      &run_default,
                      "H 200 1.1 [OK] ct=[] cl=- te=1 close=0 ra=-1\nB 11 [hello world]\nEOF\n");
}

UNIT_TEST(http_gone_410)
{
    expect_transcript(
        "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: 103\r\n\r\n"
        "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource version\","
        "\"reason\":\"Expired\",\"code\":410}",
        &run_default,
        "H 410 1.1 [Gone] ct=[application/json] cl=103 te=0 close=0 ra=-1\n"
        "B 103 [{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource version\","
        "\"reason\":\"Expired\",\"code\":410}]\nEOF\n");
}

UNIT_TEST(http_retry_after)
{
    expect_transcript("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n"
                      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
                      "Content-Length: 2\r\n\r\nno"
                      "HTTP/1.1 429 \r\nRetry-After: 99999999999999999999\r\nContent-Length: 0\r\n\r\n",
                      &run_default,
                      "H 429 1.1 [Too Many Requests] ct=[] cl=0 te=0 close=0 ra=7\nB 0 []\n"
                      "H 503 1.1 [Service Unavailable] ct=[] cl=2 te=0 close=0 ra=-1\nB 2 [no]\n"
                      "H 429 1.1 [] ct=[] cl=0 te=0 close=0 ra=2147483647\nB 0 []\nEOF\n");
}

UNIT_TEST(http_no_body_statuses)
{
    /* 204 and 304 have no body whatever they claim; 1xx are reported and skipped. */
    expect_transcript("HTTP/1.1 100 Continue\r\n\r\n"
                      "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n"
                      "HTTP/1.1 304 Not Modified\r\n\r\n"
                      "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
                      &run_default,
                      "H 100 1.1 [Continue] ct=[] cl=- te=0 close=0 ra=-1\nB 0 []\n"
                      "H 204 1.1 [No Content] ct=[] cl=5 te=0 close=0 ra=-1\nB 0 []\n"
                      "H 304 1.1 [Not Modified] ct=[] cl=- te=0 close=0 ra=-1\nB 0 []\n"
                      "H 200 1.1 [] ct=[] cl=2 te=0 close=0 ra=-1\nB 2 [ok]\nEOF\n");
}

UNIT_TEST(http_head_request_has_no_body)
{
    run_opts head = {"HEAD", HTTP_BODY_MAX_DEFAULT, NULL};
    expect_transcript("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                      &head,
                      "H 200 1.1 [OK] ct=[] cl=5 te=0 close=0 ra=-1\nB 0 []\n"
                      "H 200 1.1 [OK] ct=[] cl=- te=1 close=0 ra=-1\nB 0 []\nEOF\n");
}

UNIT_TEST(http_until_close)
{
    expect_transcript("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it\r\n\r\n",
                      &run_default,
                      "H 200 1.0 [OK] ct=[text/plain] cl=- te=0 close=1 ra=-1\n"
                      "B 13 [all of it\r\n\r\n]\nEOF\n");
    /* HTTP/1.1 without framing is read until close as well. */
    expect_transcript("HTTP/1.1 200 OK\r\n\r\nx", &run_default,
                      "H 200 1.1 [OK] ct=[] cl=- te=0 close=0 ra=-1\nB 1 [x]\nEOF\n");
    http_response r;
    http_response_init(&r);
    const char *h = "HTTP/1.1 200 OK\r\n\r\n";
    CHECK(http_response_parse_head(&r, h, strlen(h), NULL) == (int)strlen(h));
    http_body b;
    CHECK(http_body_init(&b, &r, "GET", 100) == 0);
    CHECK(b.framing == HTTP_FRAMING_CLOSE && b.close_after);
}

UNIT_TEST(http_connection_header)
{
    expect_transcript("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\na"
                      "HTTP/1.1 200 OK\r\nConnection: foo, close\r\nContent-Length: 1\r\n\r\nb",
                      &run_default,
                      "H 200 1.0 [OK] ct=[] cl=1 te=0 close=0 ra=-1\nB 1 [a]\n"
                      "H 200 1.1 [OK] ct=[] cl=1 te=0 close=1 ra=-1\nB 1 [b]\nEOF\n");
}

UNIT_TEST(http_pipelined_keep_alive)
{
    expect_transcript("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\n\r\n"
                      "HTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\ntwo"
                      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
                      &run_default,
                      "H 200 1.1 [OK] ct=[] cl=- te=1 close=0 ra=-1\nB 3 [one]\n"
                      "H 201 1.1 [Created] ct=[] cl=3 te=0 close=0 ra=-1\nB 3 [two]\n"
                      "H 404 1.1 [Not Found] ct=[] cl=0 te=0 close=0 ra=-1\nB 0 []\nEOF\n");
    /* The second head starts exactly at the first call's return value. */
    const char *two = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 202 OK\r\n\r\n";
    http_response r;
    http_response_init(&r);
    int n = http_response_parse_head(&r, two, strlen(two), NULL);
    CHECK(n == 38 && r.status == 200);
    http_response_init(&r);
    CHECK(http_response_parse_head(&r, two + n, strlen(two) - (size_t)n, NULL) == 19 && r.status == 202);
}

UNIT_TEST(http_bare_lf_and_trimming)
{
    expect_transcript("HTTP/1.1 200 OK\nContent-Type:\tapplication/json; charset=utf-8 \t\n"
                      "Content-Length: 2\r\n\nhi",
                      &run_default,
                      "H 200 1.1 [OK] ct=[application/json; charset=utf-8] cl=2 te=0 close=0 ra=-1\n"
                      "B 2 [hi]\nEOF\n");
}

UNIT_TEST(http_te_and_cl_together)
{
    /* Chunked wins over Content-Length, and the confused connection is not reused. */
    expect_transcript("HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "2\r\nok\r\n0\r\n\r\n",
                      &run_default,
                      "H 200 1.1 [OK] ct=[] cl=- te=1 close=1 ra=-1\nB 2 [ok]\nEOF\n");
}

UNIT_TEST(http_copies_are_truncated)
{
    char in[1024];
    char ct[300];
    memset(ct, 'x', sizeof ct - 1);
    ct[sizeof ct - 1] = '\0';
    snprintf(in, sizeof in,
             "HTTP/1.1 200 A very long reason phrase that goes on and on past the field size "
             "\xff\r\nContent-Type: %s\r\nContent-Length: 0\r\n\r\n",
             ct);
    http_response r;
    http_response_init(&r);
    CHECK(http_response_parse_head(&r, in, strlen(in), NULL) == (int)strlen(in));
    CHECK(strlen(r.reason) == HTTP_REASON_MAX - 1);
    CHECK(strncmp(r.reason, "A very long reason", 18) == 0);
    CHECK(strlen(r.content_type) == HTTP_CONTENT_TYPE_MAX - 1);
    http_response_init(&r);
    const char *hi = "HTTP/1.1 200 caf\xc3\xa9\r\n\r\n";
    CHECK(http_response_parse_head(&r, hi, strlen(hi), NULL) > 0);
    CHECK_STR_EQ(r.reason, "caf??");
}

UNIT_TEST(http_duplicate_equal_content_length)
{
    expect_transcript("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 002\r\n\r\nok",
                      &run_default,
                      "H 200 1.1 [OK] ct=[] cl=2 te=0 close=0 ra=-1\nB 2 [ok]\nEOF\n");
}

/* ---- malformed heads ----------------------------------------------------------------- */

UNIT_TEST(http_bad_status_lines)
{
    expect_error("HTTP/1.1 OK\r\n\r\n", "line 1: invalid status line");
    expect_error("HTTX/1.1 200 OK\r\n\r\n", "line 1: invalid status line");
    expect_error("HTTP/1.1  200 OK\r\n\r\n", "line 1: invalid status line");
    expect_error("HTTP/1.1 200OK\r\n\r\n", "no space after status code");
    expect_error("HTTP/2.0 200 OK\r\n\r\n", "unsupported HTTP version 2.0");
    expect_error("HTTP/1.1 99 Low\r\n\r\n", "line 1: invalid status line");
    expect_error("HTTP/1.1 099 Low\r\n\r\n", "status code 99 out of range 100-599");
    expect_error("HTTP/1.1 600 High\r\n\r\n", "status code 600 out of range 100-599");
    expect_error("\r\nHTTP/1.1 200 OK\r\n\r\n", "line 1: empty status line");
    expect_error("HTTP/1.1 200 O\x01K\r\n\r\n", "control byte 0x01 in reason phrase at column 15");
    expect_error("HTTP/1.1 200 OK\rX: y\r\n\r\n", "control byte 0x0d in reason phrase");
    expect_error("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
                 "unexpected 101 Switching Protocols");
    expect_error("HTTP/1.1 200 OK\r\n", "E eof: truncated head");
    expect_error("", "EOF");
}

UNIT_TEST(http_bad_header_lines)
{
    expect_error("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "line 3: obsolete line folding");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\n", "line 2: invalid header name");
    expect_error("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "line 2: invalid header name");
    expect_error("HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", "line 2: invalid header name");
    expect_error("HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", "line 2: control byte 0x0d in header value");
    expect_error("HTTP/1.1 200 OK\r\nX: a\x7f\r\n\r\n", "control byte 0x7f in header value");
    expect_contains("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, &run_default,
                    "line 2: control byte 0x00 in header value at column 5");
}

UNIT_TEST(http_bad_content_length)
{
    const char *bad[] = {"12a", "-1", "+5", "1 2", "0x10", "1,1", "", "18446744073709551616"};
    const char *why[] = {"invalid Content-Length", "invalid Content-Length",
                         "invalid Content-Length", "invalid Content-Length",
                         "invalid Content-Length", "invalid Content-Length",
                         "empty Content-Length", "Content-Length overflows 64 bits"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char in[128];
        snprintf(in, sizeof in, "HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\n", bad[i]);
        expect_error(in, why[i]);
    }
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
                 "line 3: conflicting Content-Length values 5 and 6");
    /* The largest value parses; the body limit then refuses it. */
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n",
                 "E init: Content-Length 18446744073709551615 exceeds the body limit of 67108864");
}

UNIT_TEST(http_bad_transfer_encoding)
{
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                 "line 2: unsupported Transfer-Encoding \"gzip\" (only chunked)");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                 "unsupported Transfer-Encoding \"gzip\"");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                 "line 3: Transfer-Encoding chunked given twice");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\n", "unsupported");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding:  \r\n\r\n", "line 2: empty Transfer-Encoding");
    expect_error("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                 "Transfer-Encoding in an HTTP/1.0 response");
}

/* A head of count headers each of value_len bytes. */
static char *make_head(size_t count, size_t value_len, size_t *len)
{
    http_buf b;
    http_buf_init(&b);
    const char *status = "HTTP/1.1 200 OK\r\n";
    CHECK(http_buf_append(&b, status, strlen(status)) == 0);
    char *value = malloc(value_len + 1);
    memset(value, 'v', value_len);
    value[value_len] = '\0';
    for (size_t i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "X-H%zu: ", i);
        CHECK(http_buf_append(&b, name, strlen(name)) == 0);
        CHECK(http_buf_append(&b, value, value_len) == 0);
        CHECK(http_buf_append(&b, "\r\n", 2) == 0);
    }
    CHECK(http_buf_append(&b, "Content-Length: 0\r\n\r\n", 21) == 0);
    free(value);
    *len = b.len;
    return b.data;
}

UNIT_TEST(http_head_limits)
{
    size_t len;
    char *in = make_head(1, 9000, &len);
    expect_contains(in, len, &run_default, "E head: header line 2 longer than 8192 bytes");
    free(in);
    in = make_head(1, 8192 - 6, &len); /* "X-H0: " + value is exactly the limit */
    expect_contains(in, len, &run_default, "H 200 1.1");
    free(in);
    in = make_head(1, 8192 - 5, &len);
    expect_contains(in, len, &run_default, "E head: header line 2 longer than 8192 bytes");
    free(in);
    in = make_head(128, 4, &len); /* 128 + Content-Length = 129 */
    expect_contains(in, len, &run_default, "E head: line 130: more than 128 header fields");
    free(in);
    in = make_head(127, 4, &len);
    expect_contains(in, len, &run_default, "H 200 1.1");
    free(in);
    in = make_head(20, 4000, &len);
    expect_contains(in, len, &run_default, "E head: response head larger than 65536 bytes");
    free(in);
    char status[9000] = "HTTP/1.1 200 ";
    memset(status + 13, 'r', sizeof status - 14);
    status[sizeof status - 1] = '\0';
    expect_error(status, "E head: status line longer than 8192 bytes");

    /* Tighter limits through http_limits. */
    http_limits tight = http_response_limits_default();
    tight.head_max = 40;
    run_opts o = {"GET", 100, &tight};
    const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"; /* head is 38 bytes */
    expect_contains(h, strlen(h), &o, "B 1 [x]");
    const char *h2 = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"; /* head is 39 bytes */
    expect_contains(h2, strlen(h2), &o, "H 200");
    const char *h3 = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"; /* 41 */
    expect_contains(h3, strlen(h3), &o, "E head: response head larger than 40 bytes");
    tight.head_max = 0;
    expect_contains(h, strlen(h), &o, "E head: response head larger than 0 bytes");
}

UNIT_TEST(http_head_errors_are_sticky)
{
    http_response r;
    http_response_init(&r);
    const char *bad = "HTTP/1.1 999 X\r\n\r\n";
    CHECK(http_response_parse_head(&r, bad, strlen(bad), NULL) == -1);
    CHECK(http_response_parse_head(&r, bad, strlen(bad), NULL) == -1);
    CHECK(strstr(r.error, "999") != NULL);
    http_response_init(&r);
    const char *good = "HTTP/1.1 200 OK\r\n\r\n";
    CHECK(http_response_parse_head(&r, good, 10, NULL) == -2);
    CHECK(http_response_parse_head(&r, good, 5, NULL) == -1);
    CHECK(strstr(r.error, "shrank") != NULL);
}

/* ---- malformed bodies ------------------------------------------------------------- */

#define CHUNKED_HEAD "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

UNIT_TEST(http_bad_chunked)
{
    expect_error(CHUNKED_HEAD "11111111111111111\r\n", "chunk size overflows 64 bits at body byte 16");
    expect_error(CHUNKED_HEAD "zz\r\n", "chunk size expected at body byte 0, found byte 0x7a");
    expect_error(CHUNKED_HEAD "-1\r\n", "chunk size expected at body byte 0");
    expect_error(CHUNKED_HEAD "\r\n", "chunk size expected at body byte 0, found byte 0x0d");
    expect_error(CHUNKED_HEAD "5x\r\n", "invalid byte 0x78 in chunk size at body byte 1");
    expect_error(CHUNKED_HEAD "5 5\r\n", "invalid byte 0x35 in chunk size at body byte 2");
    expect_error(CHUNKED_HEAD "5\nhello\r\n", "chunk size line not ended by CRLF at body byte 1");
    expect_error(CHUNKED_HEAD "5\r\nhelloX\r\n0\r\n\r\n", "missing CRLF after chunk data at body byte 8");
    expect_error(CHUNKED_HEAD "5\r\nhello\rX0\r\n\r\n", "missing CRLF after chunk data at body byte 9");
    expect_error(CHUNKED_HEAD "5\r\nhello\n0\r\n\r\n", "missing CRLF after chunk data at body byte 8");
    expect_error(CHUNKED_HEAD "1;a\x01\r\nx\r\n", "control byte 0x01 in chunk extension at body byte 3");
    expect_error(CHUNKED_HEAD "0\r\n\r\r\n", "chunked body not ended by CRLF at body byte 4");
    expect_error(CHUNKED_HEAD "0\r\n folded\r\n\r\n", "invalid trailer field at body byte 3");
    expect_error(CHUNKED_HEAD "0\r\nX y: 1\r\n\r\n", "invalid trailer field name at body byte 4");
    expect_error(CHUNKED_HEAD "0\r\nX: \x02\r\n\r\n", "control byte 0x02 in trailer at body byte 6");
    expect_error(CHUNKED_HEAD "0\r\nX: 1\rY\r\n\r\n", "trailer line not ended by CRLF");
    expect_error(CHUNKED_HEAD "5\r\nhel", "E eof: connection closed inside the chunked body after 3");
    expect_error(CHUNKED_HEAD "0\r\n\r", "E eof: connection closed inside the chunked body");
    /* A correct body ends the response even though garbage follows: it is the next head. */
    expect_error(CHUNKED_HEAD "0\r\n\r\ngarbage\r\n\r\n", "E head: line 1: invalid status line");
}

UNIT_TEST(http_chunked_line_limits)
{
    char in[4096];
    char zeros[2048];
    memset(zeros, '0', sizeof zeros);
    /* Leading zeros are fine up to the line limit, and not beyond. */
    snprintf(in, sizeof in, CHUNKED_HEAD "%.*s1\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_LINE_MAX - 1, zeros);
    expect_error(in, "B 1 [x]");
    snprintf(in, sizeof in, CHUNKED_HEAD "%.*s1\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_LINE_MAX, zeros);
    expect_error(in, "chunk size line longer than 1024 bytes");
    char ext[2048];
    memset(ext, 'e', sizeof ext);
    snprintf(in, sizeof in, CHUNKED_HEAD "1;%.*s\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_LINE_MAX - 2, ext);
    expect_error(in, "B 1 [x]");
    snprintf(in, sizeof in, CHUNKED_HEAD "1;%.*s\r\nx\r\n0\r\n\r\n", HTTP_CHUNK_LINE_MAX - 1, ext);
    expect_error(in, "chunk size line longer than 1024 bytes");
}

UNIT_TEST(http_trailer_limits)
{
    http_buf in;
    http_buf_init(&in);
    CHECK(http_buf_append(&in, CHUNKED_HEAD "0\r\n", strlen(CHUNKED_HEAD) + 3) == 0);
    for (int i = 0; i < HTTP_TRAILER_COUNT_MAX; i++)
        CHECK(http_buf_append(&in, "T: v\r\n", 6) == 0);
    CHECK(http_buf_append(&in, "\r\n", 2) == 0);
    expect_contains(in.data, in.len, &run_default, "B 0 []\nEOF\n");
    in.len -= 2;
    CHECK(http_buf_append(&in, "T: v\r\n\r\n", 8) == 0);
    expect_contains(in.data, in.len, &run_default, "more than 32 trailer fields");

    http_buf_reset(&in);
    CHECK(http_buf_append(&in, CHUNKED_HEAD "0\r\n", strlen(CHUNKED_HEAD) + 3) == 0);
    char big[HTTP_TRAILER_BYTES_MAX];
    memset(big, 'v', sizeof big);
    CHECK(http_buf_append(&in, "T: ", 3) == 0);
    CHECK(http_buf_append(&in, big, HTTP_TRAILER_BYTES_MAX - 7) == 0); /* with CRLF CRLF: max */
    CHECK(http_buf_append(&in, "\r\n\r\n", 4) == 0);
    expect_contains(in.data, in.len, &run_default, "B 0 []\nEOF\n");
    in.len -= 4;
    CHECK(http_buf_append(&in, "v\r\n\r\n", 5) == 0);
    expect_contains(in.data, in.len, &run_default, "chunked trailer section longer than 8192 bytes");
    http_buf_free(&in);
}

UNIT_TEST(http_body_limits)
{
    run_opts small = {"GET", 10, NULL};
    expect_transcript("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", &small,
                      "H 200 1.1 [OK] ct=[] cl=10 te=0 close=0 ra=-1\nB 10 [0123456789]\nEOF\n");
    const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890";
    expect_contains(cl, strlen(cl), &small,
                    "E init: Content-Length 11 exceeds the body limit of 10 bytes");
    const char *ch = CHUNKED_HEAD "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n";
    expect_contains(ch, strlen(ch), &small, "B 10 [0123456789]\nEOF\n");
    const char *ch2 = CHUNKED_HEAD "6\r\n012345\r\n5\r\n6789a\r\n0\r\n\r\n";
    expect_contains(ch2, strlen(ch2), &small,
                    "E body: chunk of 5 bytes at body byte 13 takes the body over its limit of 10");
    const char *uc = "HTTP/1.0 200 OK\r\n\r\n0123456789";
    expect_contains(uc, strlen(uc), &small, "B 10 [0123456789]\nEOF\n");
    const char *uc2 = "HTTP/1.0 200 OK\r\n\r\n0123456789a";
    expect_contains(uc2, strlen(uc2), &small, "E body: body longer than its limit of 10 bytes");
    /* A stream passes HTTP_BODY_UNLIMITED and is bounded only by what it keeps. */
    run_opts stream = {"GET", HTTP_BODY_UNLIMITED, NULL};
    const char *huge = CHUNKED_HEAD "7fffffffffffffff\r\nabc";
    expect_contains(huge, strlen(huge), &stream, "E eof: connection closed inside the chunked body after 3");
}

UNIT_TEST(http_truncated_length_body)
{
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                 "E eof: connection closed with 7 of 10 body bytes missing");
}

UNIT_TEST(http_body_status_is_sticky)
{
    http_response r;
    http_response_init(&r);
    const char *h = CHUNKED_HEAD;
    CHECK(http_response_parse_head(&r, h, strlen(h), NULL) == (int)strlen(h));
    http_body b;
    CHECK(http_body_init(&b, &r, "GET", 100) == 0);
    char buf[32] = "0\r\n\r\nHTTP";
    size_t used, out;
    CHECK(http_body_decode(&b, buf, 9, &used, &out) == HTTP_BODY_DONE && used == 5 && out == 0);
    CHECK(http_body_decode(&b, buf + 5, 4, &used, &out) == HTTP_BODY_DONE && used == 0);
    CHECK(http_body_eof(&b));
    CHECK(http_body_init(&b, &r, "GET", 100) == 0);
    memcpy(buf, "q\r\n", 3);
    CHECK(http_body_decode(&b, buf, 3, &used, &out) == HTTP_BODY_ERROR && used == 0);
    CHECK(http_body_decode(&b, buf, 3, &used, &out) == HTTP_BODY_ERROR);
    CHECK(!http_body_eof(&b));
}
