/* Unit tests for http_request: requests as written byte for byte, and every field that could
 * inject a header refused with its name and offset; query escaping. */
#include "net/http_request.h"
#include "net/http_response.h"
#include "unit.h"

static http_request base_request(void)
{
    http_request q;
    memset(&q, 0, sizeof q);
    q.method = "GET";
    q.target = "/api/v1/services?watch=1&resourceVersion=5";
    q.host = "api.example.com";
    q.port = 6443;
    q.token = "eyJhbGciOi.J9x-_~+/=";
    q.version = "0.1.0";
    return q;
}

UNIT_TEST(http_request_get)
{
    http_buf out;
    http_buf_init(&out);
    http_request q = base_request();
    char why[HTTP_ERROR_MAX] = "";
    CHECK(http_request_write(&out, &q, why, sizeof why) == 0);
    CHECK_STR_EQ(out.data, "GET /api/v1/services?watch=1&resourceVersion=5 HTTP/1.1\r\n"
                           "Host: api.example.com:6443\r\n"
                           "Authorization: Bearer eyJhbGciOi.J9x-_~+/=\r\n"
                           "Accept: application/json\r\nUser-Agent: svclink/0.1.0\r\n\r\n");
    http_buf_reset(&out);
    CHECK(out.len == 0);
    q.port = 443;
    q.token = NULL;
    q.close = true;
    CHECK(http_request_write(&out, &q, why, sizeof why) == 0);
    CHECK_STR_EQ(out.data, "GET /api/v1/services?watch=1&resourceVersion=5 HTTP/1.1\r\n"
                           "Host: api.example.com\r\nAccept: application/json\r\n"
                           "User-Agent: svclink/0.1.0\r\nConnection: close\r\n\r\n");
    http_buf_free(&out);
    CHECK(out.data == NULL && out.len == 0);
}

UNIT_TEST(http_request_body_and_hosts)
{
    http_buf out;
    http_buf_init(&out);
    http_request q = base_request();
    q.method = "PUT";
    q.target = "/apis/discovery.k8s.io/v1/namespaces/a/endpointslices/b";
    q.host = "fd00::1";
    q.token = NULL;
    q.content_type = "application/json; charset=utf-8";
    q.body = "{\"a\":\0}";
    q.body_len = 7;
    CHECK(http_request_write(&out, &q, NULL, 0) == 0);
    const char *want = "PUT /apis/discovery.k8s.io/v1/namespaces/a/endpointslices/b HTTP/1.1\r\n"
                       "Host: [fd00::1]:6443\r\nAccept: application/json\r\n"
                       "User-Agent: svclink/0.1.0\r\nContent-Type: application/json; charset=utf-8\r\n"
                       "Content-Length: 7\r\n\r\n{\"a\":\0}";
    CHECK(out.len == strlen(want) + 2 && memcmp(out.data, want, out.len) == 0);
    http_buf_reset(&out);
    q.host = "[::ffff:10.0.0.1]";
    q.port = 443;
    q.body = "";
    q.body_len = 0;
    q.content_type = NULL;
    q.method = "DELETE";
    CHECK(http_request_write(&out, &q, NULL, 0) == 0);
    CHECK(strstr(out.data, "\r\nHost: [::ffff:10.0.0.1]\r\n") != NULL);
    CHECK(strstr(out.data, "\r\nContent-Length: 0\r\n\r\n") != NULL);
    CHECK(strstr(out.data, "Content-Type") == NULL);
    http_buf_reset(&out);
    q.host = "10.96.0.1";
    CHECK(http_request_write(&out, &q, NULL, 0) == 0);
    CHECK(strstr(out.data, "\r\nHost: 10.96.0.1\r\n") != NULL);
    http_buf_free(&out);
}

