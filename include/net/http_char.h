/* http_char: the byte classes of RFC 9110 that the HTTP head parser, body decoder and
 * request writer share. */
#ifndef SVCLINK_NET_HTTP_CHAR_H
#define SVCLINK_NET_HTTP_CHAR_H

#include <stdbool.h>

/* RFC 9110 tchar: the bytes a method, header name or coding name may use. */
bool http_char_is_tchar(unsigned char c);
/* A byte allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
bool http_char_is_value_byte(unsigned char c);
/* Optional whitespace: SP or HTAB. */
bool http_char_is_ows(unsigned char c);
bool http_char_is_digit(unsigned char c);

#endif
