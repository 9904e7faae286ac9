/* http_body: HTTP/1.1 body framing (Content-Length, chunked, until close), decoded in place;
 * the chunked decoder is a byte-at-a-time state machine, so any split of the input works. */
#include "net/http_body.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "net/http_char.h"
#include "base/text.h"

enum {
    HTTP_CS_SIZE_FIRST, /* first hex digit of a chunk size */
    HTTP_CS_SIZE,       /* more hex digits */
    HTTP_CS_SIZE_BWS,   /* whitespace after the size, before ';' or CR */
    HTTP_CS_EXT,        /* chunk extensions, skipped */
    HTTP_CS_SIZE_LF,    /* LF ending the size line */
    HTTP_CS_DATA,
    HTTP_CS_DATA_CR,
    HTTP_CS_DATA_LF,
    HTTP_CS_TRAILER_START, /* start of a trailer line, or CR of the final CRLF */
    HTTP_CS_TRAILER_NAME,
    HTTP_CS_TRAILER_VALUE,
    HTTP_CS_TRAILER_LF,
    HTTP_CS_FINAL_LF
};

__attribute__((format(printf, 2, 3))) static int http_body_fail(http_body *b, const char *fmt,
                                                                  ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->error, sizeof b->error, fmt, ap);
    va_end(ap);
    b->failed_ = true;
    return -1;
}

int http_body_init(http_body *b, const http_response *r, const char *method, uint64_t body_max)
{
    memset(b, 0, sizeof *b);
    b->max = body_max;
    b->close_after = r->close;
    bool head_request = method != NULL && strcmp(method, "HEAD") == 0;
    if (head_request || r->status < 200 || r->status == 204 || r->status == 304) {
        b->framing = HTTP_FRAMING_NONE;
        b->done = true;
        return 0;
    }
    if (r->chunked) {
        b->framing = HTTP_FRAMING_CHUNKED;
        b->state_ = HTTP_CS_SIZE_FIRST;
        return 0;
    }
    if (r->has_content_length) {
        b->framing = HTTP_FRAMING_LENGTH;
        if (r->content_length > body_max)
            return http_body_fail(b, "Content-Length %" PRIu64 " exceeds the body limit of %" PRIu64
                                     " bytes", r->content_length, body_max);
        b->remaining_ = r->content_length;
        b->done = r->content_length == 0;
        return 0;
    }
    b->framing = HTTP_FRAMING_CLOSE;
    b->close_after = true;
    return 0;
}

static int http_chunk_size_line_byte(http_body *b)
{
    if (++b->line_len_ > HTTP_CHUNK_LINE_MAX)
        return http_body_fail(b, "chunk size line longer than %d bytes", HTTP_CHUNK_LINE_MAX);
    return 0;
}

/* The end of a size line: the last chunk leads to trailers, any other to its data,
 * refused up front when it would take the body over its limit. */
static int http_chunk_size_done(http_body *b, uint64_t at)
{
    if (b->chunk_size_ == 0) {
        b->state_ = HTTP_CS_TRAILER_START;
        return 0;
    }
    if (b->chunk_size_ > b->max - b->decoded)
        return http_body_fail(b, "chunk of %" PRIu64 " bytes at body byte %" PRIu64
                                 " takes the body over its limit of %" PRIu64 " bytes",
                              b->chunk_size_, at, b->max);
    b->remaining_ = b->chunk_size_;
    b->state_ = HTTP_CS_DATA;
    return 0;
}

/* One byte of the trailer section (fields, then the final CRLF): checked, counted
 * against the section limit, and dropped. */
