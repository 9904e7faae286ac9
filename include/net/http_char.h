/* hchar: the byte classes of RFC 9110 that the HTTP head parser, body decoder and
 * request writer share. */
#ifndef SVCLINK_HCHAR_H
#define SVCLINK_HCHAR_H

#include <stdbool.h>

/* RFC 9110 tchar: the bytes a method, header name or coding name may use. */
bool hchar_is_tchar(unsigned char c);
/* A byte allowed inside a field value or reason phrase: HTAB, SP, VCHAR, obs-text. */
bool hchar_is_value_byte(unsigned char c);
/* Optional whitespace: SP or HTAB. */
bool hchar_is_ows(unsigned char c);
bool hchar_is_digit(unsigned char c);

#endif
