/* b64: standard base64 (RFC 4648, with padding) for kubeconfig *-data fields and
 * ClusterLink spec.kubeconfig; total over any input. */
#ifndef SVCLINK_BASE_B64_H
#define SVCLINK_BASE_B64_H

#include <stddef.h>
#include <stdint.h>

/* Decodes len bytes of text. ASCII whitespace (space, tab, CR, LF) is skipped, since
 * pasted kubeconfigs are often wrapped; padding is optional, anything else is an error.
 * On success returns 0 and *out is a new NUL-terminated buffer (owned by the caller,
 * release with free) of *out_len bytes. On error returns -1, *out is NULL, and
 * *bad_offset (when not NULL) is the offset of the first offending byte. */
int b64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len, size_t *bad_offset);

/* Encodes len bytes into a new NUL-terminated string (caller frees); NULL on OOM. */
char *b64_encode(const uint8_t *data, size_t len);

#endif
