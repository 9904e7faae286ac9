/* url: the kubeconfig server URL and host-name rules. Strict on purpose: whatever is
 * accepted here ends up on an HTTP request line, in SNI and in certificate checks. */
#include "kubeconfig/url.h"

#include "base/text.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* The longest IP literal text worth trying (an IPv6 with an embedded IPv4 is 45). */
#define URL_IP_TEXT_MAX 63
/* How much of a scheme, port or host a message shows before cutting it short. */
#define URL_SHOW_MAX 40

/* Writes the message and evaluates to -1, so each error path stays one statement. */
#define URL_FAIL(err, errlen, ...) (text_errorf((err), (errlen), __VA_ARGS__), -1)

/* Copies n bytes of input for a message: printable ASCII only (others become '?', quotes
 * and backslashes too, so the quoting stays unambiguous), cut at URL_SHOW_MAX. */
static const char *url_show(const char *s, size_t n, char buf[URL_SHOW_MAX + 4])
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < URL_SHOW_MAX; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[o++] = (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? (char)c : '?';
    }
    if (n > URL_SHOW_MAX) {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static bool url_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool url_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool url_is_hex(unsigned char c)
{
    return text_hex_value(c) >= 0;
}

static char url_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* inet_pton wants a C string; copies the literal out first. Returns the address family
 * matched (AF_INET or AF_INET6), or 0. */
static int url_ip_literal(const char *s, size_t n, int family, uint8_t addr[16])
{
    char text[URL_IP_TEXT_MAX + 1];
    if (n == 0 || n > URL_IP_TEXT_MAX || memchr(s, '\0', n) != NULL)
        return 0;
    memcpy(text, s, n);
    text[n] = '\0';
    uint8_t tmp[16] = {0};
    if (inet_pton(family, text, tmp) != 1)
        return 0;
    if (addr != NULL)
        memcpy(addr, tmp, sizeof tmp);
    return family;
}

static void url_store_name(url_host *out, const char *s, size_t n, url_host_kind kind)
{
    for (size_t i = 0; i < n; i++)
        out->name[i] = url_lower(s[i]);
    out->name[n] = '\0';
    out->kind = kind;
}

/* WHATWG's rule: a host whose last label is a number (decimal, or 0x hex) is an IPv4
 * address to browsers and to inet_aton, so it must not pass as a DNS name. */
static bool url_label_is_numeric(const char *s, size_t n)
{
    size_t i = 0;
    bool hex = n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex)
        i = 2;
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (hex ? !url_is_hex(c) : !url_is_digit(c))
            return false;
    }
    return true;
}

/* Checks one DNS label s[0..n); returns 0 or -1 with a message. */
static int url_check_label(const char *s, size_t n, size_t at, char *err, size_t errlen)
{
    if (n == 0)
        return URL_FAIL(err, errlen, "host name has an empty label (position %zu)", at);
    if (n > 63)
        return URL_FAIL(err, errlen, "host name has a label longer than 63 characters (position %zu)", at);
    if (s[0] == '-' || s[n - 1] == '-')
        return URL_FAIL(err, errlen, "host name label must not start or end with '-' (position %zu)", at);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!url_is_alpha(c) && !url_is_digit(c) && c != '-' && c != '_')
            return URL_FAIL(err, errlen, "host name contains a character not allowed in a DNS name (position %zu)",
                            at + i);
    }
    return 0;
}

/* A DNS name, or a dotted quad: anything that looks numeric must be a valid quad. */
static int url_dns_or_ipv4(const char *s, size_t n, url_host *out, char *err, size_t errlen)
{
    char shown[URL_SHOW_MAX + 4];
    if (n > URL_HOST_MAX)
        return URL_FAIL(err, errlen, "host name is longer than %d characters", URL_HOST_MAX);
    if (s[n - 1] == '.')
        return URL_FAIL(err, errlen, "host name \"%s\" must not end with '.'", url_show(s, n, shown));
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.')
            continue;
        if (url_check_label(s + start, i - start, start, err, errlen) != 0)
            return -1;
        if (i < n)
            start = i + 1;
    }
    if (!url_label_is_numeric(s + start, n - start)) {
        url_store_name(out, s, n, URL_HOST_DNS);
        return 0;
    }
    if (url_ip_literal(s, n, AF_INET, out->addr) != AF_INET)
        return URL_FAIL(err, errlen, "host \"%s\" looks like an IPv4 address but is not a plain dotted quad",
                        url_show(s, n, shown));
    url_store_name(out, s, n, URL_HOST_IPV4);
    return 0;
}

