/* fuzz_jframe: frames arbitrary bytes as a LIST body, whole and in pieces whose sizes come
 * from the first input bytes; traps unless both give the same items and verdict. */
#include "kube/list_frame.h"
#include "json/json.h"

#include <stdlib.h>
#include <string.h>

/* Byte 0: options (bit 0: a 64-byte item limit instead of the default); bytes 1-4: the
 * piece sizes, cycled (0 makes an empty call); the rest is the body. */
#define FZ_HEADER 5

typedef struct {
    uint64_t hash;   /* FNV-1a over every item and metadata, with its kind */
    uint64_t items;
    int rc;
    json_doc doc;    /* each item is parsed, as reflector does, to reach json through the framer */
} fz_result;

static void fz_require(int ok)
{
    if (!ok)
        abort();
}

static int fz_on_frame(void *arg, list_frame_kind kind, const char *text, size_t len, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    fz_result *res = arg;
    fz_require(len >= 2 && text[0] == '{' && text[len - 1] == '}');
    uint64_t h = res->hash ^ (uint64_t)kind;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
    res->hash = h;
    if (kind == LIST_FRAME_ITEM)
        res->items++;
    char jerr[128];
    (void)json_parse(&res->doc, text, len, jerr, sizeof jerr);
    return 0;
}

static void fz_frame(const char *body, size_t len, const uint8_t *sizes, size_t item_max, fz_result *res)
{
    list_frame f;
    list_frame_init(&f, item_max);
    res->hash = 0xcbf29ce484222325ull;
    res->items = 0;
    json_doc_init(&res->doc);
    res->doc.max_tokens = 65536;
    int rc = 0;
    for (size_t at = 0, i = 0; rc == 0 && at < len; i++) {
        size_t n = sizes == NULL ? len - at : sizes[i % 4];
        if (n > len - at)
            n = len - at;
        rc = list_frame_feed(&f, body + at, n, fz_on_frame, res);
        at += n;
        if (sizes != NULL && i > 4 * len + 8)
            break; /* all sizes zero: an empty call changes nothing, so stop */
    }
    if (rc == 0 && sizes != NULL && sizes[0] == 0 && sizes[1] == 0 && sizes[2] == 0 && sizes[3] == 0 && len > 0)
        rc = list_frame_feed(&f, body, len, fz_on_frame, res);
    if (rc == 0)
        rc = list_frame_finish(&f);
    fz_require(rc == 0 || (f.failed && f.error[0] != '\0'));
    fz_require(f.offset <= len);
    res->rc = rc;
    list_frame_free(&f);
    json_doc_free(&res->doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < FZ_HEADER)
        return 0;
    size_t len = size - FZ_HEADER;
    char *body = malloc(len > 0 ? len : 1);
    if (body == NULL)
        return 0;
    memcpy(body, data + FZ_HEADER, len);
    size_t item_max = (data[0] & 1) ? 64 : 0;
    fz_result whole, pieces;
    fz_frame(body, len, NULL, item_max, &whole);
    fz_frame(body, len, data + 1, item_max, &pieces);
    fz_require(whole.rc == pieces.rc && whole.hash == pieces.hash && whole.items == pieces.items);
    free(body);
    return 0;
}
