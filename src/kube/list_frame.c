/* list_frame: a byte-at-a-time state machine over a LIST body. It knows only the list's outer
 * shape; each item is captured whole (bounded) and parsed strictly by the caller. */
#include "kube/list_frame.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where in the list's outer shape the next byte belongs. */
enum {
    JF_ROOT,          /* before the root '{' */
    JF_KEY_OR_END,    /* after the root '{': a key or '}' */
    JF_KEY_START,     /* after ',' between members: a key */
    JF_KEY,           /* inside a top-level key */
    JF_KEY_ESC,       /* after a backslash in a key */
    JF_COLON,
    JF_VALUE,         /* a member's value starts */
    JF_NULL,          /* "items": null, being matched */
    JF_AFTER_MEMBER,  /* ',' or the root's '}' */
    JF_ELEM_OR_END,   /* after "items": [ */
    JF_ELEM,          /* after ',' in items */
    JF_AFTER_ELEM,    /* ',' or ']' */
    JF_CAPTURE,       /* inside an item or the metadata, held */
    JF_SKIP,          /* inside another member's container, not held */
    JF_SKIP_SCALAR,   /* another member's number or literal */
    JF_SKIP_STRING,   /* another member's string value */
    JF_DONE,          /* the root closed: only whitespace may follow */
};

enum { JF_MEMBER_OTHER, JF_MEMBER_ITEMS, JF_MEMBER_META };
enum { JF_V_PLAIN, JF_V_STR, JF_V_ESC }; /* inside a captured or skipped value */

void list_frame_init(list_frame *f, size_t item_max)
{
    memset(f, 0, sizeof *f);
    f->item_max = item_max > 0 ? item_max : LIST_FRAME_ITEM_MAX_DEFAULT;
}

void list_frame_free(list_frame *f)
{
    free(f->buf_);
    f->buf_ = NULL;
    f->cap_ = f->len_ = 0;
}

void list_frame_reset(list_frame *f)
{
    size_t max = f->item_max;
    list_frame_free(f);
    list_frame_init(f, max);
}

__attribute__((format(printf, 2, 3))) static int jf_fail(list_frame *f, const char *fmt, ...)
{
    char what[LIST_FRAME_ERROR_MAX - 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(f->error, sizeof f->error, "%s at byte %" PRIu64, what, f->offset);
    f->failed = true;
    return -1;
}

static bool jf_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Bytes a number or literal may contain; anything else ends it or is an error. */
static bool jf_scalar_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '-' || c == '+' || c == '.' ||
           c == 'E';
}

static int jf_push(list_frame *f, unsigned char c)
{
    if (f->depth_ >= LIST_FRAME_MAX_DEPTH)
        return jf_fail(f, "nesting deeper than %d", LIST_FRAME_MAX_DEPTH);
    f->stack_[f->depth_++] = c;
    return 0;
}

static int jf_pop(list_frame *f, unsigned char close)
{
    unsigned char open = close == '}' ? '{' : '[';
    if (f->depth_ == 0 || f->stack_[f->depth_ - 1] != open)
        return jf_fail(f, "unexpected '%c'", close);
    f->depth_--;
    return 0;
}

static int jf_gap(list_frame *f)
{
    if (++f->gap_ > LIST_FRAME_GAP_MAX)
        return jf_fail(f, "more than %zu bytes outside the list's items", LIST_FRAME_GAP_MAX);
    return 0;
}

static int jf_hold(list_frame *f, unsigned char c)
{
    if (f->len_ >= f->cap_limit_) {
        if (f->member_ == JF_MEMBER_META)
            return jf_fail(f, "the list's metadata exceeds %zu bytes", f->cap_limit_);
        return jf_fail(f, "items[%" PRIu64 "] exceeds %zu bytes", f->items, f->cap_limit_);
    }
    if (f->len_ == f->cap_) {
        size_t ncap = f->cap_ < 4096 ? 4096 : f->cap_ * 2;
        if (ncap > f->cap_limit_)
            ncap = f->cap_limit_;
        char *grown = realloc(f->buf_, ncap);
        if (grown == NULL)
            return jf_fail(f, "out of memory for items[%" PRIu64 "] (%zu bytes)", f->items, ncap);
        f->buf_ = grown;
        f->cap_ = ncap;
    }
    f->buf_[f->len_++] = (char)c;
    return 0;
}

/* Starts capturing a container value ('{' already seen) as an item or the metadata. */
static int jf_capture_begin(list_frame *f, int member)
{
    f->member_ = member;
    f->cap_limit_ = member == JF_MEMBER_META ? LIST_FRAME_META_MAX : f->item_max;
    f->len_ = 0;
    f->value_state_ = JF_V_PLAIN;
    f->value_base_ = f->depth_;
    f->state_ = JF_CAPTURE;
    if (jf_push(f, '{') != 0)
        return -1;
    return jf_hold(f, '{');
}

