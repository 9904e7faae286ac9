/* json: a strict validator in front of jsmn (which tokenizes but accepts much invalid
 * JSON), token navigation, string unescaping to UTF-8, and the request-body writer. */
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parent links make jsmn's comma and bracket handling O(1) per token instead of a scan
 * back over all earlier tokens; JSMN_STRICT is not needed since json_scan decides
 * validity and jsmn only ever sees valid JSON. */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#include "txt.h"

#define JSON_INITIAL_TOKENS 256
/* A reused doc whose array is this large gives memory back when a document needs less
 * than a quarter of it: one big list response must not pin megabytes in a watch loop. */
#define JSON_SHRINK_ABOVE 16384

/* Per open container in json_writer.stack. */
#define JSON_WRITER_OBJECT 1u /* an object, not an array */
#define JSON_WRITER_ITEMS 2u  /* something was written in it: the next item needs a comma */
#define JSON_WRITER_KEYED 4u  /* object: a key was written, its value comes next */

/* ---- shared byte-level helpers ---- */

static bool json_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool json_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Length (1-4) of the well-formed UTF-8 sequence at s (avail > 0 bytes), or 0 when it is
 * malformed: overlong forms, UTF-16 surrogates and code points past U+10FFFF included. */
static size_t json_utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
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

/* The 4 hex digits at s[i..i+4) (bounded by end), or -1. */
static long json_hex4(const unsigned char *s, size_t i, size_t end)
{
    if (end < i || end - i < 4)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = txt_hex_value(s[i + k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* Decodes the escape starting at the backslash s[i] (i < end). Returns the index just
 * after it and sets *cp, or 0 (never a valid answer) with *why set. A \uD800-\uDBFF must
 * be followed by a \uDC00-\uDFFF; either half alone is refused, never replaced. */
static size_t json_escape_decode(const unsigned char *s, size_t i, size_t end, uint32_t *cp,
                                 const char **why)
{
    static const char simple_in[] = "\"\\/bfnrt";
    static const char simple_out[] = "\"\\/\b\f\n\r\t";
    if (end - i < 2) {
        *why = "unterminated escape";
        return 0;
    }
    const char *p = strchr(simple_in, s[i + 1]);
    if (s[i + 1] != '\0' && p != NULL) {
        *cp = (unsigned char)simple_out[p - simple_in];
        return i + 2;
    }
    if (s[i + 1] != 'u') {
        *why = "invalid escape (expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
        return 0;
    }
    long hi = json_hex4(s, i + 2, end);
    if (hi < 0) {
        *why = "invalid \\u escape (expected 4 hex digits)";
        return 0;
    }
    if (hi >= 0xDC00 && hi <= 0xDFFF) {
        *why = "lone low surrogate \\uDC00-\\uDFFF";
        return 0;
    }
    if (hi < 0xD800 || hi > 0xDBFF) {
        *cp = (uint32_t)hi;
        return i + 6;
    }
    long lo = -1;
    if (end - (i + 6) >= 2 && s[i + 6] == '\\' && s[i + 7] == 'u')
        lo = json_hex4(s, i + 8, end);
    if (lo < 0xDC00 || lo > 0xDFFF) {
        *why = "lone high surrogate (a \\uDC00-\\uDFFF escape must follow)";
        return 0;
    }
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return i + 12;
}

/* ---- the validator: full RFC 8259 grammar, no recursion, no allocation ---- */

typedef struct {
    const unsigned char *s;
    size_t len, pos;
    size_t tokens, max_tokens; /* jsmn's count: one per value and one per key */
    int depth, max_depth;
    uint8_t is_object[JSON_HARD_MAX_DEPTH / 8]; /* one bit per open container */
    const char *what;                           /* on failure: what was wrong */
    size_t at;                                  /* ... and where */
} json_scanner;

static int json_scan_fail(json_scanner *sc, size_t at, const char *what)
{
    sc->what = what;
    sc->at = at;
    return -1;
}

static void json_scan_ws(json_scanner *sc)
{
    while (sc->pos < sc->len && json_is_ws(sc->s[sc->pos]))
        sc->pos++;
}

/* The two limit messages, told apart by address so json_parse can name the limit. */
static const char json_msg_tokens[] = "too many tokens";
static const char json_msg_depth[] = "nesting too deep";

static int json_scan_token(json_scanner *sc)
{
    if (++sc->tokens > sc->max_tokens)
        return json_scan_fail(sc, sc->pos, json_msg_tokens);
    return 0;
}

static int json_scan_string(json_scanner *sc)
{
    size_t open = sc->pos++;
    while (sc->pos < sc->len) {
        unsigned char c = sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return 0;
        }
        if (c == '\\') {
            uint32_t cp;
            const char *why = NULL;
            size_t next = json_escape_decode(sc->s, sc->pos, sc->len, &cp, &why);
            if (next == 0)
                return json_scan_fail(sc, sc->pos, why);
            sc->pos = next;
        } else if (c < 0x20) {
            return json_scan_fail(sc, sc->pos, "raw control character in string");
        } else {
            size_t n = json_utf8_seq(sc->s + sc->pos, sc->len - sc->pos);
            if (n == 0)
                return json_scan_fail(sc, sc->pos, "invalid UTF-8 in string");
            sc->pos += n;
        }
    }
    return json_scan_fail(sc, open, "unterminated string starting");
}

static bool json_is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || json_is_digit(c) || c == '_';
}

static bool json_scan_digit_at(const json_scanner *sc, size_t p)
{
    return p < sc->len && json_is_digit(sc->s[p]);
}

static int json_scan_number(json_scanner *sc)
{
    size_t p = sc->pos;
    if (sc->s[p] == '-')
        p++;
    if (!json_scan_digit_at(sc, p))
        return json_scan_fail(sc, p, "invalid number: digit expected");
    if (sc->s[p] == '0') {
        if (json_scan_digit_at(sc, ++p))
            return json_scan_fail(sc, p, "invalid number: leading zero");
    } else {
        while (json_scan_digit_at(sc, p))
            p++;
    }
    if (p < sc->len && sc->s[p] == '.') {
        if (!json_scan_digit_at(sc, ++p))
            return json_scan_fail(sc, p, "invalid number: digit expected after '.'");
        while (json_scan_digit_at(sc, p))
            p++;
    }
    if (p < sc->len && (sc->s[p] == 'e' || sc->s[p] == 'E')) {
        p++;
        if (p < sc->len && (sc->s[p] == '+' || sc->s[p] == '-'))
            p++;
        if (!json_scan_digit_at(sc, p))
            return json_scan_fail(sc, p, "invalid number: digit expected in exponent");
        while (json_scan_digit_at(sc, p))
            p++;
    }
    /* "1.2.3", "1x", "0x10", "1-": name the number rather than a missing comma. */
    if (p < sc->len && (json_is_word_char(sc->s[p]) || sc->s[p] == '.' || sc->s[p] == '+' ||
                           sc->s[p] == '-'))
        return json_scan_fail(sc, p, "invalid number");
    sc->pos = p;
    return 0;
}

static int json_scan_literal(json_scanner *sc)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, words[i], n) == 0 &&
            !(sc->len - sc->pos > n && json_is_word_char(sc->s[sc->pos + n]))) {
            sc->pos += n;
            return 0;
        }
    }
    return json_scan_fail(sc, sc->pos, "invalid literal (expected true, false or null)");
}

