/* http_char: the RFC 9110 byte classes, in one place so the head parser, the chunked
 * decoder and the request writer cannot disagree on what a token or a value byte is. */
#include "net/http_char.h"

#include <string.h>

bool http_char_is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

bool http_char_is_value_byte(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

bool http_char_is_ows(unsigned char c)
{
    return c == ' ' || c == '\t';
}

bool http_char_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}
