/* json_scan: a strict validator in front of jsmn (which tokenizes but accepts much invalid
 * JSON), so jsmn only ever sees valid JSON; its string grammar is json.c's too. */
#include "json/json_scan.h"

#include <string.h>

#include "base/text.h"

/* ---- byte-level grammar, shared with json.c's unescaping and the writer ---- */

static bool json_scan_is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool json_scan_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

size_t json_scan_utf8_seq(const unsigned char *s, size_t avail)
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

/* The 4 hex digits at s[i..i+4) (bounded by end), or -1. */
static long json_scan_hex4(const unsigned char *s, size_t i, size_t end)
{
    if (end < i || end - i < 4)
        return -1;
    long v = 0;
    for (size_t k = 0; k < 4; k++) {
        int h = text_hex_value(s[i + k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

size_t json_scan_escape_decode(const unsigned char *s, size_t i, size_t end, uint32_t *cp,
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
    long hi = json_scan_hex4(s, i + 2, end);
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
        lo = json_scan_hex4(s, i + 8, end);
    if (lo < 0xDC00 || lo > 0xDFFF) {
        *why = "lone high surrogate (a \\uDC00-\\uDFFF escape must follow)";
        return 0;
    }
    *cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
    return i + 12;
}

/* ---- the validator: full RFC 8259 grammar, no recursion, no allocation ---- */

static int json_scan_fail(json_scan *sc, size_t at, const char *what)
{
    sc->what = what;
    sc->at = at;
    return -1;
}

static void json_scan_ws(json_scan *sc)
{
    while (sc->pos < sc->len && json_scan_is_ws(sc->s[sc->pos]))
        sc->pos++;
}

const char json_scan_msg_tokens[] = "too many tokens";
const char json_scan_msg_depth[] = "nesting too deep";

static int json_scan_token(json_scan *sc)
{
    if (++sc->tokens > sc->max_tokens)
        return json_scan_fail(sc, sc->pos, json_scan_msg_tokens);
    return 0;
}

static int json_scan_string(json_scan *sc)
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
            size_t next = json_scan_escape_decode(sc->s, sc->pos, sc->len, &cp, &why);
            if (next == 0)
                return json_scan_fail(sc, sc->pos, why);
            sc->pos = next;
        } else if (c < 0x20) {
            return json_scan_fail(sc, sc->pos, "raw control character in string");
        } else {
            size_t n = json_scan_utf8_seq(sc->s + sc->pos, sc->len - sc->pos);
            if (n == 0)
                return json_scan_fail(sc, sc->pos, "invalid UTF-8 in string");
            sc->pos += n;
        }
    }
    return json_scan_fail(sc, open, "unterminated string starting");
}

static bool json_scan_is_word_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || json_scan_is_digit(c) || c == '_';
}

static bool json_scan_digit_at(const json_scan *sc, size_t p)
{
    return p < sc->len && json_scan_is_digit(sc->s[p]);
}

static int json_scan_number(json_scan *sc)
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
    if (p < sc->len && (json_scan_is_word_char(sc->s[p]) || sc->s[p] == '.' || sc->s[p] == '+' ||
                           sc->s[p] == '-'))
        return json_scan_fail(sc, p, "invalid number");
    sc->pos = p;
    return 0;
}

static int json_scan_literal(json_scan *sc)
{
    static const char *const words[] = {"true", "false", "null"};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if (sc->len - sc->pos >= n && memcmp(sc->s + sc->pos, words[i], n) == 0 &&
            !(sc->len - sc->pos > n && json_scan_is_word_char(sc->s[sc->pos + n]))) {
            sc->pos += n;
            return 0;
        }
    }
    return json_scan_fail(sc, sc->pos, "invalid literal (expected true, false or null)");
}

static bool json_scan_in_object(const json_scan *sc)
{
    int d = sc->depth - 1;
    return (sc->is_object[d / 8] >> (d % 8)) & 1u;
}

/* A key, its ':' and the whitespace after: leaves pos at the member's value. */
static int json_scan_key(json_scan *sc)
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
static int json_scan_value(json_scan *sc)
{
    if (sc->pos >= sc->len)
        return json_scan_fail(sc, sc->pos, "unexpected end of input (expected a value)");
    if (json_scan_token(sc) < 0)
        return -1;
    unsigned char c = sc->s[sc->pos];
    if (c == '{' || c == '[') {
        if (sc->depth >= sc->max_depth)
            return json_scan_fail(sc, sc->pos, json_scan_msg_depth);
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
    if (c == '-' || json_scan_is_digit(c))
        return json_scan_number(sc);
    if (json_scan_is_word_char(c))
        return json_scan_literal(sc);
    return json_scan_fail(sc, sc->pos, "unexpected character (expected a value)");
}

/* After a complete value: closes containers. Returns 1 when another value is expected,
 * 0 when the top-level value is complete, -1 on error. */
static int json_scan_after_value(json_scan *sc)
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

int json_scan_run(json_scan *sc, const char *text, size_t len, size_t max_tokens, int max_depth)
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