static int url_ipv6(const char *s, size_t n, url_host *out, char *err, size_t errlen)
{
    char shown[URL_SHOW_MAX + 4];
    if (url_ip_literal(s, n, AF_INET6, out->addr) != AF_INET6)
        return URL_FAIL(err, errlen, "\"%s\" is not a valid IPv6 address", url_show(s, n, shown));
    url_store_name(out, s, n, URL_HOST_IPV6);
    return 0;
}

int url_host_parse(const char *text, size_t len, url_host *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    int rc;
    if (len == 0)
        rc = URL_FAIL(err, errlen, "host is empty");
    else if (text[0] == '[' && len >= 2 && text[len - 1] == ']')
        rc = url_ipv6(text + 1, len - 2, out, err, errlen);
    else if (text[0] == '[')
        rc = URL_FAIL(err, errlen, "host starts with '[' but has no closing ']'");
    else if (memchr(text, ':', len) != NULL)
        rc = url_ipv6(text, len, out, err, errlen);
    else
        rc = url_dns_or_ipv4(text, len, out, err, errlen);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

bool url_host_is_ip(const char *host, url_host_kind *kind, uint8_t *addr)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (url_ip_literal(host + 1, n - 2, AF_INET6, addr) != AF_INET6)
            return false;
        if (kind != NULL)
            *kind = URL_HOST_IPV6;
        return true;
    }
    if (url_ip_literal(host, n, AF_INET, addr) == AF_INET) {
        if (kind != NULL)
            *kind = URL_HOST_IPV4;
        return true;
    }
    if (url_ip_literal(host, n, AF_INET6, addr) == AF_INET6) {
        if (kind != NULL)
            *kind = URL_HOST_IPV6;
        return true;
    }
    return false;
}

/* Splits "scheme://" off text; returns the offset of the authority, or -1. */
static int url_scheme(const char *text, size_t *auth, char *err, size_t errlen)
{
    char shown[URL_SHOW_MAX + 4];
    size_t i = 0;
    while (url_is_alpha((unsigned char)text[i]) ||
           (i > 0 && (url_is_digit((unsigned char)text[i]) || text[i] == '+' || text[i] == '-' || text[i] == '.')))
        i++;
    if (i == 0 || strncmp(text + i, "://", 3) != 0)
        return URL_FAIL(err, errlen, "server URL has no scheme: expected https://host[:port][/path]");
    if (i == 5 && strncasecmp(text, "https", 5) == 0) {
        *auth = i + 3;
        return 0;
    }
    if (i == 4 && strncasecmp(text, "http", 4) == 0)
        return URL_FAIL(err, errlen,
                        "server URL scheme \"%s\" is refused: plain http would send credentials unencrypted; use https",
                        url_show(text, i, shown));
    return URL_FAIL(err, errlen, "server URL scheme \"%s\" is not supported: only https is",
                    url_show(text, i, shown));
}

static int url_port(const char *s, size_t n, uint16_t *port, char *err, size_t errlen)
{
    char shown[URL_SHOW_MAX + 4];
    unsigned long v = 0;
    if (n == 0)
        return URL_FAIL(err, errlen, "server URL has ':' but no port after it");
    for (size_t i = 0; i < n; i++) {
        if (!url_is_digit((unsigned char)s[i]))
            return URL_FAIL(err, errlen, "port \"%s\" is not a number", url_show(s, n, shown));
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return URL_FAIL(err, errlen, "port \"%s\" is out of range (1-65535)", url_show(s, n, shown));
    }
    if (v == 0)
        return URL_FAIL(err, errlen, "port 0 is out of range (1-65535)");
    *port = (uint16_t)v;
    return 0;
}

