/* url: parses the `server:` URL of a kubeconfig (https only) and classifies host names,
 * so the client gets a host, a port, an API path prefix and an IP literal's address. */
#ifndef SVCLINK_KUBECONFIG_URL_H
#define SVCLINK_KUBECONFIG_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: a DNS name is at most 253 characters (RFC 1035); the path prefix (Rancher puts
 * the cluster behind /k8s/clusters/<id>) at most 512. Longer input is an error. */
#define URL_HOST_MAX 253
#define URL_PATH_MAX 512
/* Bytes of the error buffer that always holds the whole message. */
#define URL_ERR_MAX 160

typedef enum {
    URL_HOST_DNS = 1, /* a DNS name, stored lower-case without a trailing dot */
    URL_HOST_IPV4,    /* a dotted-quad literal (no octal, hex or short forms) */
    URL_HOST_IPV6     /* a literal, stored without its brackets */
} url_host_kind;

typedef struct {
    char name[URL_HOST_MAX + 1];
    url_host_kind kind;
    /* Network byte order, for IP SAN checks: 4 bytes used for IPv4, 16 for IPv6, zero
     * for a DNS name. */
    uint8_t addr[16];
} url_host;

/* Everything is stored inline: nothing to free. */
typedef struct {
    url_host host;
    uint16_t port; /* 443 when the URL names none */
    /* "" or "/seg/seg" without a trailing '/': prepend it to every API path. */
    char path_prefix[URL_PATH_MAX + 1];
} url_parts;

/* Parses text (NUL-terminated) as https://host[:port][/path]. The scheme must be https
 * (case-insensitive); user information, a query and a fragment are refused, and so is
 * any byte in the path that would need quoting on an HTTP request line. Returns 0 and
 * fills *out, or -1 with *out zeroed and a one-line message in err (errlen bytes,
 * NUL-terminated, truncated to fit; URL_ERR_MAX always suffices). Messages quote the
 * scheme, port or host where that helps, never user information, a query or a path,
 * since those may carry credentials. */
int url_parse(const char *text, url_parts *out, char *err, size_t errlen);

/* Parses a bare host of len bytes: a DNS name, a dotted-quad IPv4 literal or an IPv6
 * literal with or without brackets (tls-server-name may be any of these). No port.
 * Returns 0 and fills *out, or -1 with a message as for url_parse. */
int url_host_parse(const char *text, size_t len, url_host *out, char *err, size_t errlen);

/* True when host (NUL-terminated) is an IPv4 or IPv6 literal (brackets optional); then
 * *kind and addr (16 bytes, may both be NULL) are set as in url_host. */
bool url_host_is_ip(const char *host, url_host_kind *kind, uint8_t *addr);

/* Writes "host", "host:port" or "[v6]:port" (port left out when 443), as an HTTP Host
 * header wants it. Returns 0, or -1 when buflen is too small (buf then holds ""). */
int url_authority(const url_parts *u, char *buf, size_t buflen);

#endif
