/* x509san: finds the iPAddress entries of an X.509 certificate's subjectAltName, which
 * BearSSL's minimal validator ignores; a small bounds-checked DER walker, total over input. */
#ifndef SVCLINK_NET_X509SAN_H
#define SVCLINK_NET_X509SAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    X509SAN_MATCH = 0,     /* an iPAddress SAN equals the address */
    X509SAN_NO_MATCH = 1,  /* well-formed, but no iPAddress SAN equals it */
    X509SAN_MALFORMED = -1 /* the DER could not be walked */
} x509san_result;

/* Looks for an iPAddress SAN equal to addr (4 bytes for IPv4, 16 for IPv6) in the DER
 * certificate cert[0..len). Reads nothing outside that range. */
x509san_result x509san_match_ip(const uint8_t *cert, size_t len, const uint8_t *addr, size_t addr_len);

#endif
