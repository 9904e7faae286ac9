/* json_scan: the strict RFC 8259 validator json_parse and json_writer_raw run before jsmn, and
 * the string grammar (UTF-8 sequences, escapes) that json's unescaping decodes with. */
#ifndef SVCLINK_JSON_JSON_SCAN_H
#define SVCLINK_JSON_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The deepest nesting any JSON document here may have: json_doc.max_depth is clamped to it,
 * and the scanner keeps one bit per level. */
#define JSON_HARD_MAX_DEPTH 1024

/* Scan state, filled by json_scan_run: plain data, nothing to free. */
typedef struct {
    const unsigned char *s;
    size_t len, pos;
    size_t tokens, max_tokens; /* jsmn's count: one per value and one per key */
    int depth, max_depth;
    uint8_t is_object[JSON_HARD_MAX_DEPTH / 8]; /* one bit per open container */
    const char *what;                           /* on failure: what was wrong */
    size_t at;                                  /* ... and where */
} json_scan;

/* The two limit messages, told apart by address so json_parse can name the limit. */
extern const char json_scan_msg_tokens[];
extern const char json_scan_msg_depth[];

/* Validates text as exactly one JSON value with optional surrounding whitespace: full
 * RFC 8259 grammar, no recursion, no allocation. max_depth is at most
 * JSON_HARD_MAX_DEPTH. Returns 0 with sc->tokens the count jsmn will produce, or -1 with
 * sc->what and sc->at saying what was wrong where. */
int json_scan_run(json_scan *sc, const char *text, size_t len, size_t max_tokens, int max_depth);

bool json_scan_is_digit(unsigned char c);

/* Length (1-4) of the well-formed UTF-8 sequence at s (avail > 0 bytes), or 0 when it is
 * malformed: overlong forms, UTF-16 surrogates and code points past U+10FFFF included. */
size_t json_scan_utf8_seq(const unsigned char *s, size_t avail);

/* Decodes the escape starting at the backslash s[i] (i < end). Returns the index just
 * after it and sets *cp, or 0 (never a valid answer) with *why set. A \uD800-\uDBFF must
 * be followed by a \uDC00-\uDFFF; either half alone is refused, never replaced. */
size_t json_scan_escape_decode(const unsigned char *s, size_t i, size_t end, uint32_t *cp,
                           const char **why);

#endif