static bool json_scan_in_object(const json_scanner *sc)
{
    int d = sc->depth - 1;
    return (sc->is_object[d / 8] >> (d % 8)) & 1u;
}

/* A key, its ':' and the whitespace after: leaves pos at the member's value. */
static int json_scan_key(json_scanner *sc)
{
    if (sc->pos >= sc->len)
        return json_scan_fail(sc, sc->pos, "unexpected end of input (expected a key)");
    if (sc->s[sc->pos] != '"')
        return json_scan_fail(sc, sc->pos, "expected a string key");
    if (json_scan_token(sc) < 0 || json_scan_string(sc) < 0)
        return -1;
    json_scan_ws(sc);
    if (sc->pos >= sc->len || sc->s[sc->pos] != ':')
        return json_scan_fail(sc, sc->pos, "expected ':' after the key");
    sc->pos++;
    json_scan_ws(sc);
    return 0;
}

/* Scans the value at pos. Returns 1 when it opened a non-empty container (a value or key
 * follows), 0 when a whole value was consumed, -1 on error. */
static int json_scan_value(json_scanner *sc)
{
    if (sc->pos >= sc->len)
        return json_scan_fail(sc, sc->pos, "unexpected end of input (expected a value)");
    if (json_scan_token(sc) < 0)
        return -1;
    unsigned char c = sc->s[sc->pos];
    if (c == '{' || c == '[') {
        if (sc->depth >= sc->max_depth)
            return json_scan_fail(sc, sc->pos, json_msg_depth);
        int d = sc->depth++;
        if (c == '{')
            sc->is_object[d / 8] |= (uint8_t)(1u << (d % 8));
        else
            sc->is_object[d / 8] &= (uint8_t) ~(1u << (d % 8));
        sc->pos++;
        json_scan_ws(sc);
        if (sc->pos < sc->len && sc->s[sc->pos] == (c == '{' ? '}' : ']')) {
            sc->pos++;
            sc->depth--;
            return 0;
        }
        if (c == '{' && json_scan_key(sc) < 0)
            return -1;
        return 1;
    }
    if (c == '"')
        return json_scan_string(sc);
    if (c == '-' || json_is_digit(c))
        return json_scan_number(sc);
    if (json_is_word_char(c))
        return json_scan_literal(sc);
    return json_scan_fail(sc, sc->pos, "unexpected character (expected a value)");
}

