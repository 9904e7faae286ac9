/* Unit tests for exec_cred: ExecCredentials of both API versions, every malformed one
 * refused with a message that names the field and never the secret, RFC 3339 times,
 * KUBERNETES_EXEC_INFO, and the refresh rule row by row. */
#include "kube/exec_cred.h"
#include "unit.h"

#include <stdlib.h>

#define XC_V1 "client.authentication.k8s.io/v1"
#define XC_V1BETA1 "client.authentication.k8s.io/v1beta1"
#define XC_TOKEN "xc-s3cret-t0ken.abcdefghijklmnop"
#define XC_CERT "-----BEGIN CERTIFICATE-----\\nMIIBcTCCARegAwIBAgIIclient\\n-----END CERTIFICATE-----\\n"
#define XC_KEY "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIKEYKEYKEY\\n-----END EC PRIVATE KEY-----\\n"

static int xc_parse(const char *text, const char *api, exec_cred *c, char *err, size_t errlen)
{
    return exec_cred_parse(text, strlen(text), api, c, err, errlen);
}

UNIT_TEST(exec_cred_v1_token_with_expiry)
{
    exec_cred c;
    char err[EXEC_CRED_ERR_MAX];
    const char *out = "{\"kind\":\"ExecCredential\",\"apiVersion\":\"" XC_V1 "\",\"spec\":{\"interactive\":false},"
                      "\"status\":{\"token\":\"" XC_TOKEN "\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\","
                      "\"somethingNew\":[1,2,{\"x\":null}]}}\n";
    CHECK(xc_parse(out, XC_V1, &c, err, sizeof err) == 0);
    CHECK_STR_EQ(c.token, XC_TOKEN);
    CHECK(c.cert_pem == NULL && c.key_pem == NULL);
    CHECK(c.has_expiry && c.expiry_ms == 1893553445000LL);
    exec_cred_free(&c);
    CHECK(c.token == NULL && !c.has_expiry);
    exec_cred_free(&c);
}

