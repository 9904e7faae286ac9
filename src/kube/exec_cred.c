/* exec_cred: an ExecCredential read from a plugin's stdout (strict JSON, every field we use
 * checked, nothing secret in a message), RFC 3339 times, the plugin's KUBERNETES_EXEC_INFO,
 * and the cache's refresh rule as one pure function. */
#include "kube/exec_cred.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/text.h"
#include "json/json.h"
#include "json/json_writer.h"
#include "kubeconfig/kcfg_cred.h"

/* ---- RFC 3339 ------------------------------------------------------------------------- */

/* n decimal digits at s; -1 when any is not a digit. */
static int64_t ecred_digits(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool ecred_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's days_from_civil). */
static int64_t ecred_days(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* The zone at s (len bytes left): Z, or +HH:MM / -HH:MM. 0 and *offset_min, or -1. */
static int ecred_zone(const char *s, size_t len, int64_t *offset_min)
{
    if (len == 1 && s[0] == 'Z') {
        *offset_min = 0;
        return 0;
    }
    if (len != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':')
        return -1;
    int64_t h = ecred_digits(s + 1, 2), m = ecred_digits(s + 4, 2);
    if (h < 0 || m < 0 || h > 23 || m > 59)
        return -1;
    *offset_min = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
    return 0;
}

int exec_cred_rfc3339(const char *s, size_t len, int64_t *unix_ms)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (s == NULL || len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':')
        return -1;
    int64_t y = ecred_digits(s, 4), mo = ecred_digits(s + 5, 2), d = ecred_digits(s + 8, 2);
    int64_t h = ecred_digits(s + 11, 2), mi = ecred_digits(s + 14, 2), sec = ecred_digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return -1;
    if (d > mdays[mo - 1] + (mo == 2 && ecred_leap(y) ? 1 : 0))
        return -1;
    size_t at = 19;
    int64_t ms = 0;
    if (s[at] == '.') {
        size_t start = ++at;
        while (at < len && s[at] >= '0' && s[at] <= '9')
            at++;
        size_t n = at - start;
        if (n < 1 || n > 9)
            return -1;
        for (size_t i = 0; i < 3; i++)
            ms = ms * 10 + (i < n ? s[start + i] - '0' : 0);
    }
    int64_t offset_min;
    if (at >= len || ecred_zone(s + at, len - at, &offset_min) != 0)
        return -1;
    int64_t secs = ecred_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
    *unix_ms = secs * 1000 + ms;
    return 0;
}

/* ---- ExecCredential -------------------------------------------------------------------- */

void exec_cred_free(exec_cred *c)
{
    if (c->token != NULL) {
        text_wipe(c->token, strlen(c->token));
        free(c->token);
    }
    free(c->cert_pem);
    if (c->key_pem != NULL) {
        text_wipe(c->key_pem, c->key_len);
        free(c->key_pem);
    }
    memset(c, 0, sizeof *c);
}

#define ECRED_FAIL(err, errlen, ...) (text_errorf((err), (errlen), __VA_ARGS__), -1)

/* The values of keys in object obj (-1 when absent); a key given twice is an error. */
static int ecred_fields(const json_doc *doc, int obj, const char *where, const char *const *keys, size_t n, int *vals,
                        char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++)
        vals[i] = -1;
    for (int k = json_obj_first(doc, obj); k >= 0; k = json_next(doc, k)) {
        for (size_t i = 0; i < n; i++) {
            if (!json_str_eq(doc, k, keys[i]))
                continue;
            if (vals[i] >= 0)
                return ECRED_FAIL(err, errlen, "%s%s appears twice", where, keys[i]);
            vals[i] = json_obj_value(doc, k);
        }
    }
    return 0;
}

/* A string field: *out is a malloc'd copy, NULL when absent, null or "" (as in client-go).
 * Secret fields are named, never quoted. */
static int ecred_string(const json_doc *doc, int tok, const char *field, char **out, size_t *out_len, char *err,
                        size_t errlen)
{
    *out = NULL;
    *out_len = 0;
    if (tok < 0 || json_is_null(doc, tok))
        return 0;
    if (!json_is_string(doc, tok))
        return ECRED_FAIL(err, errlen, "%s must be a string", field);
    size_t raw_len;
    json_raw(doc, tok, &raw_len);
    /* The unescaped text is never longer than the quoted raw text. */
    char *s = malloc(raw_len + 1);
    if (s == NULL)
        return ECRED_FAIL(err, errlen, "out of memory");
    size_t n = 0;
    int rc = json_str_copy(doc, tok, s, raw_len + 1, &n);
    if (rc != JSON_OK) {
        text_wipe(s, raw_len + 1);
        free(s);
        return ECRED_FAIL(err, errlen, "%s: %s", field,
                          rc == JSON_ERR_NUL ? "holds a NUL character (\\u0000)" : json_strerror(rc));
    }
    if (n == 0) {
        free(s);
        return 0;
    }
    *out = s;
    *out_len = n;
    return 0;
}