static int http_trailer_step(http_body *b, unsigned char c, uint64_t at)
{
    if (++b->trailer_bytes_ > HTTP_TRAILER_BYTES_MAX)
        return http_body_fail(b, "chunked trailer section longer than %d bytes",
                              HTTP_TRAILER_BYTES_MAX);
    switch (b->state_) {
    case HTTP_CS_TRAILER_START:
        if (c == '\r') {
            b->state_ = HTTP_CS_FINAL_LF;
            return 0;
        }
        if (!http_char_is_tchar(c))
            return http_body_fail(b, "invalid trailer field at body byte %" PRIu64, at);
        if (++b->trailer_count_ > HTTP_TRAILER_COUNT_MAX)
            return http_body_fail(b, "more than %d trailer fields", HTTP_TRAILER_COUNT_MAX);
        b->state_ = HTTP_CS_TRAILER_NAME;
        return 0;
    case HTTP_CS_TRAILER_NAME:
        if (c == ':')
            b->state_ = HTTP_CS_TRAILER_VALUE;
        else if (!http_char_is_tchar(c))
            return http_body_fail(b, "invalid trailer field name at body byte %" PRIu64, at);
        return 0;
    case HTTP_CS_TRAILER_VALUE:
        if (c == '\r')
            b->state_ = HTTP_CS_TRAILER_LF;
        else if (!http_char_is_value_byte(c))
            return http_body_fail(b, "control byte 0x%02x in trailer at body byte %" PRIu64, c, at);
        return 0;
    case HTTP_CS_TRAILER_LF:
        if (c != '\n')
            return http_body_fail(b, "trailer line not ended by CRLF at body byte %" PRIu64, at);
        b->state_ = HTTP_CS_TRAILER_START;
        return 0;
    case HTTP_CS_FINAL_LF:
        if (c != '\n')
            return http_body_fail(b, "chunked body not ended by CRLF at body byte %" PRIu64, at);
        return 1;
    default:
        return http_body_fail(b, "chunked decoder in unknown trailer state %d", b->state_);
    }
}

/* A byte after the size digits: whitespace (BWS), extensions, or the line end. */
static int http_chunk_after_size(http_body *b, unsigned char c, uint64_t at)
{
    if (c == '\r') {
        b->state_ = HTTP_CS_SIZE_LF;
        return 0; /* the line limit counts the line without its CRLF */
    }
    if (c == ';')
        b->state_ = HTTP_CS_EXT;
    else if (http_char_is_ows(c))
        b->state_ = HTTP_CS_SIZE_BWS;
    else if (c == '\n')
        return http_body_fail(b, "chunk size line not ended by CRLF at body byte %" PRIu64, at);
    else
        return http_body_fail(b, "invalid byte 0x%02x in chunk size at body byte %" PRIu64, c, at);
    return http_chunk_size_line_byte(b);
}

/* One framing byte (anything but chunk data) at input offset at. Returns 1 when the
 * body is complete, 0 to go on, -1 on error. */
static int http_chunk_byte(http_body *b, unsigned char c, uint64_t at)
{
    int hex = text_hex_value(c);
    switch (b->state_) {
    case HTTP_CS_SIZE_FIRST:
        if (hex < 0)
            return http_body_fail(b, "chunk size expected at body byte %" PRIu64
                                     ", found byte 0x%02x", at, c);
        b->chunk_size_ = (uint64_t)hex;
        b->line_len_ = 1;
        b->state_ = HTTP_CS_SIZE;
        return 0;
    case HTTP_CS_SIZE:
        if (hex >= 0) {
            if (b->chunk_size_ > (UINT64_MAX >> 4))
                return http_body_fail(b, "chunk size overflows 64 bits at body byte %" PRIu64, at);
            b->chunk_size_ = b->chunk_size_ << 4 | (uint64_t)hex;
            return http_chunk_size_line_byte(b);
        }
        return http_chunk_after_size(b, c, at);
    case HTTP_CS_SIZE_BWS:
        return http_chunk_after_size(b, c, at);
    case HTTP_CS_EXT:
        if (c == '\r') {
            b->state_ = HTTP_CS_SIZE_LF;
            return 0;
        }
        if (!http_char_is_value_byte(c))
            return http_body_fail(b, "control byte 0x%02x in chunk extension at body byte %" PRIu64,
                                  c, at);
        return http_chunk_size_line_byte(b);
    case HTTP_CS_SIZE_LF:
        if (c != '\n')
            return http_body_fail(b, "chunk size line not ended by CRLF at body byte %" PRIu64, at);
        return http_chunk_size_done(b, at);
    case HTTP_CS_DATA_CR:
    case HTTP_CS_DATA_LF:
        if (c != (b->state_ == HTTP_CS_DATA_CR ? '\r' : '\n'))
            return http_body_fail(b, "missing CRLF after chunk data at body byte %" PRIu64, at);
        b->state_ = b->state_ == HTTP_CS_DATA_CR ? HTTP_CS_DATA_LF : HTTP_CS_SIZE_FIRST;
        return 0;
    case HTTP_CS_TRAILER_START:
    case HTTP_CS_TRAILER_NAME:
    case HTTP_CS_TRAILER_VALUE:
    case HTTP_CS_TRAILER_LF:
    case HTTP_CS_FINAL_LF:
        return http_trailer_step(b, c, at);
    default:
        return http_body_fail(b, "chunked decoder in unknown state %d", b->state_);
    }
}

