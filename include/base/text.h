/* text: the few byte and text helpers every parser and module here needs, kept in one
 * place: bounded messages into error buffers, hex digits, and wiping secrets. */
#ifndef SVCLINK_BASE_TEXT_H
#define SVCLINK_BASE_TEXT_H

#include <stddef.h>

/* Formats into err (errlen bytes, always NUL-terminated, truncated to fit); does
 * nothing when err is NULL or errlen is 0, so callers may pass an optional buffer. */
void text_errorf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The value of a hexadecimal digit (either case), or -1. */
int text_hex_value(unsigned char c);

/* Overwrites n bytes in a way the compiler may not drop, before secrets are freed. */
void text_wipe(void *p, size_t n);
/* Wipes a NUL-terminated secret and frees it; NULL is fine. */
void text_wipe_free(char *s);

#endif
