/* b64: base64 decoding and encoding. The decoder accepts wrapped input and optional
 * padding but rejects any other stray byte, and never reads past len. */
#include "base/b64.h"

#include <stdbool.h>
#include <stdlib.h>

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 digit, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static bool b64_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int b64_fail(uint8_t **out, size_t *bad_offset, size_t at, uint8_t *buf)
{
    free(buf);
    *out = NULL;
    if (bad_offset != NULL)
        *bad_offset = at;
    return -1;
}

int b64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, size_t *bad_offset)
{
    /* Every 4 digits give at most 3 bytes; +1 for the terminating NUL. */
    uint8_t *buf = malloc(len / 4 * 3 + 4);
    if (buf == NULL)
        return b64_fail(out, bad_offset, 0, NULL);
    size_t n = 0, digits = 0, pad = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (b64_is_space(c))
            continue;
        if (c == '=') {
            /* Padding may only finish a group of 2 or 3 digits. */
            if (digits % 4 < 2 || digits % 4 + pad >= 4)
                return b64_fail(out, bad_offset, i, buf);
            pad++;
            continue;
        }
        int v = b64_value(c);
        if (v < 0 || pad > 0)
            return b64_fail(out, bad_offset, i, buf);
        acc = (acc << 6) | (uint32_t)v;
        digits++;
        if (digits % 4 == 0) {
            buf[n++] = (uint8_t)(acc >> 16);
            buf[n++] = (uint8_t)(acc >> 8);
            buf[n++] = (uint8_t)acc;
            acc = 0;
        }
    }
    switch (digits % 4) {
    case 0:
        if (pad != 0)
            return b64_fail(out, bad_offset, len, buf);
        break;
    case 1: /* a lone digit carries only 6 bits: never valid */
        return b64_fail(out, bad_offset, len, buf);
    case 2:
        if (pad != 0 && pad != 2)
            return b64_fail(out, bad_offset, len, buf);
        buf[n++] = (uint8_t)(acc >> 4);
        break;
    case 3:
        if (pad > 1)
            return b64_fail(out, bad_offset, len, buf);
        buf[n++] = (uint8_t)(acc >> 10);
        buf[n++] = (uint8_t)(acc >> 2);
        break;
    }
    buf[n] = '\0';
    *out = buf;
    *out_len = n;
    return 0;
}

char *b64_encode(const uint8_t *data, size_t len)
{
    char *s = malloc((len + 2) / 3 * 4 + 1);
    if (s == NULL)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        s[o++] = b64_alphabet[v >> 18];
        s[o++] = b64_alphabet[(v >> 12) & 63];
        s[o++] = b64_alphabet[(v >> 6) & 63];
        s[o++] = b64_alphabet[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
        s[o++] = b64_alphabet[v >> 18];
        s[o++] = b64_alphabet[(v >> 12) & 63];
        s[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
        s[o++] = '=';
    }
    s[o] = '\0';
    return s;
}