/* After a complete value: closes containers. Returns 1 when another value is expected,
 * 0 when the top-level value is complete, -1 on error. */
static int json_scan_after_value(json_scanner *sc)
{
    for (;;) {
        json_scan_ws(sc);
        if (sc->depth == 0)
            return 0;
        bool obj = json_scan_in_object(sc);
        if (sc->pos >= sc->len)
            return json_scan_fail(sc, sc->pos,
                                  obj ? "unexpected end of input (unclosed object)"
                                      : "unexpected end of input (unclosed array)");
        unsigned char c = sc->s[sc->pos];
        if (c == ',') {
            sc->pos++;
            json_scan_ws(sc);
            if (obj && json_scan_key(sc) < 0)
                return -1;
            return 1;
        }
        if (c != (obj ? '}' : ']'))
            return json_scan_fail(sc, sc->pos, obj ? "expected ',' or '}'" : "expected ',' or ']'");
        sc->pos++;
        sc->depth--;
    }
}

/* Validates text as exactly one JSON value with optional surrounding whitespace. */
static int json_scan(json_scanner *sc, const char *text, size_t len, size_t max_tokens,
                     int max_depth)
{
    memset(sc, 0, sizeof *sc);
    sc->s = (const unsigned char *)text;
    sc->len = len;
    sc->max_tokens = max_tokens;
    sc->max_depth = max_depth;
    json_scan_ws(sc);
    if (sc->pos == len)
        return json_scan_fail(sc, len, "empty document (no JSON value)");
    for (;;) {
        int r = json_scan_value(sc);
        if (r < 0)
            return -1;
        if (r == 1)
            continue;
        r = json_scan_after_value(sc);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
    }
    if (sc->pos != len)
        return json_scan_fail(sc, sc->pos, "unexpected data after the JSON value");
    return 0;
}

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
        txt_errorf(err, errlen, "document larger than %zu bytes", JSON_MAX_TEXT);
        return -1;
    }
    size_t max_tokens = doc->max_tokens > 0 ? (size_t)doc->max_tokens : JSON_DEFAULT_MAX_TOKENS;
    int max_depth = doc->max_depth > 0 ? doc->max_depth : JSON_DEFAULT_MAX_DEPTH;
    if (max_depth > JSON_HARD_MAX_DEPTH)
        max_depth = JSON_HARD_MAX_DEPTH;

    json_scanner sc;
    if (json_scan(&sc, text, len, max_tokens, max_depth) < 0) {
        doc->err_offset = sc.at;
        char found[24] = "";
        unsigned char c = sc.at < len ? (unsigned char)text[sc.at] : 0;
        if (sc.at < len && c > 0x20 && c < 0x7F)
            snprintf(found, sizeof found, " ('%c')", c);
        else if (sc.at < len)
            snprintf(found, sizeof found, " (byte 0x%02x)", c);
        if (sc.what == json_msg_tokens)
            txt_errorf(err, errlen, "more than %zu tokens at byte %zu", max_tokens, sc.at);
        else if (sc.what == json_msg_depth)
            txt_errorf(err, errlen, "nesting deeper than %d at byte %zu", max_depth, sc.at);
        else
            txt_errorf(err, errlen, "%s at byte %zu%s", sc.what, sc.at, found);
        return -1;
    }
    if (json_doc_reserve(doc, sc.tokens, max_tokens) < 0) {
        txt_errorf(err, errlen, "out of memory for %zu tokens", sc.tokens);
        return -1;
    }
    jsmn_parser p;
    jsmn_init(&p);
    int r = jsmn_parse(&p, text, len, doc->toks, (unsigned)doc->cap);
    if (r < 0 || (size_t)p.toknext != sc.tokens) {
        /* Unreachable for valid JSON; kept so a disagreement is an error, not a crash. */
        txt_errorf(err, errlen, "internal error: jsmn returned %d for a valid document", r);
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

/* Decodes the character at s[*i] (before end) into out: returns its length 1-4, or
 * JSON_ERR_NUL for \u0000, or JSON_ERR_TYPE when malformed (never in a parsed doc). */
static int json_str_char(const unsigned char *s, size_t *i, size_t end, unsigned char out[4])
{
    if (s[*i] != '\\') {
        size_t n = json_utf8_seq(s + *i, end - *i);
        if (n == 0)
            return JSON_ERR_TYPE;
        memcpy(out, s + *i, n);
        *i += n;
        return (int)n;
    }
    uint32_t cp = 0;
    const char *why = NULL;
    size_t next = json_escape_decode(s, *i, end, &cp, &why);
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
        if (!json_is_digit((unsigned char)*p))
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

/* ---- writer ---- */

void json_writer_init(json_writer *w)
{
    memset(w, 0, sizeof *w);
}

void json_writer_free(json_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

int json_writer_error(const json_writer *w)
{
    return w->err;
}

static int json_writer_fail(json_writer *w, int status)
{
    if (w->err == 0)
        w->err = status;
    return w->err;
}

/* Appends n bytes, always keeping one spare byte for the NUL json_writer_take adds. */
static int json_writer_put(json_writer *w, const char *s, size_t n)
{
    if (w->err != 0)
        return w->err;
    if (n >= w->cap - w->len) {
        if (n > JSON_WRITER_MAX_SIZE - w->len - 1)
            return json_writer_fail(w, JSON_ERR_NOMEM);
        size_t ncap = w->cap < 256 ? 256 : w->cap;
        while (ncap - w->len <= n)
            ncap *= 2;
        char *grown = realloc(w->buf, ncap);
        if (grown == NULL)
            return json_writer_fail(w, JSON_ERR_NOMEM);
        w->buf = grown;
        w->cap = ncap;
    }
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return 0;
}

/* Checks that a value may come now and writes the comma before it. */
static int json_writer_value_begin(json_writer *w)
{
    if (w->err != 0)
        return w->err;
    if (w->depth == 0)
        return w->done ? json_writer_fail(w, JSON_ERR_STATE) : 0;
    uint8_t *st = &w->stack[w->depth - 1];
    if (*st & JSON_WRITER_OBJECT) {
        if (!(*st & JSON_WRITER_KEYED))
            return json_writer_fail(w, JSON_ERR_STATE);
        *st &= (uint8_t)~JSON_WRITER_KEYED; /* the comma came before the key */
        return 0;
    }
    bool comma = *st & JSON_WRITER_ITEMS;
    *st |= JSON_WRITER_ITEMS;
    return comma ? json_writer_put(w, ",", 1) : 0;
}

static int json_writer_value_end(json_writer *w)
{
    if (w->err == 0 && w->depth == 0)
        w->done = true;
    return w->err;
}

static int json_writer_open(json_writer *w, uint8_t kind, char bracket)
{
    if (json_writer_value_begin(w) != 0)
        return w->err;
    if (w->depth == JSON_WRITER_MAX_DEPTH)
        return json_writer_fail(w, JSON_ERR_DEPTH);
    w->stack[w->depth++] = kind;
    return json_writer_put(w, &bracket, 1);
}

static int json_writer_close(json_writer *w, uint8_t kind, char bracket)
{
    if (w->err != 0)
        return w->err;
    if (w->depth == 0)
        return json_writer_fail(w, JSON_ERR_STATE);
    uint8_t st = w->stack[w->depth - 1];
    if ((st & JSON_WRITER_OBJECT) != kind || (st & JSON_WRITER_KEYED))
        return json_writer_fail(w, JSON_ERR_STATE);
    w->depth--;
    json_writer_put(w, &bracket, 1);
    return json_writer_value_end(w);
}

int json_writer_object_begin(json_writer *w)
{
    return json_writer_open(w, JSON_WRITER_OBJECT, '{');
}

int json_writer_object_end(json_writer *w)
{
    return json_writer_close(w, JSON_WRITER_OBJECT, '}');
}

int json_writer_array_begin(json_writer *w)
{
    return json_writer_open(w, 0, '[');
}

int json_writer_array_end(json_writer *w)
{
    return json_writer_close(w, 0, ']');
}

/* Writes s as a quoted JSON string: unescaped runs are copied in one go. */
static int json_writer_quoted(json_writer *w, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    size_t run = 0, i = 0;
    json_writer_put(w, "\"", 1);
    while (i < len && w->err == 0) {
        unsigned char c = u[i];
        if (c >= 0x80) {
            size_t n = json_utf8_seq(u + i, len - i);
            if (n == 0)
                return json_writer_fail(w, JSON_ERR_UTF8);
            i += n;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"':
        case '\\':
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        json_writer_put(w, s + run, i - run);
        json_writer_put(w, esc, n);
        run = ++i;
    }
    json_writer_put(w, s + run, len - run);
    return json_writer_put(w, "\"", 1);
}

int json_writer_key(json_writer *w, const char *key)
{
    if (w->err != 0)
        return w->err;
    if (key == NULL || w->depth == 0)
        return json_writer_fail(w, JSON_ERR_STATE);
    uint8_t *st = &w->stack[w->depth - 1];
    if (!(*st & JSON_WRITER_OBJECT) || (*st & JSON_WRITER_KEYED))
        return json_writer_fail(w, JSON_ERR_STATE);
    if (*st & JSON_WRITER_ITEMS)
        json_writer_put(w, ",", 1);
    *st |= JSON_WRITER_ITEMS | JSON_WRITER_KEYED;
    json_writer_quoted(w, key, strlen(key));
    return json_writer_put(w, ":", 1);
}

int json_writer_string_len(json_writer *w, const char *s, size_t len)
{
    if (s == NULL && len > 0)
        return json_writer_fail(w, JSON_ERR_STATE);
    if (json_writer_value_begin(w) != 0)
        return w->err;
    json_writer_quoted(w, s != NULL ? s : "", len);
    return json_writer_value_end(w);
}

int json_writer_string(json_writer *w, const char *s)
{
    if (s == NULL)
        return json_writer_fail(w, JSON_ERR_STATE);
    return json_writer_string_len(w, s, strlen(s));
}

int json_writer_int64(json_writer *w, int64_t v)
{
    char digits[24];
    size_t n = sizeof digits;
    /* Works on the magnitude as unsigned so INT64_MIN needs no special case. */
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--n] = (char)('0' + m % 10);
        m /= 10;
    } while (m != 0);
    if (v < 0)
        digits[--n] = '-';
    if (json_writer_value_begin(w) != 0)
        return w->err;
    json_writer_put(w, digits + n, sizeof digits - n);
    return json_writer_value_end(w);
}

static int json_writer_word(json_writer *w, const char *word)
{
    if (json_writer_value_begin(w) != 0)
        return w->err;
    json_writer_put(w, word, strlen(word));
    return json_writer_value_end(w);
}

int json_writer_bool(json_writer *w, bool v)
{
    return json_writer_word(w, v ? "true" : "false");
}

int json_writer_null(json_writer *w)
{
    return json_writer_word(w, "null");
}

int json_writer_raw(json_writer *w, const char *frag, size_t len)
{
    if (w->err != 0)
        return w->err;
    json_scanner sc;
    if (frag == NULL || len > JSON_MAX_TEXT ||
        json_scan(&sc, frag, len, (size_t)-1, JSON_DEFAULT_MAX_DEPTH) < 0)
        return json_writer_fail(w, JSON_ERR_SYNTAX);
    if (json_writer_value_begin(w) != 0)
        return w->err;
    json_writer_put(w, frag, len);
    return json_writer_value_end(w);
}

char *json_writer_take(json_writer *w, size_t *len)
{
    if (w->err == 0 && !w->done)
        json_writer_fail(w, JSON_ERR_STATE);
    if (w->err != 0)
        return NULL;
    char *out = w->buf; /* done implies bytes were written, so buf is allocated */
    out[w->len] = '\0';
    if (len != NULL)
        *len = w->len;
    w->buf = NULL;
    json_writer_free(w);
    return out;
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

int json_writer_member_string(json_writer *w, const char *key, const char *value)
{
    json_writer_key(w, key);
    return json_writer_string(w, value);
}

int json_writer_member_int64(json_writer *w, const char *key, int64_t value)
{
    json_writer_key(w, key);
    return json_writer_int64(w, value);
}

char *json_writer_finish(json_writer *w, size_t *len)
{
    char *text = json_writer_take(w, len);
    json_writer_free(w);
    return text;
}