static http_body_status http_chunked_decode(http_body *b, char *buf, size_t in_len,
                                            size_t *consumed, size_t *out_len)
{
    size_t i = 0, o = 0;
    http_body_status st = HTTP_BODY_MORE;
    while (i < in_len) {
        if (b->state_ == HTTP_CS_DATA) {
            size_t n = in_len - i;
            if (n > b->remaining_)
                n = (size_t)b->remaining_;
            if (o != i)
                memmove(buf + o, buf + i, n);
            o += n;
            i += n;
            b->remaining_ -= n;
            b->decoded += n;
            if (b->remaining_ == 0)
                b->state_ = HTTP_CS_DATA_CR;
            continue;
        }
        int rc = http_chunk_byte(b, (unsigned char)buf[i], b->input_at_ + i);
        if (rc < 0) {
            st = HTTP_BODY_ERROR;
            break;
        }
        i++;
        if (rc > 0) {
            b->done = true;
            st = HTTP_BODY_DONE;
            break;
        }
    }
    b->input_at_ += i;
    *consumed = i;
    *out_len = o;
    return st;
}

http_body_status http_body_decode(http_body *b, char *buf, size_t in_len, size_t *consumed,
                                  size_t *out_len)
{
    *consumed = 0;
    *out_len = 0;
    if (b->failed_)
        return HTTP_BODY_ERROR;
    if (b->done)
        return HTTP_BODY_DONE;
    switch (b->framing) {
    case HTTP_FRAMING_LENGTH: {
        size_t n = in_len;
        if (n > b->remaining_)
            n = (size_t)b->remaining_;
        b->remaining_ -= n;
        b->decoded += n;
        *consumed = n;
        *out_len = n;
        b->done = b->remaining_ == 0;
        return b->done ? HTTP_BODY_DONE : HTTP_BODY_MORE;
    }
    case HTTP_FRAMING_CLOSE: {
        /* Hand out data up to the limit and fail on the byte after it, so the outcome
         * does not depend on how the input was split. */
        size_t n = in_len;
        if (n > b->max - b->decoded)
            n = (size_t)(b->max - b->decoded);
        b->decoded += n;
        *consumed = n;
        *out_len = n;
        if (n < in_len) {
            http_body_fail(b, "body longer than its limit of %" PRIu64 " bytes", b->max);
            return HTTP_BODY_ERROR;
        }
        return HTTP_BODY_MORE;
    }
    case HTTP_FRAMING_CHUNKED:
        return http_chunked_decode(b, buf, in_len, consumed, out_len);
    case HTTP_FRAMING_NONE:
    default:
        b->done = true;
        return HTTP_BODY_DONE;
    }
}

bool http_body_eof(http_body *b)
{
    if (b->failed_)
        return false;
    if (b->done || b->framing == HTTP_FRAMING_NONE)
        return true;
    if (b->framing == HTTP_FRAMING_CLOSE) {
        b->done = true;
        return true;
    }
    if (b->framing == HTTP_FRAMING_LENGTH)
        http_body_fail(b, "connection closed with %" PRIu64 " of %" PRIu64 " body bytes missing",
                       b->remaining_, b->decoded + b->remaining_);
    else
        http_body_fail(b, "connection closed inside the chunked body after %" PRIu64
                          " data bytes", b->decoded);
    return false;
}
