/* x509san: walks Certificate -> tbsCertificate -> [3] extensions -> subjectAltName ->
 * GeneralNames and compares each [7] iPAddress with the address asked for. */
#include "net/x509san.h"

#include <string.h>

/* A view of a DER TLV: tag byte, and the value's bounds inside the input. */
typedef struct {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
} x509san_tlv;

/* Reads one TLV from *p (bounded by end) and advances *p past it. Only low-tag-number
 * forms (all X.509 uses) and definite lengths of at most 4 bytes are accepted. */
static int x509san_read(const uint8_t **p, const uint8_t *end, x509san_tlv *out)
{
    const uint8_t *q = *p;
    if (end - q < 2)
        return -1;
    out->tag = *q++;
    if ((out->tag & 0x1f) == 0x1f)
        return -1;
    size_t len = *q++;
    if (len & 0x80) {
        size_t nbytes = len & 0x7f;
        if (nbytes == 0 || nbytes > 4 || (size_t)(end - q) < nbytes)
            return -1;
        len = 0;
        for (size_t i = 0; i < nbytes; i++)
            len = (len << 8) | *q++;
    }
    if ((size_t)(end - q) < len)
        return -1;
    out->val = q;
    out->len = len;
    *p = q + len;
    return 0;
}

static const uint8_t x509san_oid_san[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */

/* GeneralNames ::= SEQUENCE OF GeneralName; iPAddress is [7] IMPLICIT OCTET STRING. */
static x509san_result x509san_scan_names(const uint8_t *p, const uint8_t *end, const uint8_t *addr,
                                         size_t addr_len)
{
    x509san_tlv names;
    if (x509san_read(&p, end, &names) != 0 || names.tag != 0x30)
        return X509SAN_MALFORMED;
    const uint8_t *q = names.val, *qend = names.val + names.len;
    while (q < qend) {
        x509san_tlv gn;
        if (x509san_read(&q, qend, &gn) != 0)
            return X509SAN_MALFORMED;
        if (gn.tag == 0x87 && gn.len == addr_len && memcmp(gn.val, addr, addr_len) == 0)
            return X509SAN_MATCH;
    }
    return X509SAN_NO_MATCH;
}

/* Extensions ::= SEQUENCE OF Extension { extnID, critical BOOLEAN OPTIONAL, extnValue }. */
static x509san_result x509san_scan_extensions(const uint8_t *p, const uint8_t *end, const uint8_t *addr,
                                              size_t addr_len)
{
    x509san_tlv seq;
    if (x509san_read(&p, end, &seq) != 0 || seq.tag != 0x30)
        return X509SAN_MALFORMED;
    const uint8_t *q = seq.val, *qend = seq.val + seq.len;
    while (q < qend) {
        x509san_tlv ext, oid, field;
        if (x509san_read(&q, qend, &ext) != 0 || ext.tag != 0x30)
            return X509SAN_MALFORMED;
        const uint8_t *e = ext.val, *eend = ext.val + ext.len;
        if (x509san_read(&e, eend, &oid) != 0 || oid.tag != 0x06)
            return X509SAN_MALFORMED;
        if (x509san_read(&e, eend, &field) != 0)
            return X509SAN_MALFORMED;
        if (field.tag == 0x01 && x509san_read(&e, eend, &field) != 0)
            return X509SAN_MALFORMED;
        if (field.tag != 0x04)
            return X509SAN_MALFORMED;
        if (oid.len == sizeof x509san_oid_san && memcmp(oid.val, x509san_oid_san, oid.len) == 0)
            return x509san_scan_names(field.val, field.val + field.len, addr, addr_len);
    }
    return X509SAN_NO_MATCH;
}

x509san_result x509san_match_ip(const uint8_t *cert, size_t len, const uint8_t *addr, size_t addr_len)
{
    const uint8_t *p = cert, *end = cert + len;
    x509san_tlv certificate, tbs, field;
    if (addr_len != 4 && addr_len != 16)
        return X509SAN_MALFORMED;
    if (x509san_read(&p, end, &certificate) != 0 || certificate.tag != 0x30)
        return X509SAN_MALFORMED;
    p = certificate.val;
    end = certificate.val + certificate.len;
    if (x509san_read(&p, end, &tbs) != 0 || tbs.tag != 0x30)
        return X509SAN_MALFORMED;
    /* The extensions are the [3] field of tbsCertificate; the fields before it are skipped. */
    const uint8_t *q = tbs.val, *qend = tbs.val + tbs.len;
    while (q < qend) {
        if (x509san_read(&q, qend, &field) != 0)
            return X509SAN_MALFORMED;
        if (field.tag == 0xa3)
            return x509san_scan_extensions(field.val, field.val + field.len, addr, addr_len);
    }
    return X509SAN_NO_MATCH;
}