static int ecred_expect(const json_doc *doc, int tok, const char *field, const char *want, char *err, size_t errlen)
{
    char shown[JSON_QUOTE_SIZE];
    if (tok < 0 || json_is_null(doc, tok))
        return ECRED_FAIL(err, errlen, "%s is not set (want \"%s\")", field, want);
    if (!json_str_eq(doc, tok, want))
        return ECRED_FAIL(err, errlen, "%s is %s, want \"%s\"", field, json_quote(doc, tok, shown), want);
    return 0;
}

static int ecred_token(exec_cred *out, char *err, size_t errlen)
{
    if (out->token == NULL)
        return 0;
    size_t n = strlen(out->token);
    if (n > EXEC_CRED_TOKEN_MAX)
        return ECRED_FAIL(err, errlen, "status.token is %zu bytes; the limit is %u", n, EXEC_CRED_TOKEN_MAX);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)out->token[i];
        if (ch < 0x21 || ch > 0x7e)
            return ECRED_FAIL(err, errlen, "status.token has a byte that cannot go in an HTTP header (position %zu)",
                              i);
    }
    return 0;
}

static int ecred_cert_key(exec_cred *out, char *err, size_t errlen)
{
    if ((out->cert_pem == NULL) != (out->key_pem == NULL))
        return ECRED_FAIL(err, errlen, "status has %s without %s; a client certificate needs its key",
                          out->cert_pem != NULL ? "clientCertificateData" : "clientKeyData",
                          out->cert_pem != NULL ? "clientKeyData" : "clientCertificateData");
    if (out->cert_pem != NULL && !kcfg_cred_pem_present(out->cert_pem, out->cert_len))
        return ECRED_FAIL(err, errlen, "status.clientCertificateData is not PEM (no \"-----BEGIN\" line)");
    if (out->key_pem != NULL && !kcfg_cred_pem_present(out->key_pem, out->key_len))
        return ECRED_FAIL(err, errlen, "status.clientKeyData is not PEM (no \"-----BEGIN\" line)");
    if (out->token == NULL && out->cert_pem == NULL)
        return ECRED_FAIL(err, errlen, "status has neither a token nor clientCertificateData and clientKeyData");
    return 0;
}

static int ecred_expiry(const json_doc *doc, int tok, exec_cred *out, char *err, size_t errlen)
{
    if (tok < 0 || json_is_null(doc, tok))
        return 0;
    size_t len;
    const char *raw = json_is_string(doc, tok) ? json_raw(doc, tok, &len) : NULL;
    char shown[JSON_QUOTE_SIZE];
    /* A timestamp has no escapes; the raw text without its quotes is the value. */
    if (raw == NULL || len < 2 || exec_cred_rfc3339(raw + 1, len - 2, &out->expiry_ms) != 0)
        return ECRED_FAIL(err, errlen, "status.expirationTimestamp %s is not an RFC 3339 time",
                          json_quote(doc, tok, shown));
    out->has_expiry = true;
    return 0;
}

enum { EC_API, EC_KIND, EC_STATUS, EC_N };
enum { ES_TOKEN, ES_CERT, ES_KEY, ES_EXPIRY, ES_N };

static int ecred_status(const json_doc *doc, int status, exec_cred *out, char *err, size_t errlen)
{
    static const char *const keys[ES_N] = {"token", "clientCertificateData", "clientKeyData", "expirationTimestamp"};
    int v[ES_N];
    size_t token_len;
    char *cert = NULL, *key = NULL;
    if (status < 0 || json_is_null(doc, status))
        return ECRED_FAIL(err, errlen, "status is not set");
    if (!json_is_object(doc, status))
        return ECRED_FAIL(err, errlen, "status must be an object");
    if (ecred_fields(doc, status, "status.", keys, ES_N, v, err, errlen) != 0 ||
        ecred_string(doc, v[ES_TOKEN], "status.token", &out->token, &token_len, err, errlen) != 0)
        return -1;
    int rc = ecred_string(doc, v[ES_CERT], "status.clientCertificateData", &cert, &out->cert_len, err, errlen);
    out->cert_pem = (uint8_t *)cert;
    if (rc == 0) {
        rc = ecred_string(doc, v[ES_KEY], "status.clientKeyData", &key, &out->key_len, err, errlen);
        out->key_pem = (uint8_t *)key;
    }
    if (rc != 0 || ecred_token(out, err, errlen) != 0 || ecred_cert_key(out, err, errlen) != 0)
        return -1;
    return ecred_expiry(doc, v[ES_EXPIRY], out, err, errlen);
}

/* json_parse ends its message with the byte at fault, " ('x')": that byte could belong to
 * a token a plugin printed bare, so it is cut (the offset stays). */
static const char *ecred_no_byte(char *jerr)
{
    char *mark = strstr(jerr, " ('");
    if (mark == NULL)
        mark = strstr(jerr, " (byte 0x");
    if (mark != NULL)
        *mark = '\0';
    return jerr;
}

