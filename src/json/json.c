/* json: strict documents (json_scan validates, then jsmn tokenizes), token navigation, and
 * string unescaping to UTF-8. */
#include "json/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parent links make jsmn's comma and bracket handling O(1) per token instead of a scan
 * back over all earlier tokens; JSMN_STRICT is not needed since json_scan_run decides
 * validity and jsmn only ever sees valid JSON. */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#include "json/json_scan.h"
#include "base/text.h"

#define JSON_INITIAL_TOKENS 256
/* A reused doc whose array is this large gives memory back when a document needs less
 * than a quarter of it: one big list response must not pin megabytes in a watch loop. */
#define JSON_SHRINK_ABOVE 16384

/* ---- documents ---- */

void json_doc_init(json_doc *doc)
{
    memset(doc, 0, sizeof *doc);
}

void json_doc_free(json_doc *doc)
{
    free(doc->toks);
    memset(doc, 0, sizeof *doc);
}

/* Makes room for need tokens; may also shrink an oversized array. */
static int json_doc_reserve(json_doc *doc, size_t need, size_t max_tokens)
{
    size_t cap = (size_t)doc->cap;
    bool shrink = cap > JSON_SHRINK_ABOVE && need < cap / 4;
    if (need <= cap && !shrink)
        return 0;
    size_t ncap = JSON_INITIAL_TOKENS;
    while (ncap < need)
        ncap *= 2;
    if (ncap > max_tokens)
        ncap = need > max_tokens ? need : max_tokens;
    if (ncap > SIZE_MAX / sizeof(jsmntok_t))
        return -1;
    void *grown = realloc(doc->toks, ncap * sizeof(jsmntok_t));
    if (grown == NULL)
        return need <= cap ? 0 : -1; /* a failed shrink is harmless */
    doc->toks = grown;
    doc->cap = (int)ncap;
    return 0;
}

int json_parse(json_doc *doc, const char *text, size_t len, char *err, size_t errlen)
{
    doc->text = NULL;
    doc->len = 0;
    doc->count = 0;
    doc->err_offset = 0;
    if (text == NULL)
        len = 0;
    if (len > JSON_MAX_TEXT) {
        doc->err_offset = JSON_MAX_TEXT;
        text_errorf(err, errlen, "document larger than %zu bytes", JSON_MAX_TEXT);
        return -1;
    }
    size_t max_tokens = doc->max_tokens > 0 ? (size_t)doc->max_tokens : JSON_DEFAULT_MAX_TOKENS;
    int max_depth = doc->max_depth > 0 ? doc->max_depth : JSON_DEFAULT_MAX_DEPTH;
    if (max_depth > JSON_HARD_MAX_DEPTH)
        max_depth = JSON_HARD_MAX_DEPTH;

    json_scan sc;
    if (json_scan_run(&sc, text, len, max_tokens, max_depth) < 0) {
        doc->err_offset = sc.at;
        char found[24] = "";
        unsigned char c = sc.at < len ? (unsigned char)text[sc.at] : 0;
        if (sc.at < len && c > 0x20 && c < 0x7F)
            snprintf(found, sizeof found, " ('%c')", c);
        else if (sc.at < len)
            snprintf(found, sizeof found, " (byte 0x%02x)", c);
        if (sc.what == json_scan_msg_tokens)
            text_errorf(err, errlen, "more than %zu tokens at byte %zu", max_tokens, sc.at);
        else if (sc.what == json_scan_msg_depth)
            text_errorf(err, errlen, "nesting deeper than %d at byte %zu", max_depth, sc.at);
        else
            text_errorf(err, errlen, "%s at byte %zu%s", sc.what, sc.at, found);
        return -1;
    }
    if (json_doc_reserve(doc, sc.tokens, max_tokens) < 0) {
        text_errorf(err, errlen, "out of memory for %zu tokens", sc.tokens);
        return -1;
    }
    jsmn_parser p;
    jsmn_init(&p);
    int r = jsmn_parse(&p, text, len, doc->toks, (unsigned)doc->cap);
    if (r < 0 || (size_t)p.toknext != sc.tokens) {
        /* Unreachable for valid JSON; kept so a disagreement is an error, not a crash. */
        text_errorf(err, errlen, "internal error: jsmn returned %d for a valid document", r);
        return -1;
    }
    doc->text = text;
    doc->len = len;
    doc->count = (int)p.toknext;
    return 0;
}

/* ---- navigation ---- */

static const jsmntok_t *json_tok(const json_doc *doc, int tok)
{
    if (tok < 0 || tok >= doc->count)
        return NULL;
    return (const jsmntok_t *)doc->toks + tok;
}