UNIT_TEST(exec_cred_v1beta1_cert_key_no_expiry)
{
    exec_cred c;
    char err[EXEC_CRED_ERR_MAX];
    const char *out = "  {\"apiVersion\":\"" XC_V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":{"
                      "\"clientCertificateData\":\"" XC_CERT "\",\"clientKeyData\":\"" XC_KEY "\","
                      "\"expirationTimestamp\":null,\"token\":\"\"}}";
    CHECK(xc_parse(out, XC_V1BETA1, &c, err, sizeof err) == 0);
    CHECK(c.token == NULL);
    CHECK(c.cert_pem != NULL && strncmp((const char *)c.cert_pem, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
    CHECK(c.cert_len == strlen((const char *)c.cert_pem));
    CHECK(c.key_pem != NULL && strstr((const char *)c.key_pem, "EC PRIVATE KEY") != NULL);
    CHECK(!c.has_expiry);
    exec_cred_free(&c);
    /* Both a token and a certificate: both are kept (client-go sends both). */
    out = "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\","
          "\"clientCertificateData\":\"" XC_CERT "\",\"clientKeyData\":\"" XC_KEY "\","
          "\"expirationTimestamp\":\"2030-01-02T03:04:05.123456789+01:30\"}}";
    CHECK(xc_parse(out, XC_V1, &c, err, sizeof err) == 0);
    CHECK(c.token != NULL && c.cert_pem != NULL && c.key_pem != NULL);
    CHECK(c.has_expiry && c.expiry_ms == 1893553445000LL - 90 * 60 * 1000 + 123);
    exec_cred_free(&c);
}

/* Every malformed answer: refused, with a message naming what is wrong, never the token. */
UNIT_TEST(exec_cred_malformed)
{
    static const struct {
        const char *out, *says;
    } cases[] = {
        {"", "the output is empty"},
        {" \n\t\r\n", "the output is empty"},
        {"token: abc", "not a JSON ExecCredential: invalid literal (expected true, false or null) at byte 0"},
        {XC_TOKEN, "not a JSON ExecCredential"},
        {"{\"apiVersion\":\"" XC_V1 "\",}", "not a JSON ExecCredential"},
        {"{\"a\":1} {\"b\":2}", "not a JSON ExecCredential"},
        {"[1,2]", "the output is not a JSON object"},
        {"\"" XC_TOKEN "\"", "the output is not a JSON object"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"status\":{\"token\":\"" XC_TOKEN "\"}}", "kind is not set"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"Secret\",\"status\":{\"token\":\"t\"}}",
         "kind is \"Secret\", want \"ExecCredential\""},
        {"{\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", "apiVersion is not set (want \"" XC_V1 "\")"},
        {"{\"apiVersion\":\"" XC_V1BETA1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}",
         "apiVersion is \"" XC_V1BETA1 "\", want \"" XC_V1 "\""},
        {"{\"apiVersion\":7,\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}", "apiVersion is 7, want"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\"}", "status is not set"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":null}", "status is not set"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":\"" XC_TOKEN "\"}",
         "status must be an object"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{}}",
         "status has neither a token nor clientCertificateData and clientKeyData"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\"}}",
         "status has neither a token"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":12345}}",
         "status.token must be a string"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN " x\"}}",
         "status.token has a byte that cannot go in an HTTP header (position 32)"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN "\\r\\nX: y\"}}",
         "status.token has a byte that cannot go in an HTTP header"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN "\\u00e9\"}}",
         "status.token has a byte that cannot go in an HTTP header"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN "\\u0000\"}}",
         "status.token: holds a NUL character"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"" XC_CERT
         "\"}}",
         "status has clientCertificateData without clientKeyData"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\",\"clientKeyData\":\"" XC_KEY
         "\"}}",
         "status has clientKeyData without clientCertificateData"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"TUlJQg==\","
         "\"clientKeyData\":\"" XC_KEY "\"}}",
         "status.clientCertificateData is not PEM"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"" XC_CERT
         "\",\"clientKeyData\":\"" XC_TOKEN "\"}}",
         "status.clientKeyData is not PEM"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"clientKeyData\":{}}}",
         "status.clientKeyData must be a string"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN
         "\",\"expirationTimestamp\":1893553445}}",
         "status.expirationTimestamp 1893553445 is not an RFC 3339 time"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN
         "\",\"expirationTimestamp\":\"tomorrow\"}}",
         "status.expirationTimestamp \"tomorrow\" is not an RFC 3339 time"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN
         "\",\"expirationTimestamp\":\"2030-01-02T03:04:05\"}}",
         "is not an RFC 3339 time"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}",
         "apiVersion appears twice"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"a\",\"token\":\"" XC_TOKEN
         "\"}}",
         "status.token appears twice"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"},\"status\":{}}",
         "status appears twice"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN "\"}}garbage",
         "not a JSON ExecCredential"},
        {"{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN "\"}",
         "not a JSON ExecCredential"},
        {"\xef\xbb\xbf{}", "not a JSON ExecCredential"},
        {"{\"apiVersion\":\"\xff\"}", "not a JSON ExecCredential"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        exec_cred c;
        char err[EXEC_CRED_ERR_MAX];
        memset(err, 0, sizeof err);
        int rc = xc_parse(cases[i].out, XC_V1, &c, err, sizeof err);
        char what[600];
        snprintf(what, sizeof what, "case %zu: rc %d \"%s\", want \"%s\"", i, rc, err, cases[i].says);
        CHECK_MSG(rc == -1 && strstr(err, cases[i].says) != NULL, what);
        CHECK_MSG(strstr(err, XC_TOKEN) == NULL && strstr(err, "s3cret") == NULL && strstr(err, "('") == NULL, what);
        CHECK(c.token == NULL && c.cert_pem == NULL && c.key_pem == NULL);
    }
}

