/* Unit tests for url: every kind of host, ports, path prefixes, and each way a server
 * URL is refused, with messages that keep credentials out. */
#include "unit.h"
#include "kubeconfig/url.h"

static int url_try(const char *text, url_parts *u, char *err)
{
    return url_parse(text, u, err, URL_ERR_MAX);
}

UNIT_TEST(url_dns_default_port)
{
    url_parts u;
    char err[URL_ERR_MAX];
    CHECK(url_try("https://API.Example.com", &u, err) == 0);
    CHECK_STR_EQ(u.host.name, "api.example.com");
    CHECK(u.host.kind == URL_HOST_DNS);
    CHECK(u.port == 443);
    CHECK_STR_EQ(u.path_prefix, "");
    CHECK(url_try("HTTPS://kube_api.internal:6443/", &u, err) == 0);
    CHECK_STR_EQ(u.host.name, "kube_api.internal");
    CHECK(u.port == 6443);
    CHECK_STR_EQ(u.path_prefix, "");
}

UNIT_TEST(url_ipv4_and_ipv6_literals)
{
    url_parts u;
    char err[URL_ERR_MAX];
    static const uint8_t v4[4] = {10, 0, 0, 1};
    static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK(url_try("https://10.0.0.1:6443", &u, err) == 0);
    CHECK(u.host.kind == URL_HOST_IPV4 && memcmp(u.host.addr, v4, 4) == 0);
    CHECK_STR_EQ(u.host.name, "10.0.0.1");
    CHECK(u.port == 6443);
    CHECK(url_try("https://[::1]:6443", &u, err) == 0);
    CHECK(u.host.kind == URL_HOST_IPV6 && memcmp(u.host.addr, v6, 16) == 0);
    CHECK_STR_EQ(u.host.name, "::1");
    CHECK(url_try("https://[FD00::A:1]", &u, err) == 0);
    CHECK_STR_EQ(u.host.name, "fd00::a:1");
    CHECK(u.port == 443);
    CHECK(url_try("https://[::ffff:192.0.2.1]:1/x", &u, err) == 0);
    CHECK(u.port == 1 && u.host.addr[10] == 0xff && u.host.addr[12] == 192);
    CHECK_STR_EQ(u.path_prefix, "/x");
}

UNIT_TEST(url_path_prefix)
{
    url_parts u;
    char err[URL_ERR_MAX];
    CHECK(url_try("https://rancher.example.com/k8s/clusters/c-xyz", &u, err) == 0);
    CHECK_STR_EQ(u.path_prefix, "/k8s/clusters/c-xyz");
    CHECK(url_try("https://rancher.example.com:8443/k8s/clusters/c-xyz//", &u, err) == 0);
    CHECK_STR_EQ(u.path_prefix, "/k8s/clusters/c-xyz");
    CHECK(u.port == 8443);
    CHECK(url_try("https://h/a%2Fb/~user/x-y_z.1:2@3", &u, err) == 0);
    CHECK_STR_EQ(u.path_prefix, "/a%2Fb/~user/x-y_z.1:2@3");
    CHECK(url_try("https://h:65535", &u, err) == 0 && u.port == 65535);
    CHECK(url_try("https://h:00443", &u, err) == 0 && u.port == 443);
}

UNIT_TEST(url_authority_text)
{
    url_parts u;
    char err[URL_ERR_MAX], buf[64];
    CHECK(url_try("https://h.example", &u, err) == 0);
    CHECK(url_authority(&u, buf, sizeof buf) == 0);
    CHECK_STR_EQ(buf, "h.example");
    CHECK(url_try("https://[::1]:6443", &u, err) == 0);
    CHECK(url_authority(&u, buf, sizeof buf) == 0);
    CHECK_STR_EQ(buf, "[::1]:6443");
    CHECK(url_try("https://10.1.2.3:8443/p", &u, err) == 0);
    CHECK(url_authority(&u, buf, sizeof buf) == 0);
    CHECK_STR_EQ(buf, "10.1.2.3:8443");
    CHECK(url_authority(&u, buf, 5) == -1);
    CHECK_STR_EQ(buf, "");
}