json_kind json_tok_kind(const json_doc *doc, int tok)
{
    const jsmntok_t *t = json_tok(doc, tok);
    if (t == NULL)
        return JSON_NONE;
    switch (t->type) {
    case JSMN_OBJECT:
        return JSON_OBJECT;
    case JSMN_ARRAY:
        return JSON_ARRAY;
    case JSMN_STRING:
        return JSON_STRING;
    case JSMN_PRIMITIVE:
        switch (doc->text[t->start]) {
        case 't':
        case 'f':
            return JSON_BOOL;
        case 'n':
            return JSON_NULL;
        default:
            return JSON_NUMBER;
        }
    default:
        return JSON_NONE;
    }
}

bool json_is_object(const json_doc *doc, int tok)
{
    return json_tok_kind(doc, tok) == JSON_OBJECT;
}

bool json_is_array(const json_doc *doc, int tok)
{
    return json_tok_kind(doc, tok) == JSON_ARRAY;
}

bool json_is_string(const json_doc *doc, int tok)
{
    return json_tok_kind(doc, tok) == JSON_STRING;
}

bool json_is_null(const json_doc *doc, int tok)
{
    return json_tok_kind(doc, tok) == JSON_NULL;
}

int json_len(const json_doc *doc, int tok)
{
    json_kind k = json_tok_kind(doc, tok);
    if (k != JSON_OBJECT && k != JSON_ARRAY)
        return -1;
    return json_tok(doc, tok)->size;
}

int json_next(const json_doc *doc, int tok)
{
    const jsmntok_t *t = json_tok(doc, tok);
    if (t == NULL)
        return -1;
    const jsmntok_t *all = doc->toks;
    /* Tokens are in document order and size counts direct children (a key has its value
     * as its one child), so the subtree ends when no child is pending. */
    int i = tok;
    long pending = 1;
    while (pending > 0 && i < doc->count) {
        pending += all[i].size - 1;
        i++;
    }
    if (i < doc->count && all[i].parent == t->parent)
        return i;
    return -1;
}

int json_arr_first(const json_doc *doc, int arr)
{
    return json_len(doc, arr) > 0 && json_is_array(doc, arr) ? arr + 1 : -1;
}

int json_obj_first(const json_doc *doc, int obj)
{
    return json_len(doc, obj) > 0 && json_is_object(doc, obj) ? obj + 1 : -1;
}

int json_obj_value(const json_doc *doc, int key)
{
    const jsmntok_t *t = json_tok(doc, key);
    if (t == NULL || t->type != JSMN_STRING || t->size != 1)
        return -1;
    return key + 1;
}

int json_obj_get(const json_doc *doc, int obj, const char *key)
{
    for (int k = json_obj_first(doc, obj); k >= 0; k = json_next(doc, k))
        if (json_str_eq(doc, k, key))
            return k + 1;
    return -1;
}

int json_path(const json_doc *doc, int tok, ...)
{
    if (json_tok(doc, tok) == NULL)
        return -1;
    va_list ap;
    va_start(ap, tok);
    const char *key;
    while (tok >= 0 && (key = va_arg(ap, const char *)) != NULL)
        tok = json_obj_get(doc, tok, key);
    va_end(ap);
    return tok;
}

const char *json_raw(const json_doc *doc, int tok, size_t *len)
{
    const jsmntok_t *t = json_tok(doc, tok);
    if (t == NULL)
        return NULL;
    int quote = t->type == JSMN_STRING ? 1 : 0;
    if (len != NULL)
        *len = (size_t)(t->end - t->start + 2 * quote);
    return doc->text + t->start - quote;
}

/* ---- values ---- */

/* The content bounds of a string token, or false. */
static bool json_str_bounds(const json_doc *doc, int tok, size_t *start, size_t *end)
{
    const jsmntok_t *t = json_tok(doc, tok);
    if (t == NULL || t->type != JSMN_STRING)
        return false;
    *start = (size_t)t->start;
    *end = (size_t)t->end;
    return true;
}