/* The bounds: output size, token size, JSON nesting and tokens. */
UNIT_TEST(exec_cred_bounds)
{
    exec_cred c;
    char err[EXEC_CRED_ERR_MAX];
    /* A token of exactly the limit is fine; one byte more is not. */
    for (size_t n = EXEC_CRED_TOKEN_MAX; n <= EXEC_CRED_TOKEN_MAX + 1; n++) {
        char *tok = malloc(n + 1);
        memset(tok, 'a', n);
        tok[n] = '\0';
        char *out = unit_fmt("{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"%s\"}}", tok);
        int rc = xc_parse(out, XC_V1, &c, err, sizeof err);
        CHECK(rc == (n == EXEC_CRED_TOKEN_MAX ? 0 : -1));
        if (rc != 0)
            CHECK(strstr(err, "status.token is 16385 bytes; the limit is 16384") != NULL);
        exec_cred_free(&c);
        free(out);
        free(tok);
    }
    /* Output over 1 MiB, even if valid JSON padded with spaces. */
    size_t big = EXEC_CRED_MAX_OUTPUT + 1;
    char *out = malloc(big + 1);
    const char *doc = "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"t\"}}";
    memset(out, ' ', big);
    memcpy(out, doc, strlen(doc));
    out[big] = '\0';
    CHECK(exec_cred_parse(out, big, XC_V1, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "the output is 1048577 bytes; the limit is 1048576") != NULL);
    CHECK(exec_cred_parse(out, big - 1, XC_V1, &c, err, sizeof err) == 0);
    exec_cred_free(&c);
    /* Nesting deeper than the bound, in a field nobody reads. */
    size_t o = (size_t)snprintf(out, big, "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"x\":");
    for (int i = 0; i < EXEC_CRED_MAX_DEPTH + 1; i++)
        out[o++] = '[';
    for (int i = 0; i < EXEC_CRED_MAX_DEPTH + 1; i++)
        out[o++] = ']';
    o += (size_t)snprintf(out + o, big - o, ",\"status\":{\"token\":\"t\"}}");
    CHECK(exec_cred_parse(out, o, XC_V1, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "nesting deeper than 32") != NULL);
    /* More tokens than the bound. */
    o = (size_t)snprintf(out, big, "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"x\":[");
    for (int i = 0; i < EXEC_CRED_MAX_TOKENS; i++)
        o += (size_t)snprintf(out + o, big - o, "%s0", i ? "," : "");
    o += (size_t)snprintf(out + o, big - o, "],\"status\":{\"token\":\"t\"}}");
    CHECK(exec_cred_parse(out, o, XC_V1, &c, err, sizeof err) == -1);
    CHECK(strstr(err, "more than 65536 tokens") != NULL);
    free(out);
    /* Any prefix of a valid answer is refused cleanly (a plugin killed mid-write). */
    const char *full = "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"" XC_TOKEN
                       "\",\"expirationTimestamp\":\"2030-01-02T03:04:05Z\"}}";
    for (size_t n = 0; n < strlen(full); n++) {
        CHECK(exec_cred_parse(full, n, XC_V1, &c, err, sizeof err) == -1);
        CHECK(strstr(err, XC_TOKEN) == NULL);
    }
    CHECK(exec_cred_parse(full, strlen(full), XC_V1, &c, err, sizeof err) == 0);
    exec_cred_free(&c);
}

