/* json_writer: json_writer, which writes one JSON value (request bodies) into a growable
 * buffer it owns; status codes are json.h's json_status. */
#ifndef SVCLINK_JSON_JSON_WRITER_H
#define SVCLINK_JSON_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "json/json.h"

#define JSON_WRITER_MAX_DEPTH 64
#define JSON_WRITER_MAX_SIZE ((size_t)1 << 30)

/* A writer of one JSON value into a growable buffer it owns. Commas are automatic. The
 * first failure sticks (BearSSL style): later calls do nothing and return it, so a
 * caller may make many calls and check once, with json_writer_error or json_writer_take.
 * Strings must be valid UTF-8 (JSON_ERR_UTF8 otherwise; nothing is replaced silently);
 * '"', '\\' and control characters are escaped. Every call returns the sticky status. */
typedef struct {
    char *buf;          /* owned */
    size_t len, cap;
    int err;            /* 0 or a json_status */
    unsigned depth;
    bool done;          /* the top-level value is complete */
    uint8_t stack[JSON_WRITER_MAX_DEPTH]; /* private: per open container, see json_writer.c */
} json_writer;

void json_writer_init(json_writer *w);
void json_writer_free(json_writer *w);
int json_writer_error(const json_writer *w);
int json_writer_object_begin(json_writer *w);
int json_writer_object_end(json_writer *w);
int json_writer_array_begin(json_writer *w);
int json_writer_array_end(json_writer *w);
int json_writer_key(json_writer *w, const char *key);
int json_writer_string(json_writer *w, const char *s);
/* s may hold NUL bytes (written as \u0000). */
int json_writer_string_len(json_writer *w, const char *s, size_t len);
int json_writer_int64(json_writer *w, int64_t v);
int json_writer_bool(json_writer *w, bool v);
int json_writer_null(json_writer *w);
/* A member of the current object: key then value, in one call. */
int json_writer_member_string(json_writer *w, const char *key, const char *value);
int json_writer_member_int64(json_writer *w, const char *key, int64_t value);
/* json_writer_take then json_writer_free: the text (caller frees) or NULL on error. */
char *json_writer_finish(json_writer *w, size_t *len);
/* Appends an already-encoded value verbatim after checking that it is exactly one valid
 * JSON value (nesting up to JSON_DEFAULT_MAX_DEPTH). */
int json_writer_raw(json_writer *w, const char *frag, size_t len);
/* Hands the NUL-terminated text to the caller (who frees it) and resets the writer to
 * empty. NULL when an error is pending or the value is incomplete (error set to
 * JSON_ERR_STATE); the writer must then still be freed. */
char *json_writer_take(json_writer *w, size_t *len);

#endif
