/* fuzz_http_response: parses heads and decodes bodies of pipelined responses, once whole
 * and once in pieces sized by the input, and traps when the two disagree. */
#include "net/http_body.h"
#include "net/http_response.h"

#include <stdlib.h>
#include <string.h>

/* The first input byte picks the options; the rest is what the server sent. */
#define FZ_OPT_TIGHT_HEAD 0x01 /* small head, line and header-count limits */
#define FZ_OPT_SMALL_BODY 0x02 /* body limit of 100 bytes */
#define FZ_OPT_STREAM 0x04     /* HTTP_BODY_UNLIMITED, as a watch would */
#define FZ_OPT_HEAD 0x08       /* the request was HEAD */

typedef struct {
    const http_limits *lim;
    const char *method;
    uint64_t body_max;
    uint64_t hash; /* FNV-1a over everything observed, in order */
    http_response r;
    http_body b;
    int state; /* 0 head, 1 body, 2 stopped */
    char *conn;
    size_t conn_len;
} fz_conn;

static void fz_require(bool ok)
{
    if (!ok)
        abort();
}

static void fz_mix(fz_conn *c, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        c->hash = (c->hash ^ s[i]) * 0x100000001b3ull;
}

static void fz_mix_u64(fz_conn *c, uint64_t v)
{
    fz_mix(c, &v, sizeof v);
}

static void fz_mix_str(fz_conn *c, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    fz_require(n < cap);
    fz_mix(c, s, n + 1);
}

static void fz_drop(fz_conn *c, size_t n)
{
    memmove(c->conn, c->conn + n, c->conn_len - n);
    c->conn_len -= n;
}

static void fz_head(fz_conn *c)
{
    /* An exactly-sized copy, so a read past what has arrived is caught. */
    char *exact = malloc(c->conn_len);
    fz_require(exact != NULL);
    memcpy(exact, c->conn, c->conn_len);
    int rc = http_response_parse_head(&c->r, exact, c->conn_len, c->lim);
    free(exact);
    if (rc == -2)
        return;
    if (rc == -1) {
        fz_mix_u64(c, 1);
        fz_mix_str(c, c->r.error, sizeof c->r.error);
        c->state = 2;
        return;
    }
    const http_response *r = &c->r;
    fz_require(rc > 0 && (size_t)rc <= c->conn_len && (size_t)rc <= c->lim->head_max);
    fz_require(r->status >= 100 && r->status <= 599 && r->header_count <= c->lim->header_count_max);
    fz_mix_u64(c, 2);
    fz_mix_u64(c, (uint64_t)r->status);
    fz_mix_u64(c, (uint64_t)r->minor_version);
    fz_mix_str(c, r->reason, sizeof r->reason);
    fz_mix_str(c, r->content_type, sizeof r->content_type);
    fz_mix_u64(c, r->has_content_length ? r->content_length : UINT64_MAX);
    fz_mix_u64(c, (uint64_t)r->chunked << 1 | (uint64_t)r->close);
    fz_mix_u64(c, (uint64_t)r->retry_after);
    fz_mix_u64(c, r->header_count);
    fz_drop(c, (size_t)rc);
    if (http_body_init(&c->b, r, c->method, c->body_max) < 0) {
        fz_mix_u64(c, 3);
        fz_mix_str(c, c->b.error, sizeof c->b.error);
        c->state = 2;
        return;
    }
    c->state = 1;
}

static void fz_body(fz_conn *c)
{
    size_t in = c->conn_len, used = 0, out = 0;
    char *exact = malloc(in ? in : 1);
    fz_require(exact != NULL);
    memcpy(exact, c->conn, in);
    http_body_status st = http_body_decode(&c->b, exact, in, &used, &out);
    fz_require(out <= used && used <= in);
    fz_require(st != HTTP_BODY_MORE || used == in);
    fz_require(c->b.decoded <= c->b.max);
    fz_mix(c, exact, out);
    memcpy(c->conn, exact, in);
    free(exact);
    fz_drop(c, used);
    if (st == HTTP_BODY_ERROR) {
        fz_mix_u64(c, 4);
        fz_mix_str(c, c->b.error, sizeof c->b.error);
        c->state = 2;
    } else if (st == HTTP_BODY_DONE) {
        fz_mix_u64(c, 5);
        http_response_init(&c->r);
        c->state = 0;
    }
}

static void fz_step(fz_conn *c)
{
    for (;;) {
        int before = c->state;
        size_t len = c->conn_len;
        if (c->state == 0 && c->conn_len > 0)
            fz_head(c);
        else if (c->state == 1)
            fz_body(c);
        /* Stop once nothing changed: more input is needed, or an error stopped us. */
        if (c->state == 2 || (c->state == before && c->conn_len == len))
            return;
    }
}

/* Feeds input in pieces whose sizes come from sizes[] (cycled), or whole when nsizes
 * is 0, and returns the hash of what was observed. */
static uint64_t fz_run(const char *in, size_t len, const uint8_t *sizes, size_t nsizes,
                       size_t max_piece, fz_conn *c)
{
    c->hash = 0xcbf29ce484222325ull;
    c->state = 0;
    c->conn_len = 0;
    http_response_init(&c->r);
    size_t at = 0;
    for (size_t i = 0; at < len; i++) {
        size_t n = nsizes == 0 ? len : 1 + sizes[i % nsizes] % max_piece;
        if (n > len - at)
            n = len - at;
        memcpy(c->conn + c->conn_len, in + at, n);
        c->conn_len += n;
        at += n;
        fz_step(c);
    }
    if (c->state == 1) {
        fz_mix_u64(c, http_body_eof(&c->b) ? 6 : 7);
        fz_mix_str(c, c->b.error, sizeof c->b.error);
    } else if (c->state == 0) {
        fz_mix_u64(c, c->conn_len);
    }
    return c->hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    size_t len = size - 1;
    char *in = malloc(len ? len : 1);
    char *conn = malloc(len ? len : 1);
    fz_require(in != NULL && conn != NULL);
    memcpy(in, data + 1, len);

    http_limits lim = http_response_limits_default();
    if (opt & FZ_OPT_TIGHT_HEAD) {
        lim.head_max = 200;
        lim.line_max = 50;
        lim.header_count_max = 4;
    }
    fz_conn c;
    memset(&c, 0, sizeof c);
    c.lim = &lim;
    c.method = opt & FZ_OPT_HEAD ? "HEAD" : "GET";
    c.body_max = opt & FZ_OPT_STREAM ? HTTP_BODY_UNLIMITED
                 : opt & FZ_OPT_SMALL_BODY ? 100
                                           : lim.body_max;
    c.conn = conn;

    uint64_t whole = fz_run(in, len, NULL, 0, 1, &c);
    /* Piece sizes come from the last bytes of the input, up to 16 of them. */
    size_t nsizes = len < 16 ? len : 16;
    size_t max_piece = (size_t)(opt >> 4) * 4 + 1;
    uint64_t pieces = fz_run(in, len, (const uint8_t *)in + len - nsizes, nsizes, max_piece, &c);
    fz_require(whole == pieces);

    free(conn);
    free(in);
    return 0;
}