UNIT_TEST(exec_cred_rfc3339_times)
{
    static const struct {
        const char *text;
        int64_t ms;
    } good[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:01.5Z", 1500},
        {"1970-01-01T00:00:00.123456789Z", 123},
        {"1970-01-01T01:00:00+01:00", 0},
        {"1969-12-31T23:00:00-01:00", 0},
        {"2000-02-29T12:34:56Z", 951827696000LL},
        {"2024-12-31T23:59:59Z", 1735689599000LL},
        {"2030-01-02T03:04:05Z", 1893553445000LL},
        {"1969-12-31T23:59:59Z", -1000},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ms = 42;
        int rc = exec_cred_rfc3339(good[i].text, strlen(good[i].text), &ms);
        CHECK_MSG(rc == 0 && ms == good[i].ms, good[i].text);
    }
    static const char *const bad[] = {
        "",
        "2030-01-02",
        "2030-01-02T03:04:05",
        "2030-01-02 03:04:05Z",
        "2030-01-02t03:04:05Z",
        "2030-01-02T03:04:05z",
        "2030-13-02T03:04:05Z",
        "2030-00-02T03:04:05Z",
        "2030-01-00T03:04:05Z",
        "2030-01-32T03:04:05Z",
        "2030-04-31T03:04:05Z",
        "2023-02-29T03:04:05Z",
        "1900-02-29T03:04:05Z",
        "2030-01-02T24:00:00Z",
        "2030-01-02T03:60:05Z",
        "2030-01-02T03:04:60Z",
        "2030-01-02T03:04:05.Z",
        "2030-01-02T03:04:05.1234567890Z",
        "2030-01-02T03:04:05+24:00",
        "2030-01-02T03:04:05+01:60",
        "2030-01-02T03:04:05+0100",
        "2030-01-02T03:04:05+01",
        "2030-01-02T03:04:05Z ",
        "2030-01-02T03:04:05ZZ",
        "+030-01-02T03:04:05Z",
        "2030-1-02T03:04:05Z",
        "20300102T030405Z",
        "2030-01-02T03:04:05,5Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ms;
        CHECK_MSG(exec_cred_rfc3339(bad[i], strlen(bad[i]), &ms) == -1, bad[i]);
    }
    int64_t ms;
    /* The length bounds the read: no NUL needed, nothing past len looked at. */
    CHECK(exec_cred_rfc3339("1970-01-01T00:00:00Zjunk", 20, &ms) == 0 && ms == 0);
    CHECK(exec_cred_rfc3339("1970-01-01T00:00:00.5", 21, &ms) == -1);
    CHECK(exec_cred_rfc3339(NULL, 0, &ms) == -1);
}

UNIT_TEST(exec_cred_info_json_shapes)
{
    char *s = exec_cred_info_json(XC_V1, NULL);
    CHECK_STR_EQ(s, "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false}}");
    free(s);
    static const uint8_t ca[] = "-----BEGIN CERTIFICATE-----\nAB\n-----END CERTIFICATE-----\n";
    exec_cred_cluster cl = {.server = "https://10.0.0.1:6443/k8s", .ca_pem = ca, .ca_len = sizeof ca - 1};
    s = exec_cred_info_json(XC_V1BETA1, &cl);
    CHECK_STR_EQ(s, "{\"apiVersion\":\"" XC_V1BETA1 "\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false,"
                    "\"cluster\":{\"server\":\"https://10.0.0.1:6443/k8s\",\"certificate-authority-data\":"
                    "\"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCkFCCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K\"}}}");
    free(s);
    exec_cred_cluster insecure = {.server = "https://k.example", .tls_server_name = "api.internal",
                                  .insecure_skip_tls_verify = true};
    s = exec_cred_info_json(XC_V1, &insecure);
    CHECK_STR_EQ(s, "{\"apiVersion\":\"" XC_V1 "\",\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":false,"
                    "\"cluster\":{\"server\":\"https://k.example\",\"tls-server-name\":\"api.internal\","
                    "\"insecure-skip-tls-verify\":true}}}");
    free(s);
}

/* The refresh rule, one row per case: a credential obtained at t=0 that expires at
 * t=100 s has a margin of 10 s; one that lives 1 h a margin of 60 s (the cap). */