int exec_cred_parse(const char *text, size_t len, const char *api_version, exec_cred *out, char *err, size_t errlen)
{
    static const char *const keys[EC_N] = {"apiVersion", "kind", "status"};
    memset(out, 0, sizeof *out);
    if (len > EXEC_CRED_MAX_OUTPUT)
        return ECRED_FAIL(err, errlen, "the output is %zu bytes; the limit is %zu", len, EXEC_CRED_MAX_OUTPUT);
    size_t start = 0;
    while (start < len && (text[start] == ' ' || text[start] == '\n' || text[start] == '\r' || text[start] == '\t'))
        start++;
    if (start == len)
        return ECRED_FAIL(err, errlen, "the output is empty; an ExecCredential was expected");
    json_doc doc;
    json_doc_init(&doc);
    doc.max_tokens = EXEC_CRED_MAX_TOKENS;
    doc.max_depth = EXEC_CRED_MAX_DEPTH;
    char jerr[128];
    int v[EC_N];
    int rc;
    if (json_parse(&doc, text, len, jerr, sizeof jerr) != 0)
        rc = ECRED_FAIL(err, errlen, "the output is not a JSON ExecCredential: %s", ecred_no_byte(jerr));
    else if (!json_is_object(&doc, 0))
        rc = ECRED_FAIL(err, errlen, "the output is not a JSON object");
    else if (ecred_fields(&doc, 0, "", keys, EC_N, v, err, errlen) != 0 ||
             ecred_expect(&doc, v[EC_KIND], "kind", "ExecCredential", err, errlen) != 0 ||
             ecred_expect(&doc, v[EC_API], "apiVersion", api_version, err, errlen) != 0)
        rc = -1;
    else
        rc = ecred_status(&doc, v[EC_STATUS], out, err, errlen);
    json_doc_free(&doc);
    if (rc != 0)
        exec_cred_free(out);
    return rc;
}

/* ---- KUBERNETES_EXEC_INFO ---------------------------------------------------------------- */

/* ca is the CA already base64-encoded (NULL: none). */
static void ecred_info_cluster(json_writer *w, const exec_cred_cluster *cl, const char *ca)
{
    json_writer_key(w, "cluster");
    json_writer_object_begin(w);
    json_writer_member_string(w, "server", cl->server != NULL ? cl->server : "");
    if (cl->tls_server_name != NULL)
        json_writer_member_string(w, "tls-server-name", cl->tls_server_name);
    if (cl->insecure_skip_tls_verify) {
        json_writer_key(w, "insecure-skip-tls-verify");
        json_writer_bool(w, true);
    }
    if (ca != NULL)
        json_writer_member_string(w, "certificate-authority-data", ca);
    json_writer_object_end(w);
}

char *exec_cred_info_json(const char *api_version, const exec_cred_cluster *cluster)
{
    char *ca = NULL;
    if (cluster != NULL && cluster->ca_pem != NULL && cluster->ca_len > 0 &&
        (ca = b64_encode(cluster->ca_pem, cluster->ca_len)) == NULL)
        return NULL;
    json_writer w;
    json_writer_init(&w);
    json_writer_object_begin(&w);
    json_writer_member_string(&w, "apiVersion", api_version);
    json_writer_member_string(&w, "kind", "ExecCredential");
    json_writer_key(&w, "spec");
    json_writer_object_begin(&w);
    json_writer_key(&w, "interactive");
    json_writer_bool(&w, false);
    if (cluster != NULL)
        ecred_info_cluster(&w, cluster, ca);
    json_writer_object_end(&w);
    json_writer_object_end(&w);
    free(ca);
    size_t len;
    return json_writer_finish(&w, &len);
}

/* ---- the refresh rule --------------------------------------------------------------------- */

exec_cred_action exec_cred_decide(const exec_cred_state *s, int64_t now_ms, bool waited)
{
    bool in_backoff = s->retry_at_ms != 0 && now_ms < s->retry_at_ms;
    bool expired = s->has_expiry && now_ms >= s->expiry_ms;
    if (!s->have || (expired && !waited)) {
        if (s->running)
            return EXEC_CRED_WAIT;
        return in_backoff ? EXEC_CRED_FAIL : EXEC_CRED_RUN_WAIT;
    }
    if (!s->has_expiry || waited)
        return EXEC_CRED_USE;
    int64_t lifetime = s->expiry_ms - s->obtained_ms;
    int64_t margin = lifetime > 0 ? lifetime / 10 : 0;
    if (margin > EXEC_CRED_REFRESH_MARGIN_MS)
        margin = EXEC_CRED_REFRESH_MARGIN_MS;
    if (now_ms < s->expiry_ms - margin || s->running || in_backoff)
        return EXEC_CRED_USE;
    return EXEC_CRED_USE_REFRESH;
}
