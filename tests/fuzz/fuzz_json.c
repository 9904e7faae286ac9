/* fuzz_json: json_parse on any bytes; a parsed document is walked token by token, every
 * string unescaped, then re-written through json_writer and parsed back to the same values. */
#include "json/json.h"
#include "json/json_writer.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An invariant broken: abort so libFuzzer and the replayer report it. */
#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond))                                                                            \
            abort();                                                                            \
    } while (0)

/* Rewrites the value at tok; nesting is bounded by the parse depth limit. A key holding
 * \u0000 cannot go through json_writer_key (a C string): it is written as "" and counted. */
static void fuzz_json_write(const json_doc *d, int tok, json_writer *w, int *lossy_keys)
{
    switch (json_tok_kind(d, tok)) {
    case JSON_OBJECT:
        json_writer_object_begin(w);
        for (int k = json_obj_first(d, tok); k >= 0; k = json_next(d, k)) {
            char *key = json_str_dup(d, k);
            *lossy_keys += key == NULL;
            json_writer_key(w, key != NULL ? key : "");
            free(key);
            fuzz_json_write(d, json_obj_value(d, k), w, lossy_keys);
        }
        json_writer_object_end(w);
        return;
    case JSON_ARRAY:
        json_writer_array_begin(w);
        for (int e = json_arr_first(d, tok); e >= 0; e = json_next(d, e))
            fuzz_json_write(d, e, w, lossy_keys);
        json_writer_array_end(w);
        return;
    case JSON_STRING: {
        char *s = json_str_dup(d, tok);
        size_t n = 0;
        const char *raw = json_raw(d, tok, &n);
        if (s != NULL)
            json_writer_string(w, s);
        else
            json_writer_raw(w, raw, n); /* \u0000 inside: the source text is valid JSON */
        free(s);
        return;
    }
    case JSON_NUMBER: {
        int64_t v;
        size_t n = 0;
        const char *raw = json_raw(d, tok, &n);
        if (json_int64(d, tok, &v) == JSON_OK)
            json_writer_int64(w, v);
        else
            json_writer_raw(w, raw, n);
        return;
    }
    case JSON_BOOL: {
        bool b = false;
        FUZZ_CHECK(json_bool(d, tok, &b) == JSON_OK);
        json_writer_bool(w, b);
        return;
    }
    case JSON_NULL:
        json_writer_null(w);
        return;
    default:
        abort();
    }
}

/* Every accessor on every token, checked against the others. */
static void fuzz_json_walk(const json_doc *d)
{
    for (int t = 0; t < d->count; t++) {
        json_kind k = json_tok_kind(d, t);
        FUZZ_CHECK(k != JSON_NONE);
        size_t n = 0;
        const char *raw = json_raw(d, t, &n);
        FUZZ_CHECK(raw != NULL && raw >= d->text && n <= d->len && (size_t)(raw - d->text) <= d->len - n);
        int next = json_next(d, t);
        FUZZ_CHECK(next == -1 || (next > t && next < d->count));
        int len = json_len(d, t);
        FUZZ_CHECK((len >= 0) == (k == JSON_OBJECT || k == JSON_ARRAY));
        int first = k == JSON_OBJECT ? json_obj_first(d, t) : json_arr_first(d, t);
        FUZZ_CHECK((first >= 0) == (len > 0));
        if (k == JSON_OBJECT) {
            int members = 0;
            for (int key = first; key >= 0; key = json_next(d, key)) {
                FUZZ_CHECK(json_is_string(d, key) && json_obj_value(d, key) == key + 1);
                char *ks = json_str_dup(d, key);
                /* The first member with this key's content is at or before it. */
                int got = ks != NULL ? json_obj_get(d, t, ks) : -1;
                FUZZ_CHECK(ks == NULL || (got > t && got <= key + 1));
                free(ks);
                members++;
            }
            FUZZ_CHECK(members == len);
        }
        if (k == JSON_STRING) {
            char *s = json_str_dup(d, t);
            char buf[8];
            size_t got = 0;
            int r = json_str_copy(d, t, buf, sizeof buf, &got);
            FUZZ_CHECK(got < sizeof buf && buf[got] == '\0');
            if (s != NULL) {
                FUZZ_CHECK(json_str_eq(d, t, s));
                FUZZ_CHECK(r == (strlen(s) < sizeof buf ? JSON_OK : JSON_ERR_SPACE));
                FUZZ_CHECK(memcmp(buf, s, got) == 0);
            } else {
                FUZZ_CHECK(r == JSON_ERR_NUL || r == JSON_ERR_SPACE);
            }
            free(s);
        }
        int64_t v;
        bool b;
        int ri = json_int64(d, t, &v);
        FUZZ_CHECK(k == JSON_NUMBER ? (ri == JSON_OK || ri == JSON_ERR_RANGE) : ri == JSON_ERR_TYPE);
        FUZZ_CHECK((json_bool(d, t, &b) == JSON_OK) == (k == JSON_BOOL));
        FUZZ_CHECK(json_is_null(d, t) == (k == JSON_NULL));
    }
}