/* Each bad URL, and a word its message must contain. */
UNIT_TEST(url_errors)
{
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"http://h", "plain http"},
        {"HTTP://h", "refused"},
        {"ftp://h", "\"ftp\" is not supported"},
        {"h:6443", "no scheme"},
        {"//h", "no scheme"},
        {"", "no scheme"},
        {"https:/h", "no scheme"},
        {"https://", "no host"},
        {"https:///x", "no host"},
        {"https://:6443", "no host"},
        {"https://h:", "no port"},
        {"https://h:0", "out of range"},
        {"https://h:65536", "out of range"},
        {"https://h:99999999999999999999", "out of range"},
        {"https://h:64x", "not a number"},
        {"https://h:-1", "not a number"},
        {"https://h:+443", "not a number"},
        {"https://::1:6443", "brackets"},
        {"https://[::1", "closing"},
        {"https://[::1]x", "after ']'"},
        {"https://[::1]:", "no port"},
        {"https://[1.2.3.4]", "not a valid IPv6"},
        {"https://[fe80::1%25eth0]", "not a valid IPv6"},
        {"https://[]", "not a valid IPv6"},
        {"https://1.2.3", "IPv4"},
        {"https://256.1.1.1", "IPv4"},
        {"https://010.1.1.1", "IPv4"},
        {"https://0x7f000001", "IPv4"},
        {"https://h.0x7f", "IPv4"},
        {"https://a..b", "empty label"},
        {"https://.a", "empty label"},
        {"https://a.b.", "must not end"},
        {"https://-a.b", "'-'"},
        {"https://a-.b", "'-'"},
        {"https://a b", "not allowed in a DNS name"},
        {"https://h%41", "not allowed in a DNS name"},
        {"https://h\xc3\xa9", "not allowed in a DNS name"},
        {"https://h/a b", "path"},
        {"https://h/a\r\nX-Evil: 1", "path"},
        {"https://h/%zz", "path"},
        {"https://h/%4", "path"},
        {"https://h/\"", "path"},
        {"https://h?x=1", "query"},
        {"https://h/p?x=1", "query"},
        {"https://h#f", "fragment"},
        {"https://h/p#f", "fragment"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        url_parts u;
        char err[URL_ERR_MAX];
        memset(&u, 0x55, sizeof u);
        int rc = url_try(bad[i].text, &u, err);
        CHECK(rc == -1);
        CHECK(u.port == 0 && u.host.name[0] == '\0');
        if (rc != -1 || strstr(err, bad[i].says) == NULL) {
            fprintf(stderr, "url case %zu \"%s\": rc %d, message \"%s\", wanted \"%s\"\n", i, bad[i].text, rc, err,
                    bad[i].says);
            CHECK(strstr(err, bad[i].says) != NULL);
        }
    }
}

UNIT_TEST(url_userinfo_not_echoed)
{
    url_parts u;
    char err[URL_ERR_MAX];
    CHECK(url_try("https://admin:hunter2@h:6443", &u, err) == -1);
    CHECK(strstr(err, "user information") != NULL);
    CHECK(strstr(err, "hunter2") == NULL && strstr(err, "admin") == NULL);
    CHECK(url_try("https://h/p?token=abcdef123", &u, err) == -1);
    CHECK(strstr(err, "abcdef123") == NULL);
    CHECK(url_try("https://user@[::1]", &u, err) == -1);
    CHECK(strstr(err, "user information") != NULL);
}

