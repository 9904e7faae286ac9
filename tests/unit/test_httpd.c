/* Unit tests for httpd's request parser: complete and partial heads, queries stripped,
 * and every malformed or oversized request refused without reading past the input; header
 * look-up and Accept matching (what /leader answers in). */
#include "net/httpd.h"
#include "unit.h"

#include <stdlib.h>

static int httpd_parse(const char *text, char *method, char *path)
{
    return httpd_parse_request(text, strlen(text), method, 16, path, 64);
}

UNIT_TEST(httpd_parse_complete_and_partial)
{
    char m[16], p[64];
    CHECK(httpd_parse("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", m, p) == 1);
    CHECK_STR_EQ(m, "GET");
    CHECK_STR_EQ(p, "/metrics");
    CHECK(httpd_parse("HEAD /readyz?verbose=1 HTTP/1.0\r\n\r\n", m, p) == 1);
    CHECK_STR_EQ(m, "HEAD");
    CHECK_STR_EQ(p, "/readyz");
    CHECK(httpd_parse("GET /healthz HTTP/1.1\r\nHost: x\r\n", m, p) == 0);
    CHECK(httpd_parse("", m, p) == 0);
    CHECK(httpd_parse("G", m, p) == 0);
    /* Every prefix of a good request asks for more, never errs or over-reads. */
    const char *good = "GET /leader HTTP/1.1\r\nUser-Agent: probe\r\n\r\n";
    for (size_t n = 0; n < strlen(good); n++) {
        char *copy = malloc(n + 1);
        memcpy(copy, good, n);
        CHECK(httpd_parse_request(copy, n, m, sizeof m, p, sizeof p) == 0);
        free(copy);
    }
}

UNIT_TEST(httpd_parse_refuses_malformed)
{
    char m[16], p[64];
    const char *bad[] = {
        "GET metrics HTTP/1.1\r\n\r\n",      "GET /metrics\r\n\r\n",          "GET  /metrics HTTP/1.1\r\n\r\n",
        "get /metrics HTTP/1.1\r\n\r\n",     "GET /a b HTTP/1.1\r\n\r\n",      "GET /metrics HTTP/2.0\r\n\r\n",
        " /metrics HTTP/1.1\r\n\r\n",        "GET /metrics FTP/1.1x\r\n\r\n", "VERYLONGMETHODNAME / HTTP/1.1\r\n\r\n",
        "GET /\x01 HTTP/1.1\r\n\r\n",        "\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_MSG(httpd_parse(bad[i], m, p) == -1, bad[i]);
    }
    char longpath[200];
    snprintf(longpath, sizeof longpath, "GET /%0100d HTTP/1.1\r\n\r\n", 0);
    CHECK(httpd_parse(longpath, m, p) == -1); /* longer than the caller's 64 bytes */
    char *huge = malloc(HTTPD_MAX_REQUEST);
    memset(huge, 'a', HTTPD_MAX_REQUEST);
    CHECK(httpd_parse_request(huge, HTTPD_MAX_REQUEST, m, sizeof m, p, sizeof p) == -1);
    free(huge);
}

UNIT_TEST(httpd_header_finds_a_field_in_any_case)
{
    const char *req = "GET /leader HTTP/1.1\r\nHost: x\r\naccept:  application/json \t\r\nAccept: text/plain\r\n\r\n"
                      "Accept: not-a-header\r\n";
    char v[64];
    CHECK(httpd_header(req, strlen(req), "Accept", v, sizeof v) == 1);
    CHECK_STR_EQ(v, "application/json");
    CHECK(httpd_header(req, strlen(req), "HOST", v, sizeof v) == 1);
    CHECK_STR_EQ(v, "x");
    CHECK(httpd_header(req, strlen(req), "User-Agent", v, sizeof v) == 0 && v[0] == '\0');
    CHECK(httpd_header(req, strlen(req), "accept", v, 8) == -1 && v[0] == '\0');
    /* The request line is not a field, and a head cut anywhere is safe. */
    const char *line = "GET /a:b HTTP/1.1\r\n\r\n";
    CHECK(httpd_header(line, strlen(line), "GET /a", v, sizeof v) == 0);
    for (size_t n = 0; n <= strlen(req); n++) {
        char *copy = malloc(n + 1);
        memcpy(copy, req, n);
        CHECK(httpd_header(copy, n, "accept", v, sizeof v) >= 0);
        free(copy);
    }
}

UNIT_TEST(httpd_accepts_names_the_type_not_wildcards)
{
    CHECK(httpd_accepts("application/json", "application/json"));
    CHECK(httpd_accepts("Application/JSON", "application/json"));
    CHECK(httpd_accepts("text/plain, application/json; q=0.1", "application/json"));
    CHECK(httpd_accepts("application/json;charset=utf-8", "application/json"));
    CHECK(httpd_accepts(" application/json ;q=1", "application/json"));
    CHECK(!httpd_accepts("", "application/json"));
    CHECK(!httpd_accepts("*/*", "application/json"));
    CHECK(!httpd_accepts("application/*", "application/json"));
    CHECK(!httpd_accepts("text/plain", "application/json"));
    CHECK(!httpd_accepts("application/json;q=0", "application/json"));
    CHECK(!httpd_accepts("application/json; q=0.000", "application/json"));
    CHECK(httpd_accepts("application/json;q=0.001", "application/json"));
    CHECK(!httpd_accepts("application/jsonx", "application/json"));
    CHECK(!httpd_accepts(",,;", "application/json"));
}