/* The copy must hold the same tokens with the same values. */
static void fuzz_json_compare(const json_doc *a, const json_doc *b, int lossy_keys)
{
    FUZZ_CHECK(a->count == b->count);
    for (int t = 0; t < a->count; t++) {
        json_kind k = json_tok_kind(a, t);
        FUZZ_CHECK(k == json_tok_kind(b, t));
        FUZZ_CHECK(json_len(a, t) == json_len(b, t) && json_next(a, t) == json_next(b, t));
        if (k == JSON_STRING) {
            char *sa = json_str_dup(a, t), *sb = json_str_dup(b, t);
            FUZZ_CHECK((sa == NULL && (sb == NULL || lossy_keys > 0)) ||
                       (sa != NULL && sb != NULL && strcmp(sa, sb) == 0));
            free(sa);
            free(sb);
        } else if (k == JSON_NUMBER) {
            int64_t va = 0, vb = 0;
            int ra = json_int64(a, t, &va), rb = json_int64(b, t, &vb);
            FUZZ_CHECK(ra == rb && va == vb);
        } else if (k == JSON_BOOL) {
            bool ba = false, bb = true;
            FUZZ_CHECK(json_bool(a, t, &ba) == 0 && json_bool(b, t, &bb) == 0 && ba == bb);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    json_doc doc;
    json_doc_init(&doc);
    char err[256];
    int r = json_parse(&doc, text, size, err, sizeof err);
    FUZZ_CHECK(r == 0 || (r == -1 && doc.count == 0 && err[0] != '\0' && doc.err_offset <= size));

    /* The writer's raw check is the same validator: it agrees on every input. */
    json_writer w;
    json_writer_init(&w);
    json_writer_raw(&w, text, size);
    FUZZ_CHECK((json_writer_error(&w) == 0) == (r == 0));
    json_writer_free(&w);

    /* Tighter limits on a second doc never accept more. */
    json_doc small;
    json_doc_init(&small);
    small.max_tokens = 8;
    small.max_depth = 3;
    if (json_parse(&small, text, size, NULL, 0) == 0)
        FUZZ_CHECK(r == 0 && small.count <= 8 && small.count == doc.count);
    json_doc_free(&small);

    if (r == 0) {
        fuzz_json_walk(&doc);
        int lossy_keys = 0;
        json_writer_init(&w);
        fuzz_json_write(&doc, 0, &w, &lossy_keys);
        size_t len = 0;
        char *out = json_writer_take(&w, &len);
        FUZZ_CHECK(out != NULL);
        json_doc copy;
        json_doc_init(&copy);
        FUZZ_CHECK(json_parse(&copy, out, len, err, sizeof err) == 0);
        fuzz_json_compare(&doc, &copy, lossy_keys);
        /* Reuse: parsing the input again on the copy's doc gives the same tokens. */
        FUZZ_CHECK(json_parse(&copy, text, size, NULL, 0) == 0 && copy.count == doc.count);
        json_doc_free(&copy);
        json_writer_free(&w);
        free(out);
    }
    json_doc_free(&doc);
    free(text);
    return 0;
}
