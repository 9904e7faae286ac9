/* json_writer: the request-body writer, json_writer: commas and nesting tracked per open
 * container, strings checked as UTF-8 and escaped, the first error kept. */
#include "json/json_writer.h"

#include <stdlib.h>
#include <string.h>

#include "json/json_scan.h"

/* Per open container in json_writer.stack. */
#define JSON_WRITER_OBJECT 1u /* an object, not an array */
#define JSON_WRITER_ITEMS 2u  /* something was written in it: the next item needs a comma */
#define JSON_WRITER_KEYED 4u  /* object: a key was written, its value comes next */

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
            size_t n = json_scan_utf8_seq(u + i, len - i);
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
    json_scan sc;
    if (frag == NULL || len > JSON_MAX_TEXT ||
        json_scan_run(&sc, frag, len, (size_t)-1, JSON_DEFAULT_MAX_DEPTH) < 0)
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
