/* json: strict JSON documents for API bodies and watch events (jsmn tokens behind a
 * validating front end), navigation and unescaping. The writer is json_writer.h. */
#ifndef SVCLINK_JSON_JSON_H
#define SVCLINK_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json_scan.h" /* JSON_HARD_MAX_DEPTH, the clamp of max_depth */

/* Limits. A zero in json_doc.max_tokens / max_depth means the default. */
#define JSON_DEFAULT_MAX_TOKENS 4000000 /* about 80 MB of tokens: far beyond any list page */
#define JSON_DEFAULT_MAX_DEPTH 64       /* Kubernetes objects, managedFields included, stay < 30 */
#define JSON_MAX_TEXT ((size_t)1 << 30) /* jsmn keeps offsets in int */

/* Status codes of the value accessors and of json_writer.h's writer (0 is success). */
typedef enum {
    JSON_OK = 0,
    JSON_ERR_TYPE = -1,   /* bad token index, or the token is not of the asked kind */
    JSON_ERR_SPACE = -2,  /* the output buffer is too small */
    JSON_ERR_NUL = -3,    /* the string holds \u0000, which a C string cannot carry */
    JSON_ERR_RANGE = -4,  /* a number that is not an integer or does not fit */
    JSON_ERR_NOMEM = -5,  /* allocation failed or a size limit was reached */
    JSON_ERR_UTF8 = -6,   /* writer: a string is not valid UTF-8 */
    JSON_ERR_STATE = -7,  /* writer: call out of place (value without key, unbalanced end) */
    JSON_ERR_DEPTH = -8,  /* writer: nesting beyond JSON_WRITER_MAX_DEPTH */
    JSON_ERR_SYNTAX = -9, /* writer: a raw fragment is not exactly one valid JSON value */
} json_status;

typedef enum {
    JSON_NONE = 0, /* no such token */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_BOOL,
    JSON_NULL,
} json_kind;

/* A parsed document: tokens in document order, indexed from 0 (the root). An object's
 * members are key tokens; a key's value is the token right after it. Token indices stay
 * valid until the next json_parse or json_doc_free on the same doc. */
typedef struct {
    const char *text;   /* borrowed: the caller keeps the parsed text alive and unchanged */
    size_t len;
    void *toks;         /* owned, private (jsmntok_t[cap]); kept across parses for reuse */
    int count;          /* tokens of the current document; 0 after a failed parse */
    int cap;
    int max_tokens;     /* 0: JSON_DEFAULT_MAX_TOKENS */
    int max_depth;      /* 0: JSON_DEFAULT_MAX_DEPTH */
    size_t err_offset;  /* after a failed json_parse: byte offset of the error */
} json_doc;

/* Zeroes doc (a zeroed json_doc is equally ready). */
void json_doc_init(json_doc *doc);
/* Releases the token array; the doc is zeroed and may be reused. */
void json_doc_free(json_doc *doc);

/* Parses exactly one JSON value (RFC 8259) surrounded by optional whitespace. Rejects
 * everything jsmn would let through: bad literals and numbers, missing or extra commas and
 * colons, bad escapes, lone surrogates, raw control characters and invalid UTF-8 in
 * strings, NUL bytes, trailing data, nesting deeper than max_depth, more than max_tokens
 * tokens, text longer than JSON_MAX_TEXT. May be called again on the same doc: the token
 * array is reused (grown as needed; shrunk when a small document follows a huge one).
 * Returns 0, or -1 with err saying what went wrong at which byte (doc->err_offset). */
int json_parse(json_doc *doc, const char *text, size_t len, char *err, size_t errlen);

/* Navigation. Every function accepts any index and answers JSON_NONE / -1 / false for
 * one that is out of range or of the wrong kind. */
json_kind json_tok_kind(const json_doc *doc, int tok);
bool json_is_object(const json_doc *doc, int tok);
bool json_is_array(const json_doc *doc, int tok);
bool json_is_string(const json_doc *doc, int tok);
bool json_is_null(const json_doc *doc, int tok);
/* Members of an object or elements of an array; -1 for other kinds. */
int json_len(const json_doc *doc, int tok);
/* Next sibling (skipping tok's subtree; for a key, its value too) or -1 after the last. */
int json_next(const json_doc *doc, int tok);
/* First element of an array / first key of an object, or -1 when empty or not one. */
int json_arr_first(const json_doc *doc, int arr);
int json_obj_first(const json_doc *doc, int obj);
/* The value of a key token returned by json_obj_first/json_next, or -1. */
int json_obj_value(const json_doc *doc, int key);
/* Value of member key (compared after unescaping) in object obj, or -1. With duplicate
 * keys the first wins (the API server never sends duplicates). */
int json_obj_get(const json_doc *doc, int obj, const char *key);
/* Follows a NULL-terminated list of keys from tok: json_path(doc, 0, "metadata", "name",
 * NULL). Returns the final token or -1 when a step is missing or not an object. */
int json_path(const json_doc *doc, int tok, ...) __attribute__((sentinel));
/* The token's JSON text as it appears in the source (strings with their quotes), for
 * json_writer_raw or messages; NULL for a bad index. */
const char *json_raw(const json_doc *doc, int tok, size_t *len);

/* Values. Strings are unescaped (\uXXXX surrogate pairs become one UTF-8 character);
 * the output is NUL-terminated, so a string holding \u0000 is refused (JSON_ERR_NUL). */
/* True when tok is a string equal, after unescaping, to the NUL-terminated lit. */
bool json_str_eq(const json_doc *doc, int tok, const char *lit);
/* Unescapes into buf (cap bytes with the NUL). On JSON_ERR_SPACE and JSON_ERR_NUL buf holds
 * the longest prefix that fits, cut at a character boundary; on JSON_ERR_TYPE it is "".
 * *out_len (may be NULL) gets the length written, without the NUL. */
int json_str_copy(const json_doc *doc, int tok, char *buf, size_t cap, size_t *out_len);
/* A malloc'd unescaped copy (caller frees), or NULL when not a string, \u0000, or OOM. */
char *json_str_dup(const json_doc *doc, int tok);
/* Integers only ("12", "-3"; not "1.0" or "1e3": JSON_ERR_RANGE), overflow-checked. */
int json_int64(const json_doc *doc, int tok, int64_t *out);
int json_bool(const json_doc *doc, int tok, bool *out);

/* A token's JSON text for an error message: at most 40 bytes, unprintable bytes as '?'
 * (so hostile input cannot put control sequences into logs or status), "..." when cut.
 * Writes into buf and returns it. Never use it on a token holding a credential. */
#define JSON_QUOTE_SIZE 48
const char *json_quote(const json_doc *doc, int tok, char buf[JSON_QUOTE_SIZE]);

/* A short English description of a json_status. */
const char *json_strerror(int status);

#endif