static int jf_emit(list_frame *f, list_frame_cb cb, void *arg)
{
    bool item = f->member_ == JF_MEMBER_ITEMS;
    char err[LIST_FRAME_ERROR_MAX - 1] = "";
    int rc = cb(arg, item ? LIST_FRAME_ITEM : LIST_FRAME_META, f->buf_, f->len_, err, sizeof err);
    if (rc != 0) {
        snprintf(f->error, sizeof f->error, "%s", err[0] ? err : "refused by the receiver");
        f->failed = true;
        return -1;
    }
    if (item)
        f->items++;
    else
        f->seen_meta_ = true;
    f->gap_ = 0;
    f->len_ = 0;
    if (f->cap_ > LIST_FRAME_KEEP_MAX) {
        free(f->buf_);
        f->buf_ = NULL;
        f->cap_ = 0;
    }
    f->state_ = item ? JF_AFTER_ELEM : JF_AFTER_MEMBER;
    return 0;
}

/* Strings and brackets inside a captured or skipped value. Returns 1 when the value's
 * closing bracket was this byte, 0 to go on, -1 on error. */
static int jf_value_byte(list_frame *f, unsigned char c)
{
    switch (f->value_state_) {
    case JF_V_ESC:
        f->value_state_ = JF_V_STR;
        return 0;
    case JF_V_STR:
        if (c == '\\')
            f->value_state_ = JF_V_ESC;
        else if (c == '"')
            f->value_state_ = JF_V_PLAIN;
        else if (c < 0x20)
            return jf_fail(f, "control byte 0x%02x in a string", c);
        return 0;
    default:
        break;
    }
    if (c == '"') {
        f->value_state_ = JF_V_STR;
        return 0;
    }
    if (c == '{' || c == '[')
        return jf_push(f, c);
    if (c == '}' || c == ']') {
        if (jf_pop(f, c) != 0)
            return -1;
        return f->depth_ == f->value_base_ ? 1 : 0;
    }
    return 0;
}

static int jf_key_done(list_frame *f)
{
    f->member_ = JF_MEMBER_OTHER;
    if (!f->key_long_ && f->key_len_ == 5 && memcmp(f->key_, "items", 5) == 0) {
        if (f->seen_items_)
            return jf_fail(f, "the list has two \"items\" members");
        f->member_ = JF_MEMBER_ITEMS;
        f->seen_items_ = true;
    } else if (!f->key_long_ && f->key_len_ == 8 && memcmp(f->key_, "metadata", 8) == 0) {
        if (f->seen_meta_)
            return jf_fail(f, "the list has two \"metadata\" members");
        f->member_ = JF_MEMBER_META;
    }
    f->state_ = JF_COLON;
    return 0;
}

static int jf_value_start(list_frame *f, unsigned char c)
{
    if (f->member_ == JF_MEMBER_ITEMS) {
        if (c == '[') {
            f->state_ = JF_ELEM_OR_END;
            return jf_push(f, c);
        }
        if (c == 'n') {
            f->key_len_ = 1; /* matching "null" */
            f->state_ = JF_NULL;
            return 0;
        }
        return jf_fail(f, "the list's \"items\" is not an array");
    }
    if (f->member_ == JF_MEMBER_META) {
        if (c != '{')
            return jf_fail(f, "the list's \"metadata\" is not an object");
        return jf_capture_begin(f, JF_MEMBER_META);
    }
    if (jf_gap(f) != 0)
        return -1;
    if (c == '{' || c == '[') {
        f->value_state_ = JF_V_PLAIN;
        f->value_base_ = f->depth_;
        f->state_ = JF_SKIP;
        return jf_push(f, c);
    }
    if (c == '"') {
        f->state_ = JF_SKIP_STRING;
        f->value_state_ = JF_V_STR;
        return 0;
    }
    if (!jf_scalar_byte(c))
        return jf_fail(f, "unexpected byte 0x%02x at the start of a value", c);
    f->state_ = JF_SKIP_SCALAR;
    return 0;
}

