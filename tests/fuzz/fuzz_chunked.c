/* fuzz_chunked: decodes arbitrary bytes as a chunked body, whole and in pieces whose sizes
 * come from the first input bytes, and traps unless both give the same data and verdict. */
#include "net/http_body.h"
#include "net/http_response.h"

#include <stdlib.h>
#include <string.h>

/* Byte 0: options (bit 0: a 64-byte body limit instead of none); bytes 1-4: the piece
 * sizes, cycled (0 makes an empty call); the rest is the body. */
#define FZ_HEADER 5

typedef struct {
    uint64_t hash;    /* FNV-1a of the decoded data */
    size_t consumed;  /* input used in all */
    http_body_status status;
    char error[HTTP_ERROR_MAX];
} fz_result;

static void fz_require(bool ok)
{
    if (!ok)
        abort();
}

static void fz_decode(const char *body, size_t len, const uint8_t *sizes, uint64_t max,
                      fz_result *res)
{
    http_response r;
    http_response_init(&r);
    r.status = 200;
    r.minor_version = 1;
    r.chunked = true;
    http_body b;
    fz_require(http_body_init(&b, &r, "GET", max) == 0);
    res->hash = 0xcbf29ce484222325ull;
    res->consumed = 0;
    res->status = HTTP_BODY_MORE;
    size_t empty_calls = 0;
    for (size_t i = 0; res->status == HTTP_BODY_MORE && res->consumed < len; i++) {
        size_t n = sizes == NULL ? len : sizes[i % 4];
        if (n > len - res->consumed)
            n = len - res->consumed;
        /* Four zero sizes in a row would never progress. */
        if (n == 0 && ++empty_calls > 4)
            n = 1;
        char *piece = malloc(n ? n : 1);
        fz_require(piece != NULL);
        memcpy(piece, body + res->consumed, n);
        size_t used = 0, out = 0;
        res->status = http_body_decode(&b, piece, n, &used, &out);
        fz_require(out <= used && used <= n);
        fz_require(res->status != HTTP_BODY_MORE || used == n);
        fz_require(b.decoded <= max);
        for (size_t k = 0; k < out; k++)
            res->hash = (res->hash ^ (unsigned char)piece[k]) * 0x100000001b3ull;
        /* Bytes not consumed must be left as they were. */
        fz_require(memcmp(piece + used, body + res->consumed + used, n - used) == 0);
        free(piece);
        res->consumed += used;
    }
    if (res->status == HTTP_BODY_MORE && !http_body_eof(&b))
        res->status = HTTP_BODY_ERROR;
    fz_require((res->status == HTTP_BODY_DONE) == b.done);
    memcpy(res->error, b.error, sizeof res->error);
    fz_require(memchr(res->error, '\0', sizeof res->error) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FZ_HEADER)
        return 0;
    uint64_t max = data[0] & 1 ? 64 : HTTP_BODY_UNLIMITED;
    size_t len = size - FZ_HEADER;
    char *body = malloc(len ? len : 1);
    fz_require(body != NULL);
    memcpy(body, data + FZ_HEADER, len);
    fz_result whole, pieces;
    fz_decode(body, len, NULL, max, &whole);
    fz_decode(body, len, data + 1, max, &pieces);
    fz_require(whole.hash == pieces.hash && whole.consumed == pieces.consumed &&
               whole.status == pieces.status && strcmp(whole.error, pieces.error) == 0);
    free(body);
    return 0;
}
