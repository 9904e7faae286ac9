/* tls: BearSSL client sessions for API servers: trust anchors and client keys decoded from
 * PEM, TLS 1.2 only, server names checked against DNS SANs and IP SANs, SNI for DNS only. */
#ifndef SVCLINK_NET_TLS_H
#define SVCLINK_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bearssl.h>

/* Credentials shared by every connection to one API server. Immutable once built (but
 * for their holder count); they must outlive every session made from them. */
typedef struct tls_creds tls_creds;

typedef struct {
    const uint8_t *ca_pem;   /* trust anchors (one or more CERTIFICATE blocks); NULL with insecure */
    size_t ca_len;
    const uint8_t *cert_pem; /* client certificate chain, leaf first; NULL: no client cert */
    size_t cert_len;
    const uint8_t *key_pem;  /* client key: RSA or EC, PKCS#1, SEC1 or unencrypted PKCS#8 */
    size_t key_len;
    bool insecure_skip_verify; /* accept any server certificate (kubeconfig opt-in only) */
} tls_creds_input;

/* Decodes everything up front so a bad kubeconfig fails before any connection. Returns 0
 * and a new object (caller owns: tls_creds_free), or -1 with a message in err. */
int tls_creds_new(const tls_creds_input *in, tls_creds **out, char *err, size_t errlen);
/* One more holder (a connection made with them, say), who calls tls_creds_free when done:
 * the last free releases them. Single-threaded, as the loop is. Returns creds. */
tls_creds *tls_creds_ref(tls_creds *creds);
void tls_creds_free(tls_creds *creds);
bool tls_creds_insecure(const tls_creds *creds);

/* One client connection's engine, buffers and certificate checker (about 26 KiB). */
typedef struct tls_session tls_session;

/* server_name: tls-server-name if set, else the URL host. An IP literal is matched
 * against the certificate's IP SANs and sends no SNI; a DNS name is matched against DNS
 * SANs and sent as SNI. Returns NULL with a message in err on failure. Caller owns the
 * session (tls_session_free). */
tls_session *tls_session_new(const tls_creds *creds, const char *server_name, char *err, size_t errlen);
void tls_session_free(tls_session *s);
br_ssl_engine_context *tls_session_engine(tls_session *s);
/* Bytes one session holds, for memory accounting. */
size_t tls_session_size(const tls_session *s);

/* Describes a BearSSL error code (br_ssl_engine_last_error) for an operator: which check
 * failed and what to do. Writes into buf and returns it. */
const char *tls_error_text(int err, char *buf, size_t buflen);

#endif
