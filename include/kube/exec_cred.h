/* exec_cred: the pure half of credential plugins: the ExecCredential a plugin prints (a
 * total, bounded parser), RFC 3339 times, the KUBERNETES_EXEC_INFO it is given, and the
 * decision whether a cached credential is used, refreshed or waited for. */
#ifndef SVCLINK_KUBE_EXEC_CRED_H
#define SVCLINK_KUBE_EXEC_CRED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds. A plugin's whole stdout is at most EXEC_CRED_MAX_OUTPUT bytes (the runner stops
 * reading and kills it beyond that); the JSON at most EXEC_CRED_MAX_TOKENS tokens nested
 * EXEC_CRED_MAX_DEPTH deep; a token at most EXEC_CRED_TOKEN_MAX bytes. */
#define EXEC_CRED_MAX_OUTPUT ((size_t)1024 * 1024)
#define EXEC_CRED_MAX_TOKENS 65536
#define EXEC_CRED_MAX_DEPTH 32
#define EXEC_CRED_TOKEN_MAX 16384
#define EXEC_CRED_ERR_MAX 256

/* A credential from a plugin. Every pointer is owned (NULL when absent) and released by
 * exec_cred_free, which wipes the secrets first. At least a token or a certificate and
 * key pair is set. */
typedef struct {
    char *token;        /* printable ASCII (0x21 to 0x7e): it goes into a header; secret */
    uint8_t *cert_pem;  /* clientCertificateData, NUL-terminated, holds "-----BEGIN " */
    size_t cert_len;
    uint8_t *key_pem;   /* clientKeyData, likewise; secret */
    size_t key_len;
    bool has_expiry;    /* status.expirationTimestamp was set */
    int64_t expiry_ms;  /* then: Unix time in milliseconds */
} exec_cred;

/* Parses len bytes of a plugin's stdout as an ExecCredential of api_version (the
 * kubeconfig's exec apiVersion; the plugin must answer in the same one, as client-go
 * requires). JSON only, one object: apiVersion, kind "ExecCredential", status with token
 * and/or clientCertificateData + clientKeyData (PEM text, not base64) and an optional
 * expirationTimestamp (RFC 3339, null or absent: no expiry). Unknown fields are ignored;
 * a field we read given twice is an error (Go's decoder would keep the last, jsmn's
 * reader the first). Empty strings count as absent, as in client-go.
 * 0 and *out filled (caller frees), or -1 with *out zeroed and a one-line message in
 * err (errlen bytes; EXEC_CRED_ERR_MAX suffices) that never holds a secret's value. */
int exec_cred_parse(const char *text, size_t len, const char *api_version, exec_cred *out, char *err,
                    size_t errlen);
/* Wipes and frees everything; *c is zeroed; safe on a zeroed struct and twice. */
void exec_cred_free(exec_cred *c);

/* Parses RFC 3339 as Go's time.RFC3339 does: YYYY-MM-DDTHH:MM:SS, an optional fraction
 * of 1 to 9 digits (cut to milliseconds), then Z or +HH:MM / -HH:MM. Upper-case T and Z
 * only; fields range-checked (days per month, leap years; no leap second). len bytes, no
 * NUL needed. 0 and *unix_ms, or -1. */
int exec_cred_rfc3339(const char *s, size_t len, int64_t *unix_ms);

/* The cluster a plugin is told about with provideClusterInfo (client-go's Cluster). */
typedef struct {
    const char *server;          /* the kubeconfig's server URL */
    const char *tls_server_name; /* NULL: not set */
    bool insecure_skip_tls_verify;
    const uint8_t *ca_pem;       /* NULL: none; sent base64-encoded */
    size_t ca_len;
} exec_cred_cluster;

/* KUBERNETES_EXEC_INFO's value: {"apiVersion":api_version,"kind":"ExecCredential",
 * "spec":{"interactive":false[,"cluster":{"server":...,"tls-server-name":...,
 * "insecure-skip-tls-verify":true,"certificate-authority-data":"<base64>"}]}}, the fields
 * of cluster that are not set left out as client-go leaves them out. cluster NULL: no
 * "cluster". A new NUL-terminated string (caller frees), or NULL (out of memory, or a
 * string that is not UTF-8). */
char *exec_cred_info_json(const char *api_version, const exec_cred_cluster *cluster);

/* How long before its expiry a credential is refreshed: a tenth of its lifetime (from
 * when it arrived to its expirationTimestamp), at most EXEC_CRED_REFRESH_MARGIN_MS. */
#define EXEC_CRED_REFRESH_MARGIN_MS 60000

/* What the cache of one plugin knows, for exec_cred_decide. Times are Unix milliseconds
 * (the expiry is wall-clock time). */
typedef struct {
    bool have;          /* a credential is cached (a 401 drops it) */
    bool has_expiry;
    int64_t expiry_ms;
    int64_t obtained_ms; /* when it arrived */
    bool running;        /* a plugin run is under way */
    int64_t retry_at_ms; /* after a failed run: no new run before this; 0 when none failed */
} exec_cred_state;

typedef enum {
    EXEC_CRED_USE,          /* send with the cached credential */
    EXEC_CRED_USE_REFRESH,  /* send with it, and start a run now in the background */
    EXEC_CRED_WAIT,         /* a run is under way: wait for its result */
    EXEC_CRED_RUN_WAIT,     /* start a run and wait for its result */
    EXEC_CRED_FAIL          /* nothing usable and the last run failed too recently */
} exec_cred_action;

/* The rule, for a request about to be sent at now_ms; waited says the request has already
 * waited for a run, so the credential that run gave is used even if it is already past its
 * expiry (else a plugin that returns stale credentials would be run forever):
 * - no credential, or past its expiry: WAIT when running, else FAIL before retry_at,
 *   else RUN_WAIT;
 * - a credential within the refresh margin before its expiry: USE_REFRESH, or USE when
 *   running or before retry_at;
 * - otherwise (no expiry, or before the margin): USE. */
exec_cred_action exec_cred_decide(const exec_cred_state *s, int64_t now_ms, bool waited);

#endif