/* One byte of the list's outer shape (everything but captured and skipped values). */
static int jf_outer_byte(list_frame *f, unsigned char c)
{
    switch (f->state_) {
    case JF_ROOT:
        if (c != '{')
            return jf_fail(f, "the body is not a JSON object (byte 0x%02x)", c);
        f->state_ = JF_KEY_OR_END;
        return jf_push(f, c);
    case JF_KEY_OR_END:
    case JF_KEY_START:
        if (c == '}' && f->state_ == JF_KEY_OR_END) {
            f->depth_--;
            f->state_ = JF_DONE;
            return 0;
        }
        if (c != '"')
            return jf_fail(f, "expected a member name, got byte 0x%02x", c);
        f->key_len_ = 0;
        f->key_long_ = false;
        f->state_ = JF_KEY;
        return 0;
    case JF_COLON:
        if (c != ':')
            return jf_fail(f, "expected ':', got byte 0x%02x", c);
        f->state_ = JF_VALUE;
        return 0;
    case JF_VALUE:
        return jf_value_start(f, c);
    case JF_AFTER_MEMBER:
        if (c == ',') {
            f->state_ = JF_KEY_START;
            return 0;
        }
        if (c == '}') {
            f->depth_--;
            f->state_ = JF_DONE;
            return 0;
        }
        return jf_fail(f, "expected ',' or '}' after a member, got byte 0x%02x", c);
    case JF_ELEM_OR_END:
    case JF_ELEM:
        if (c == '{')
            return jf_capture_begin(f, JF_MEMBER_ITEMS);
        if (c == ']' && f->state_ == JF_ELEM_OR_END) {
            f->state_ = JF_AFTER_MEMBER;
            return jf_pop(f, c);
        }
        return jf_fail(f, "items[%" PRIu64 "] is not an object", f->items);
    case JF_AFTER_ELEM:
        if (c == ',') {
            f->state_ = JF_ELEM;
            return 0;
        }
        if (c == ']') {
            f->state_ = JF_AFTER_MEMBER;
            return jf_pop(f, c);
        }
        return jf_fail(f, "expected ',' or ']' after items[%" PRIu64 "], got byte 0x%02x", f->items - 1, c);
    default: /* JF_DONE */
        return jf_fail(f, "data after the list's end");
    }
}

static int jf_byte(list_frame *f, unsigned char c, list_frame_cb cb, void *arg)
{
    int rc;
    switch (f->state_) {
    case JF_CAPTURE:
        if (jf_hold(f, c) != 0)
            return -1;
        rc = jf_value_byte(f, c);
        return rc == 1 ? jf_emit(f, cb, arg) : rc;
    case JF_SKIP:
    case JF_SKIP_STRING:
        if (jf_gap(f) != 0)
            return -1;
        rc = jf_value_byte(f, c);
        if (f->state_ == JF_SKIP_STRING && rc == 0 && f->value_state_ == JF_V_PLAIN)
            f->state_ = JF_AFTER_MEMBER;
        else if (rc == 1)
            f->state_ = JF_AFTER_MEMBER;
        return rc < 0 ? -1 : 0;
    case JF_SKIP_SCALAR:
        if (jf_scalar_byte(c))
            return jf_gap(f);
        f->state_ = JF_AFTER_MEMBER;
        break; /* this byte ends the scalar and belongs to the outer shape */
    case JF_KEY:
        if (c == '"')
            return jf_key_done(f);
        if (c < 0x20)
            return jf_fail(f, "control byte 0x%02x in a member name", c);
        if (c == '\\')
            f->state_ = JF_KEY_ESC;
        if (f->key_len_ < sizeof f->key_)
            f->key_[f->key_len_++] = (char)c;
        else
            f->key_long_ = true;
        return jf_gap(f);
    case JF_KEY_ESC:
        f->key_long_ = true; /* an escaped name is never "items" or "metadata" as sent */
        f->state_ = JF_KEY;
        return jf_gap(f);
    case JF_NULL:
        if (c != (unsigned char)"null"[f->key_len_])
            return jf_fail(f, "the list's \"items\" is not an array");
        if (++f->key_len_ == 4)
            f->state_ = JF_AFTER_MEMBER;
        return 0;
    default:
        break;
    }
    if (jf_ws(c))
        return jf_gap(f);
    if (f->state_ != JF_DONE && jf_gap(f) != 0)
        return -1;
    return jf_outer_byte(f, c);
}

int list_frame_feed(list_frame *f, const char *data, size_t len, list_frame_cb cb, void *arg)
{
    if (f->failed)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (jf_byte(f, (unsigned char)data[i], cb, arg) != 0)
            return -1;
        f->offset++;
    }
    return 0;
}

int list_frame_finish(list_frame *f)
{
    if (f->failed)
        return -1;
    if (f->state_ == JF_DONE)
        return 0;
    if (f->state_ == JF_CAPTURE && f->member_ == JF_MEMBER_ITEMS)
        return jf_fail(f, "the body ended inside items[%" PRIu64 "]", f->items);
    if (f->state_ == JF_ROOT)
        return jf_fail(f, "the body is empty");
    return jf_fail(f, "the body ended before the list was complete");
}