/* Host and optional port from the authority a[0..n). */
static int url_authority_parse(const char *a, size_t n, url_parts *out, char *err, size_t errlen)
{
    size_t host_len;
    if (memchr(a, '@', n) != NULL)
        return URL_FAIL(err, errlen, "server URL must not contain user information (user:password@)");
    if (n == 0)
        return URL_FAIL(err, errlen, "server URL has no host");
    if (a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close == NULL)
            return URL_FAIL(err, errlen, "server URL has '[' without a closing ']'");
        host_len = (size_t)(close - a) + 1;
        if (host_len < n && a[host_len] != ':')
            return URL_FAIL(err, errlen, "server URL has characters after ']' that are not a port");
    } else {
        const char *colon = memchr(a, ':', n);
        host_len = colon != NULL ? (size_t)(colon - a) : n;
        if (colon != NULL && memchr(colon + 1, ':', n - host_len - 1) != NULL)
            return URL_FAIL(err, errlen, "an IPv6 address must be written in brackets, as in https://[::1]:6443");
        if (host_len == 0)
            return URL_FAIL(err, errlen, "server URL has no host");
    }
    if (url_host_parse(a, host_len, &out->host, err, errlen) != 0)
        return -1;
    out->port = 443;
    if (host_len < n)
        return url_port(a + host_len + 1, n - host_len - 1, &out->port, err, errlen);
    return 0;
}

/* RFC 3986 pchar plus '/': nothing that needs quoting on a request line. */
static bool url_is_path_char(unsigned char c)
{
    return url_is_alpha(c) || url_is_digit(c) || (c != '\0' && strchr("-._~!$&'()*+,;=:@/", c) != NULL);
}

static int url_path(const char *p, size_t base, url_parts *out, char *err, size_t errlen)
{
    size_t n = strlen(p);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '%' && i + 2 < n && url_is_hex((unsigned char)p[i + 1]) && url_is_hex((unsigned char)p[i + 2])) {
            i += 2;
            continue;
        }
        if (c == '?')
            return URL_FAIL(err, errlen, "server URL must not have a query (\"?...\")");
        if (c == '#')
            return URL_FAIL(err, errlen, "server URL must not have a fragment (\"#...\")");
        if (!url_is_path_char(c))
            return URL_FAIL(err, errlen, "server URL path has a character that is not allowed (position %zu)",
                            base + i);
    }
    while (n > 0 && p[n - 1] == '/')
        n--;
    if (n > URL_PATH_MAX)
        return URL_FAIL(err, errlen, "server URL path is longer than %d characters", URL_PATH_MAX);
    memcpy(out->path_prefix, p, n);
    out->path_prefix[n] = '\0';
    return 0;
}

int url_parse(const char *text, url_parts *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    size_t auth;
    if (url_scheme(text, &auth, err, errlen) != 0)
        return -1;
    size_t auth_len = strcspn(text + auth, "/?#");
    int rc = url_authority_parse(text + auth, auth_len, out, err, errlen);
    if (rc == 0)
        rc = url_path(text + auth + auth_len, auth + auth_len, out, err, errlen);
    if (rc != 0)
        memset(out, 0, sizeof *out);
    return rc;
}

int url_authority(const url_parts *u, char *buf, size_t buflen)
{
    const char *open = u->host.kind == URL_HOST_IPV6 ? "[" : "";
    const char *close = u->host.kind == URL_HOST_IPV6 ? "]" : "";
    int n;
    if (buflen == 0)
        return -1;
    if (u->port == 443)
        n = snprintf(buf, buflen, "%s%s%s", open, u->host.name, close);
    else
        n = snprintf(buf, buflen, "%s%s%s:%u", open, u->host.name, close, (unsigned)u->port);
    if (n < 0 || (size_t)n >= buflen) {
        buf[0] = '\0';
        return -1;
    }
    return 0;
}