UNIT_TEST(url_limits)
{
    char text[URL_PATH_MAX + URL_HOST_MAX + 64];
    url_parts u;
    char err[URL_ERR_MAX];
    /* 253 characters: four 62-character labels and "a" is exactly the longest name. */
    char host[URL_HOST_MAX + 8];
    memset(host, 'a', sizeof host);
    for (int i = 62; i < URL_HOST_MAX; i += 63)
        host[i] = '.';
    host[URL_HOST_MAX] = '\0';
    snprintf(text, sizeof text, "https://%s", host);
    CHECK(url_try(text, &u, err) == 0);
    CHECK(strlen(u.host.name) == URL_HOST_MAX);
    host[URL_HOST_MAX] = 'a';
    host[URL_HOST_MAX + 1] = '\0';
    snprintf(text, sizeof text, "https://%s", host);
    CHECK(url_try(text, &u, err) == -1 && strstr(err, "longer than 253") != NULL);
    memset(host, 'b', 64);
    host[64] = '\0';
    snprintf(text, sizeof text, "https://%s.com", host);
    CHECK(url_try(text, &u, err) == -1 && strstr(err, "longer than 63") != NULL);
    /* A path prefix of exactly URL_PATH_MAX, then one more byte. */
    memcpy(text, "https://h", 9);
    memset(text + 9, '/', 1);
    memset(text + 10, 'p', URL_PATH_MAX - 1);
    text[9 + URL_PATH_MAX] = '\0';
    CHECK(url_try(text, &u, err) == 0 && strlen(u.path_prefix) == URL_PATH_MAX);
    text[9 + URL_PATH_MAX] = 'p';
    text[10 + URL_PATH_MAX] = '\0';
    CHECK(url_try(text, &u, err) == -1 && strstr(err, "longer than 512") != NULL);
}

UNIT_TEST(url_host_forms)
{
    url_host h;
    char err[URL_ERR_MAX];
    CHECK(url_host_parse("Kubernetes.Default.svc", 22, &h, err, sizeof err) == 0);
    CHECK(h.kind == URL_HOST_DNS);
    CHECK_STR_EQ(h.name, "kubernetes.default.svc");
    CHECK(url_host_parse("192.0.2.7", 9, &h, err, sizeof err) == 0 && h.kind == URL_HOST_IPV4);
    CHECK(h.addr[0] == 192 && h.addr[3] == 7);
    CHECK(url_host_parse("[2001:db8::5]", 13, &h, err, sizeof err) == 0 && h.kind == URL_HOST_IPV6);
    CHECK_STR_EQ(h.name, "2001:db8::5");
    CHECK(url_host_parse("2001:db8::5", 11, &h, err, sizeof err) == 0 && h.kind == URL_HOST_IPV6);
    CHECK(h.addr[0] == 0x20 && h.addr[1] == 0x01 && h.addr[15] == 5);
    /* Only len bytes count: the rest of the buffer is not read. */
    CHECK(url_host_parse("abc.def", 3, &h, err, sizeof err) == 0);
    CHECK_STR_EQ(h.name, "abc");
    CHECK(url_host_parse("", 0, &h, err, sizeof err) == -1 && strstr(err, "empty") != NULL);
    CHECK(url_host_parse("[::1", 4, &h, err, sizeof err) == -1);
    CHECK(url_host_parse("a:b", 3, &h, err, sizeof err) == -1 && strstr(err, "IPv6") != NULL);
    CHECK(url_host_parse("h:443", 5, &h, err, sizeof err) == -1);
    CHECK(url_host_parse("a\0b", 3, &h, err, sizeof err) == -1);
    CHECK(h.name[0] == '\0' && h.kind == 0);
}

UNIT_TEST(url_host_is_ip_forms)
{
    url_host_kind kind = 0;
    uint8_t addr[16];
    CHECK(url_host_is_ip("10.0.0.1", &kind, addr) && kind == URL_HOST_IPV4 && addr[0] == 10);
    CHECK(url_host_is_ip("::1", &kind, addr) && kind == URL_HOST_IPV6 && addr[15] == 1);
    CHECK(url_host_is_ip("[fd00::2]", &kind, addr) && kind == URL_HOST_IPV6 && addr[15] == 2);
    CHECK(url_host_is_ip("10.0.0.1", NULL, NULL));
    CHECK(!url_host_is_ip("example.com", &kind, addr));
    CHECK(!url_host_is_ip("1.2.3", &kind, addr));
    CHECK(!url_host_is_ip("[10.0.0.1]", &kind, addr));
    CHECK(!url_host_is_ip("", &kind, addr));
    CHECK(!url_host_is_ip("[]", &kind, addr));
}

UNIT_TEST(url_error_buffer_small)
{
    url_parts u;
    char err[8];
    CHECK(url_parse("http://h", &u, err, sizeof err) == -1);
    CHECK(strlen(err) == 7);
    CHECK(url_parse("http://h", &u, NULL, 0) == -1);
}