/* Encodes a scalar value (not a surrogate, at most U+10FFFF) as UTF-8; returns 1-4. */
static int json_utf8_put(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the character at s[*i] (before end) into out: returns its length 1-4, or
 * JSON_ERR_NUL for \u0000, or JSON_ERR_TYPE when malformed (never in a parsed doc). */
static int json_str_char(const unsigned char *s, size_t *i, size_t end, unsigned char out[4])
{
    if (s[*i] != '\\') {
        size_t n = json_scan_utf8_seq(s + *i, end - *i);
        if (n == 0)
            return JSON_ERR_TYPE;
        memcpy(out, s + *i, n);
        *i += n;
        return (int)n;
    }
    uint32_t cp = 0;
    const char *why = NULL;
    size_t next = json_scan_escape_decode(s, *i, end, &cp, &why);
    if (next == 0)
        return JSON_ERR_TYPE;
    if (cp == 0)
        return JSON_ERR_NUL;
    *i = next;
    return json_utf8_put(cp, out);
}

bool json_str_eq(const json_doc *doc, int tok, const char *lit)
{
    size_t i, end;
    if (lit == NULL || !json_str_bounds(doc, tok, &i, &end))
        return false;
    const unsigned char *s = (const unsigned char *)doc->text;
    const unsigned char *l = (const unsigned char *)lit;
    if (memchr(s + i, '\\', end - i) == NULL) {
        /* strncmp stops at lit's NUL, so a short lit is never over-read. */
        size_t n = end - i;
        return strncmp(lit, doc->text + i, n) == 0 && lit[n] == '\0';
    }
    while (i < end) {
        unsigned char ch[4];
        int n = json_str_char(s, &i, end, ch);
        if (n < 0)
            return false;
        for (int k = 0; k < n; k++, l++)
            if (*l == '\0' || *l != ch[k])
                return false;
    }
    return *l == '\0';
}

int json_str_copy(const json_doc *doc, int tok, char *buf, size_t cap, size_t *out_len)
{
    size_t i, end, o = 0;
    int status = JSON_OK;
    if (out_len != NULL)
        *out_len = 0;
    if (buf == NULL || cap == 0)
        return json_is_string(doc, tok) ? JSON_ERR_SPACE : JSON_ERR_TYPE;
    buf[0] = '\0';
    if (!json_str_bounds(doc, tok, &i, &end))
        return JSON_ERR_TYPE;
    const unsigned char *s = (const unsigned char *)doc->text;
    while (i < end) {
        unsigned char ch[4];
        int n = json_str_char(s, &i, end, ch);
        if (n < 0) {
            status = n;
            break;
        }
        if ((size_t)n > cap - 1 - o) {
            status = JSON_ERR_SPACE;
            break;
        }
        memcpy(buf + o, ch, (size_t)n);
        o += (size_t)n;
    }
    buf[o] = '\0';
    if (out_len != NULL)
        *out_len = o;
    return status;
}

char *json_str_dup(const json_doc *doc, int tok)
{
    size_t start, end;
    if (!json_str_bounds(doc, tok, &start, &end))
        return NULL;
    /* Unescaping never lengthens: "\n" 2 -> 1, "\uXXXX" 6 -> at most 3, a pair 12 -> 4. */
    size_t cap = end - start + 1;
    char *s = malloc(cap);
    if (s == NULL)
        return NULL;
    if (json_str_copy(doc, tok, s, cap, NULL) != JSON_OK) {
        free(s);
        return NULL;
    }
    return s;
}

int json_int64(const json_doc *doc, int tok, int64_t *out)
{
    if (json_tok_kind(doc, tok) != JSON_NUMBER)
        return JSON_ERR_TYPE;
    const jsmntok_t *t = json_tok(doc, tok);
    const char *p = doc->text + t->start, *end = doc->text + t->end;
    bool neg = *p == '-';
    if (neg)
        p++;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t v = 0;
    for (; p < end; p++) {
        if (!json_scan_is_digit((unsigned char)*p))
            return JSON_ERR_RANGE; /* a fraction or an exponent */
        unsigned d = (unsigned)(*p - '0');
        if (v > (limit - d) / 10)
            return JSON_ERR_RANGE;
        v = v * 10 + d;
    }
    *out = neg ? (v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    return JSON_OK;
}

int json_bool(const json_doc *doc, int tok, bool *out)
{
    if (json_tok_kind(doc, tok) != JSON_BOOL)
        return JSON_ERR_TYPE;
    *out = doc->text[json_tok(doc, tok)->start] == 't';
    return JSON_OK;
}

const char *json_strerror(int status)
{
    switch (status) {
    case JSON_OK:
        return "ok";
    case JSON_ERR_TYPE:
        return "missing or of the wrong type";
    case JSON_ERR_SPACE:
        return "does not fit the buffer";
    case JSON_ERR_NUL:
        return "string holds \\u0000";
    case JSON_ERR_RANGE:
        return "number is not an integer in range";
    case JSON_ERR_NOMEM:
        return "out of memory or over the size limit";
    case JSON_ERR_UTF8:
        return "string is not valid UTF-8";
    case JSON_ERR_STATE:
        return "writer call out of place or value incomplete";
    case JSON_ERR_DEPTH:
        return "nesting too deep";
    case JSON_ERR_SYNTAX:
        return "raw fragment is not valid JSON";
    default:
        return "unknown json status";
    }
}

const char *json_quote(const json_doc *doc, int tok, char buf[JSON_QUOTE_SIZE])
{
    size_t n = 0, o = 0;
    const char *raw = json_raw(doc, tok, &n);
    for (size_t i = 0; raw != NULL && i < n && o < 40; i++) {
        unsigned char c = (unsigned char)raw[i];
        buf[o++] = c >= 0x20 && c < 0x7F ? (char)c : '?';
    }
    buf[o] = '\0';
    if (raw != NULL && n > o)
        strcpy(buf + o, "...");
    return buf;
}