UNIT_TEST(exec_cred_decide_rows)
{
    const exec_cred_state none = {0};
    const exec_cred_state fresh = {.have = true, .has_expiry = true, .obtained_ms = 0, .expiry_ms = 100000};
    const exec_cred_state forever = {.have = true, .obtained_ms = 0};
    exec_cred_state hour = {.have = true, .has_expiry = true, .obtained_ms = 0, .expiry_ms = 3600000};
    exec_cred_state s;
    static const char *const names[] = {"USE", "USE_REFRESH", "WAIT", "RUN_WAIT", "FAIL"};
    struct {
        const char *row;
        exec_cred_state st;
        int64_t now;
        bool waited;
        exec_cred_action want;
    } rows[] = {
        {"no credential: run and wait", none, 5, false, EXEC_CRED_RUN_WAIT},
        {"no credential, run under way: wait", {.running = true}, 5, false, EXEC_CRED_WAIT},
        {"no credential, failed recently: fail", {.retry_at_ms = 1000}, 999, false, EXEC_CRED_FAIL},
        {"no credential, backoff over: run", {.retry_at_ms = 1000}, 1000, false, EXEC_CRED_RUN_WAIT},
        {"no expiry: use forever", forever, INT64_C(1) << 50, false, EXEC_CRED_USE},
        {"fresh: use", fresh, 50000, false, EXEC_CRED_USE},
        {"just before the margin: use", fresh, 89999, false, EXEC_CRED_USE},
        {"in the margin: use and refresh", fresh, 90000, false, EXEC_CRED_USE_REFRESH},
        {"last ms: use and refresh", fresh, 99999, false, EXEC_CRED_USE_REFRESH},
        {"expired: run and wait", fresh, 100000, false, EXEC_CRED_RUN_WAIT},
        {"expired, waited for it: use", fresh, 200000, true, EXEC_CRED_USE},
        {"hour: margin capped at 60 s", hour, 3540000 - 1, false, EXEC_CRED_USE},
        {"hour: 60 s before", hour, 3540000, false, EXEC_CRED_USE_REFRESH},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        exec_cred_action got = exec_cred_decide(&rows[i].st, rows[i].now, rows[i].waited);
        char what[200];
        snprintf(what, sizeof what, "%s: got %s, want %s", rows[i].row, names[got], names[rows[i].want]);
        CHECK_MSG(got == rows[i].want, what);
    }
    /* In the margin with a run already going or a failure backing off: just use it. */
    s = fresh;
    s.running = true;
    CHECK(exec_cred_decide(&s, 95000, false) == EXEC_CRED_USE);
    s = fresh;
    s.retry_at_ms = 96000;
    CHECK(exec_cred_decide(&s, 95000, false) == EXEC_CRED_USE);
    CHECK(exec_cred_decide(&s, 96000, false) == EXEC_CRED_USE_REFRESH);
    /* Expired with a run going: wait; expired while backing off: fail. */
    s = fresh;
    s.running = true;
    CHECK(exec_cred_decide(&s, 100000, false) == EXEC_CRED_WAIT);
    s = fresh;
    s.retry_at_ms = 150000;
    CHECK(exec_cred_decide(&s, 120000, false) == EXEC_CRED_FAIL);
    /* A 401 dropped it: the request that waited does not take a missing one. */
    s = none;
    CHECK(exec_cred_decide(&s, 5, true) == EXEC_CRED_RUN_WAIT);
    s.retry_at_ms = 10;
    CHECK(exec_cred_decide(&s, 5, true) == EXEC_CRED_FAIL);
    /* A credential that arrived already expired (or with no lifetime): no margin. */
    s = (exec_cred_state){.have = true, .has_expiry = true, .obtained_ms = 5000, .expiry_ms = 1000};
    CHECK(exec_cred_decide(&s, 5000, true) == EXEC_CRED_USE);
    CHECK(exec_cred_decide(&s, 5000, false) == EXEC_CRED_RUN_WAIT);
    hour.obtained_ms = hour.expiry_ms;
    CHECK(exec_cred_decide(&hour, hour.expiry_ms - 1, false) == EXEC_CRED_USE);
}