UNIT_TEST(http_request_injection)
{
    struct {
        const char *field;
        const char *value;
        const char *why;
    } cases[] = {
        {"method", "GET /x HTTP/1.1\r\nX:", "method has a forbidden byte 0x20 at offset 3"},
        {"method", "G(T", "method has a forbidden byte 0x28 at offset 1"},
        {"method", "", "method is empty"},
        {"target", "/a b", "target has a forbidden byte 0x20 at offset 2"},
        {"target", "/a\r\nX-Evil: 1", "target has a forbidden byte 0x0d at offset 2"},
        {"target", "/a\nb", "target has a forbidden byte 0x0a"},
        {"target", "/a\x7f", "target has a forbidden byte 0x7f"},
        {"target", "/caf\xc3\xa9", "target has a forbidden byte 0xc3"},
        {"target", "api/v1", "target does not start with '/'"},
        {"target", "/a#frag", "target has a fragment at offset 2"},
        {"host", "evil.com\r\nX: 1", "host has a forbidden byte 0x0d at offset 8"},
        {"host", "a b", "host has a forbidden byte 0x20 at offset 1"},
        {"host", "a/b", "host has a forbidden byte 0x2f at offset 1"},
        {"host", "user@a", "host has a forbidden byte 0x40"},
        {"host", "[::1", "host has an unclosed '['"},
        {"host", "[a.b]", "host in brackets is not an IPv6 literal"},
        {"host", "fe80::1%eth0", "host has a forbidden byte 0x25 at offset 7"},
        {"host", "", "host is empty"},
        {"token", "abc\r\nX-Evil: 1", "bearer token has a forbidden byte 0x0d at offset 3"},
        {"token", "abc def", "bearer token has a forbidden byte 0x20 at offset 3"},
        {"token", "abc\tdef", "bearer token has a forbidden byte 0x09 at offset 3"},
        {"token", "", "bearer token is empty"},
        {"version", "1.0\r\nX: y", "version has a forbidden byte 0x0d at offset 3"},
        {"version", "", "version is empty"},
        {"content_type", "a\r\nb", "content type has a forbidden byte 0x0d at offset 1"},
        {"content_type", " application/json", "content type starts or ends with a space"},
        {"content_type", "a\x01", "content type has a forbidden byte 0x01"},
    };
    http_buf out;
    http_buf_init(&out);
    CHECK(http_buf_append(&out, "kept", 4) == 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        http_request q = base_request();
        q.body = "{}";
        q.body_len = 2;
        if (strcmp(cases[i].field, "method") == 0)
            q.method = cases[i].value;
        else if (strcmp(cases[i].field, "target") == 0)
            q.target = cases[i].value;
        else if (strcmp(cases[i].field, "host") == 0)
            q.host = cases[i].value;
        else if (strcmp(cases[i].field, "token") == 0)
            q.token = cases[i].value;
        else if (strcmp(cases[i].field, "version") == 0)
            q.version = cases[i].value;
        else
            q.content_type = cases[i].value;
        char why[HTTP_ERROR_MAX] = "";
        CHECK(http_request_write(&out, &q, why, sizeof why) == -1);
        if (strstr(why, cases[i].why) == NULL)
            fprintf(stderr, "case %zu: got \"%s\", expected \"%s\"\n", i, why, cases[i].why);
        CHECK(strstr(why, cases[i].why) != NULL);
        CHECK(strstr(why, "Evil") == NULL);
        CHECK(out.len == 4 && strcmp(out.data, "kept") == 0);
    }
    http_request q = base_request();
    char why[HTTP_ERROR_MAX];
    q.port = 0;
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 && strstr(why, "port 0") != NULL);
    q.port = 65536;
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 && strstr(why, "port 65536") != NULL);
    q = base_request();
    q.content_type = "application/json";
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 &&
          strstr(why, "content type given without a body") != NULL);
    q = base_request();
    q.body_len = 3;
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 &&
          strstr(why, "body length 3 with no body") != NULL);
    char long_host[300];
    memset(long_host, 'h', sizeof long_host - 1);
    long_host[sizeof long_host - 1] = '\0';
    q = base_request();
    q.host = long_host;
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 &&
          strstr(why, "host longer than 255 bytes") != NULL);
    long_host[255] = '\0';
    http_buf scratch;
    http_buf_init(&scratch);
    CHECK(http_request_write(&scratch, &q, why, sizeof why) == 0);
    http_buf_free(&scratch);
    q = base_request();
    q.target = NULL;
    CHECK(http_request_write(&out, &q, why, sizeof why) == -1 && strstr(why, "target is empty") != NULL);
    CHECK(out.len == 4);
    http_buf_free(&out);
}

UNIT_TEST(http_query_escape_values)
{
    http_buf out;
    http_buf_init(&out);
    const char *sel = "a=b,c!=d";
    CHECK(http_request_query_escape(&out, sel, strlen(sel)) == 0);
    CHECK_STR_EQ(out.data, "a%3Db%2Cc%21%3Dd");
    http_buf_reset(&out);
    const char *tok = "eyJ2Ijoi+/x=";
    CHECK(http_request_query_escape(&out, tok, strlen(tok)) == 0);
    CHECK_STR_EQ(out.data, "eyJ2Ijoi%2B%2Fx%3D");
    http_buf_reset(&out);
    CHECK(http_request_query_escape(&out, "A-z.0_9~ \r\n\0\xff", 13) == 0);
    CHECK_STR_EQ(out.data, "A-z.0_9~%20%0D%0A%00%FF");
    http_buf_reset(&out);
    CHECK(http_request_query_escape(&out, "", 0) == 0);
    CHECK(out.len == 0 && out.data != NULL && out.data[0] == '\0');
    http_buf_free(&out);
}
