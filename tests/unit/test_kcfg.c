/* Unit tests for kcfg: real-shaped kubeconfigs, every refused field and error kind,
 * limits (aliases, size, depth), trusted file paths, and the in-cluster config. */
#include "base/b64.h"
#include "kubeconfig/kcfg.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* PEM-shaped stand-ins: kcfg checks the framing only, the TLS layer parses the rest. */
#define KT_CA "-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAKHBfpegPjMCMA0GCSqGSIb3DQEB\n-----END CERTIFICATE-----\n"
#define KT_CERT "-----BEGIN CERTIFICATE-----\nMIIBcTCCARegAwIBAgIIclient000000000000\n-----END CERTIFICATE-----\n"
#define KT_KEY "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIKEYKEYKEYKEYoAoGCCqG\n-----END EC PRIVATE KEY-----\n"
/* A token that must never show up in a message. */
#define KT_TOKEN "kt-s3cret-t0ken.abcdefghijklmnop"

static char *kt_b64(const char *s)
{
    return b64_encode((const uint8_t *)s, strlen(s));
}

static int kt_parse(const char *yaml, const char *ctx, kcfg_trust trust, kcfg_config *cfg, kcfg_error *err)
{
    return kcfg_parse(yaml, strlen(yaml), ctx, trust, NULL, cfg, err);
}

/* Parses a document expected to fail: checks the kind, that the message contains says,
 * that the token is not in it and that the result was left empty. */
static void kt_expect_fail(const char *yaml, kcfg_trust trust, kcfg_err_kind kind, const char *says)
{
    kcfg_config cfg;
    kcfg_error err;
    int rc = kt_parse(yaml, NULL, trust, &cfg, &err);
    CHECK(rc == -1);
    CHECK(err.kind == kind);
    CHECK(strstr(err.msg, says) != NULL);
    CHECK(strstr(err.msg, KT_TOKEN) == NULL);
    CHECK(cfg.server == NULL && cfg.token == NULL && cfg.client_key_pem == NULL);
    if (rc != -1 || err.kind != kind || strstr(err.msg, says) == NULL)
        fprintf(stderr, "kcfg: got rc %d kind %s \"%s\", wanted %s \"%s\"\n", rc, kcfg_err_kind_name(err.kind),
                err.msg, kcfg_err_kind_name(kind), says);
    kcfg_free(&cfg);
}

/* A minimal kubeconfig with the given cluster and user bodies (each indented 4). */
static char *kt_doc(const char *cluster_body, const char *user_body)
{
    return unit_fmt("apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
                  "contexts:\n- name: ctx\n  context:\n    cluster: c1\n    user: u1\n"
                  "clusters:\n- name: c1\n  cluster:\n%s\n"
                  "users:\n- name: u1\n  user:\n%s\n",
                  cluster_body, user_body);
}

/* kt_expect_fail on kt_doc(cluster_body, user_body). */
static void kt_expect_doc_fail(const char *cluster_body, const char *user_body, kcfg_trust trust, kcfg_err_kind kind,
                               const char *says)
{
    char *doc = kt_doc(cluster_body, user_body);
    kt_expect_fail(doc, trust, kind, says);
    free(doc);
}

#define KT_SERVER "    server: https://10.0.0.1:6443"
#define KT_USER_TOKEN "    token: " KT_TOKEN

/* A token user plus user_extra must fail naming field as refused or unsupported. */
static void kt_expect_field(const char *cluster_body, const char *user_extra, kcfg_trust trust, kcfg_err_kind kind,
                            const char *field)
{
    char user[256], says[128];
    snprintf(user, sizeof user, "%s\n%s", KT_USER_TOKEN, user_extra);
    snprintf(says, sizeof says, "field \"%s\" is not %s", field,
             kind == KCFG_ERR_REFUSED ? "allowed in a ClusterLink kubeconfig" : "supported");
    kt_expect_doc_fail(cluster_body, user, trust, kind, says);
}

UNIT_TEST(kcfg_kind_style_client_cert)
{
    char *ca = kt_b64(KT_CA), *cert = kt_b64(KT_CERT), *key = kt_b64(KT_KEY);
    char *yaml = unit_fmt("apiVersion: v1\n"
                        "clusters:\n"
                        "- cluster:\n"
                        "    certificate-authority-data: %s\n"
                        "    server: https://127.0.0.1:38211\n"
                        "  name: kind-kind\n"
                        "contexts:\n"
                        "- context:\n"
                        "    cluster: kind-kind\n"
                        "    user: kind-kind\n"
                        "  name: kind-kind\n"
                        "current-context: kind-kind\n"
                        "kind: Config\n"
                        "preferences: {}\n"
                        "users:\n"
                        "- name: kind-kind\n"
                        "  user:\n"
                        "    client-certificate-data: %s\n"
                        "    client-key-data: %s\n",
                        ca, cert, key);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(yaml, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK(err.kind == KCFG_OK);
    CHECK_STR_EQ(cfg.server, "https://127.0.0.1:38211");
    CHECK(cfg.url.host.kind == URL_HOST_IPV4 && cfg.url.port == 38211);
    CHECK_STR_EQ(cfg.url.host.name, "127.0.0.1");
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    CHECK(cfg.ca_pem_len == strlen(KT_CA));
    CHECK_STR_EQ((const char *)cfg.client_cert_pem, KT_CERT);
    CHECK_STR_EQ((const char *)cfg.client_key_pem, KT_KEY);
    CHECK(cfg.client_key_pem_len == strlen(KT_KEY));
    CHECK(cfg.token == NULL && cfg.token_file == NULL && cfg.tls_server_name == NULL);
    CHECK(!cfg.insecure_skip_tls_verify);
    CHECK(cfg.namespace_name == NULL);
    CHECK_STR_EQ(cfg.context_name, "kind-kind");
    CHECK_STR_EQ(cfg.cluster_name, "kind-kind");
    CHECK_STR_EQ(cfg.user_name, "kind-kind");
    kcfg_free(&cfg);
    kcfg_free(&cfg);
    CHECK(cfg.server == NULL);
    free(yaml);
    free(ca);
    free(cert);
    free(key);
}

UNIT_TEST(kcfg_token_rancher_style)
{
    char *ca = kt_b64(KT_CA);
    /* Flow style, quoted strings, comments and unknown fields, as tools write them. */
    char *yaml = unit_fmt("# generated\n"
                        "apiVersion: v1\nkind: Config\n"
                        "clusters:\n"
                        "- name: \"prod\"\n"
                        "  cluster:\n"
                        "    server: \"https://rancher.example.com/k8s/clusters/c-xyz/\"\n"
                        "    certificate-authority-data: |\n      %.40s\n      %s\n"
                        "    tls-server-name: API.internal\n"
                        "    disable-compression: true\n"
                        "    extensions: [{name: x, extension: {a: [1, 2, {b: c}]}}]\n"
                        "users:\n"
                        "- {name: 'bot', user: {token: " KT_TOKEN "}}\n"
                        "contexts:\n"
                        "- name: prod\n  context: {cluster: prod, user: bot, namespace: team-a}\n"
                        "current-context: prod\n"
                        "extensions: []\n",
                        ca, ca + 40);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(yaml, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK_STR_EQ(cfg.url.host.name, "rancher.example.com");
    CHECK(cfg.url.host.kind == URL_HOST_DNS && cfg.url.port == 443);
    CHECK_STR_EQ(cfg.url.path_prefix, "/k8s/clusters/c-xyz");
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    CHECK_STR_EQ(cfg.token, KT_TOKEN);
    CHECK_STR_EQ(cfg.tls_server_name, "api.internal");
    CHECK(cfg.tls_server.kind == URL_HOST_DNS);
    CHECK_STR_EQ(cfg.namespace_name, "team-a");
    CHECK_STR_EQ(cfg.user_name, "bot");
    CHECK(cfg.client_cert_pem == NULL && cfg.client_key_pem == NULL);
    kcfg_free(&cfg);
    free(yaml);
    free(ca);
}

static const char kt_two_contexts[] =
    "current-context: a\n"
    "contexts:\n"
    "- name: a\n  context: {cluster: ca, user: ua}\n"
    "- name: b\n  context: {cluster: cb}\n"
    "clusters:\n"
    "- name: ca\n  cluster: {server: 'https://a.example', insecure-skip-tls-verify: true}\n"
    "- name: cb\n  cluster: {server: 'https://[fd00::1]:8443', tls-server-name: 10.0.0.9}\n"
    "users:\n"
    "- name: ua\n  user: {token: ta}\n"
    "- name: ub\n  user: {exec: {command: /bin/sh}}\n";

UNIT_TEST(kcfg_named_context_and_current)
{
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(kt_two_contexts, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK_STR_EQ(cfg.context_name, "a");
    CHECK_STR_EQ(cfg.url.host.name, "a.example");
    CHECK(cfg.insecure_skip_tls_verify);
    CHECK_STR_EQ(cfg.token, "ta");
    kcfg_free(&cfg);
    /* b has no user (anonymous); the exec user ub is unused, so it does not matter. */
    CHECK(kt_parse(kt_two_contexts, "b", KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK_STR_EQ(cfg.context_name, "b");
    CHECK_STR_EQ(cfg.cluster_name, "cb");
    CHECK(cfg.user_name == NULL && cfg.token == NULL);
    CHECK(cfg.url.host.kind == URL_HOST_IPV6 && cfg.url.port == 8443);
    CHECK(cfg.tls_server.kind == URL_HOST_IPV4 && cfg.tls_server.addr[3] == 9);
    CHECK(!cfg.insecure_skip_tls_verify);
    kcfg_free(&cfg);
}

UNIT_TEST(kcfg_unknown_context_lists_names)
{
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(kt_two_contexts, "prod", KCFG_UNTRUSTED, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID);
    CHECK_STR_EQ(err.msg, "context \"prod\" not found (contexts: a, b)");
    CHECK(kt_parse(kt_two_contexts, "evil\n\"name\"", KCFG_UNTRUSTED, &cfg, &err) == -1);
    CHECK_STR_EQ(err.msg, "context \"evil\\x0a\\x22name\\x22\" not found (contexts: a, b)");
    kt_expect_fail("current-context: x\ncontexts: []\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "context \"x\" not found (contexts: none)");
}

UNIT_TEST(kcfg_missing_current_context)
{
    kt_expect_fail("apiVersion: v1\nkind: Config\ncontexts:\n- name: a\n  context: {cluster: c}\n", KCFG_UNTRUSTED,
                   KCFG_ERR_INVALID, "current-context is not set (contexts: a)");
    kt_expect_fail("current-context: ~\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "current-context is not set");
    kt_expect_fail("current-context: ''\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "current-context is not set");
}

UNIT_TEST(kcfg_lookup_errors)
{
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: nope, user: u}}]\n"
                   "clusters: [{name: c1, cluster: {server: 'https://h'}}, {name: c2}]\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "context \"a\": cluster \"nope\" not found (clusters: c1, c2)");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: c1, user: u}}]\n"
                   "clusters: [{name: c1, cluster: {server: 'https://h'}}]\nusers: [{name: v}]\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "context \"a\": user \"u\" not found (users: v)");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {user: u}}]\n", KCFG_UNTRUSTED,
                   KCFG_ERR_INVALID, "context \"a\" names no cluster");
    kt_expect_fail("current-context: a\ncontexts: [{name: a}]\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "context \"a\" names no cluster");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: c1}}]\n"
                   "clusters: [{name: c1, cluster: {certificate-authority-data: ''}}]\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "cluster \"c1\": server is not set");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: c1, namespace: Bad_NS}}]\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "namespace \"Bad_NS\" is not a valid namespace name");
}

UNIT_TEST(kcfg_shape_errors)
{
    kt_expect_fail("clusters: {a: b}\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "clusters must be a list, found a mapping");
    kt_expect_fail("users: x\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "users must be a list, found a string");
    kt_expect_fail("current-context: a\ncontexts: [x]\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "contexts[0]: expected a mapping, found a string");
    kt_expect_fail("current-context: a\ncontexts: [{name: [a]}]\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "contexts[0]: name must be a string, found a list");
    kt_expect_fail("current-context: [a]\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "current-context must be a string");
    kt_expect_fail("kind: Secret\napiVersion: v1\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "kind is \"Secret\", expected \"Config\"");
    kt_expect_fail("apiVersion: v2\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "apiVersion is \"v2\", expected \"v1\"");
    kt_expect_doc_fail("    server: https://h\n    server: https://evil", KT_USER_TOKEN,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "cluster \"c1\": field \"server\" appears twice");
    kt_expect_doc_fail(KT_SERVER, "    <<: {token: x}",
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "user \"u1\": YAML merge keys (<<) are not supported");
    kt_expect_doc_fail(KT_SERVER, "    !!merge x: {token: x}",
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "user \"u1\": YAML merge keys (<<) are not supported");
    char *doc = kt_doc(KT_SERVER, "    '<<': quoted is an ordinary key\n" KT_USER_TOKEN);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    kcfg_free(&cfg);
    free(doc);
    kt_expect_doc_fail(KT_SERVER, "    !!binary ZXhlYw==: {command: x}",
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "!!binary values are not supported");
    kt_expect_doc_fail(KT_SERVER, "    - token",
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "user \"u1\": expected a mapping, found a list");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: c}}, {name: a, context: {}}]\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "context \"a\" is defined twice");
    kt_expect_fail("current-context: a\ncontexts: [{name: a, context: {cluster: c1}}]\n"
                   "clusters:\n- name: c1\n  cluster: {server: 'https://h'}\n"
                   "- name: c1\n  cluster: {server: 'https://other'}\n",
                   KCFG_UNTRUSTED, KCFG_ERR_INVALID, "context \"a\": cluster \"c1\" is defined twice");
}

/* Each field an untrusted kubeconfig may not use; the message must name it. */
UNIT_TEST(kcfg_untrusted_refusals)
{
    static const struct {
        const char *cluster, *user, *field;
    } cases[] = {
        {KT_SERVER, "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh", "exec"},
        {KT_SERVER, "    auth-provider: {name: gcp}", "auth-provider"},
        {KT_SERVER, "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token", "tokenFile"},
        {KT_SERVER, "    client-certificate: /etc/cert.pem\n    client-key-data: eA==", "client-certificate"},
        {KT_SERVER, "    client-key: /etc/key.pem", "client-key"},
        {KT_SERVER "\n    certificate-authority: /etc/ca.pem", "", "certificate-authority"},
        {KT_SERVER "\n    proxy-url: http://attacker:3128", "", "proxy-url"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        kt_expect_field(cases[i].cluster, cases[i].user, KCFG_UNTRUSTED, KCFG_ERR_REFUSED, cases[i].field);
    char *doc = kt_doc(KT_SERVER, "    exec: {command: x}\n    tokenFile: /t");
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == -1);
    CHECK_STR_EQ(err.msg, "user \"u1\": field \"exec\" is not allowed in a ClusterLink kubeconfig (credential "
                          "plugins would run programs inside the controller)");
    CHECK_STR_EQ(kcfg_err_kind_name(err.kind), "Refused");
    free(doc);
    /* null and "" mean "not set", as for kubectl. */
    doc = kt_doc(KT_SERVER "\n    certificate-authority: ''", KT_USER_TOKEN "\n    exec: null\n    tokenFile: ~");
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK(cfg.token_file == NULL);
    kcfg_free(&cfg);
    free(doc);
}

UNIT_TEST(kcfg_unsupported_in_both_modes)
{
    static const struct {
        const char *user, *field;
    } cases[] = {
        {"    username: admin\n    password: hunter2", "username"},
        {"    password: hunter2", "password"},
        {"    as: system:admin", "as"},
        {"    as-groups: [system:masters]", "as-groups"},
        {"    as-uid: '0'", "as-uid"},
        {"    as-user-extra: {a: [b]}", "as-user-extra"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        kt_expect_field(KT_SERVER, cases[i].user, KCFG_UNTRUSTED, KCFG_ERR_UNSUPPORTED, cases[i].field);
        kt_expect_field(KT_SERVER, cases[i].user, KCFG_TRUSTED, KCFG_ERR_UNSUPPORTED, cases[i].field);
    }
    char *doc = kt_doc(KT_SERVER, "    password: hunter2");
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(doc, NULL, KCFG_TRUSTED, &cfg, &err) == -1);
    CHECK(strstr(err.msg, "hunter2") == NULL);
    free(doc);
    /* exec itself is allowed in trusted mode (test_kcfg_exec.c); beside a static
     * credential it is a contradiction, since kubectl would then skip the plugin. */
    kt_expect_doc_fail(KT_SERVER, KT_USER_TOKEN "\n    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}",
                       KCFG_TRUSTED, KCFG_ERR_INVALID, "exec and token are both set; kubectl would ignore exec");
    kt_expect_doc_fail(KT_SERVER, "    auth-provider: {name: oidc}",
                       KCFG_TRUSTED, KCFG_ERR_UNSUPPORTED, "field \"auth-provider\" is not supported");
    kt_expect_doc_fail(KT_SERVER "\n    proxy-url: http://proxy:3128", KT_USER_TOKEN,
                       KCFG_TRUSTED, KCFG_ERR_UNSUPPORTED, "field \"proxy-url\" is not supported");
}

/* Errors raised while the token is in the document never quote it. */
UNIT_TEST(l3_kcfg_secrets_never_in_messages)
{
    static const char *const docs[] = {
        "users: [{name: u, user: {token: " KT_TOKEN "}}]\n",
        "users: [{name: u, user: {token: " KT_TOKEN "}}]\ncurrent-context: zz\n",
        "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
        "users: [{name: u, user: {token: \"" KT_TOKEN "\\n\"}}]\n",
        "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
        "users: [{name: u, user: {token: [" KT_TOKEN "]}}]\n",
        "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
        "users: [{name: u, user: {client-key-data: " KT_TOKEN "}}]\n",
        "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://x:" KT_TOKEN "@h'}}]\n",
        "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://h/?t=" KT_TOKEN "'}}]\n",
        "users: [{name: u, user: {token: " KT_TOKEN " : x: y}}]\n",
        "users: [{name: u, user: {token: \"" KT_TOKEN "\x01\"}}]\n",
        "users: [{name: u, user: {password: " KT_TOKEN "}}]\ncurrent-context: a\n"
        "contexts: [{name: a, context: {cluster: c, user: u}}]\n"
        "clusters: [{name: c, cluster: {server: 'https://h'}}]\n",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        kcfg_config cfg;
        kcfg_error err;
        CHECK(kt_parse(docs[i], NULL, KCFG_UNTRUSTED, &cfg, &err) == -1);
        CHECK(err.kind != KCFG_OK && err.msg[0] != '\0');
        CHECK(strstr(err.msg, KT_TOKEN) == NULL);
        CHECK(strstr(err.msg, "s3cret") == NULL);
        if (strstr(err.msg, "s3cret") != NULL)
            fprintf(stderr, "kcfg secret leaked by case %zu: %s\n", i, err.msg);
    }
}

UNIT_TEST(kcfg_base64_and_pem)
{
    char *doc = kt_doc(KT_SERVER "\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJU!!ZmljYXRl", KT_USER_TOKEN);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID);
    CHECK_STR_EQ(err.msg, "cluster \"c1\": certificate-authority-data is not valid base64 (byte 20)");
    free(doc);
    char *once = kt_b64(KT_KEY), *twice = kt_b64(once);
    char user[4096];
    snprintf(user, sizeof user, "    client-certificate-data: %s\n    client-key-data: %s", once, twice);
    doc = kt_doc(KT_SERVER, user);
    kt_expect_fail(doc, KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "user \"u1\": client-key-data does not decode to PEM (no \"-----BEGIN\" line); "
                   "was it base64-encoded twice?");
    free(doc);
    snprintf(user, sizeof user, "    client-key-data: %s", once);
    kt_expect_doc_fail(KT_SERVER, user,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "client-key-data (or client-key) is set without");
    snprintf(user, sizeof user, "    client-key-data: %s\n    client-key: /k", once);
    kt_expect_doc_fail(KT_SERVER, user, KCFG_TRUSTED, KCFG_ERR_INVALID, "client-key-data and client-key are both set");
    free(once);
    free(twice);
}

UNIT_TEST(kcfg_insecure_and_booleans)
{
    char *ca = kt_b64(KT_CA);
    char cluster[2048];
    snprintf(cluster, sizeof cluster,
             KT_SERVER "\n    certificate-authority-data: %s\n    insecure-skip-tls-verify: true", ca);
    kt_expect_doc_fail(cluster, KT_USER_TOKEN,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                       "cluster \"c1\": insecure-skip-tls-verify cannot be combined with certificate-authority-data");
    static const struct {
        const char *text;
        int want; /* 1 true, 0 false, -1 error */
    } cases[] = {
        {"true", 1},   {"True", 1},    {"TRUE", 1},     {"!!bool true", 1}, {"false", 0},  {"False", 0},
        {"FALSE", 0},  {"null", 0},    {"~", 0},        {"", 0},            {"yes", -1},   {"on", -1},
        {"y", -1},     {"No", -1},     {"'true'", -1},  {"\"false\"", -1},  {"1", -1},     {"[true]", -1},
        {"!!str true", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(cluster, sizeof cluster, KT_SERVER "\n    insecure-skip-tls-verify: %s", cases[i].text);
        char *doc = kt_doc(cluster, KT_USER_TOKEN);
        kcfg_config cfg;
        kcfg_error err;
        int rc = kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err);
        if (cases[i].want < 0) {
            CHECK(rc == -1 && strstr(err.msg, "insecure-skip-tls-verify must be true or false") != NULL);
        } else {
            CHECK(rc == 0 && cfg.insecure_skip_tls_verify == (cases[i].want == 1));
        }
        if (rc != (cases[i].want < 0 ? -1 : 0))
            fprintf(stderr, "kcfg bool case \"%s\": rc %d %s\n", cases[i].text, rc, err.msg);
        kcfg_free(&cfg);
        free(doc);
    }
    free(ca);
}

UNIT_TEST(kcfg_bad_server_and_token)
{
    kt_expect_doc_fail("    server: http://10.0.0.1:8080", KT_USER_TOKEN,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                       "cluster \"c1\": server: server URL scheme \"http\" is refused");
    kt_expect_doc_fail("    server: https://admin:pw@h", KT_USER_TOKEN,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "must not contain user information");
    kt_expect_doc_fail(KT_SERVER "\n    tls-server-name: 'bad name'", KT_USER_TOKEN,
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID, "cluster \"c1\": tls-server-name: host name contains");
    kt_expect_doc_fail(KT_SERVER, "    token: \"abc\\r\\nX-Injected: 1\"",
                       KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                       "token has a byte that cannot go in an HTTP header (position 3)");
    kt_expect_doc_fail(KT_SERVER, "    token: \"a\\0b\"", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "NUL character");
}

UNIT_TEST(kcfg_not_yaml_scalar_list)
{
    kt_expect_fail("apiVersion: v1\nclusters: [\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not valid YAML: line");
    kt_expect_fail("a: b\n c: d\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not valid YAML");
    kt_expect_fail("\x01\x02\x03binary", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not valid YAML");
    kt_expect_fail("\xff\xfe\xfd", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not valid YAML");
    kt_expect_fail("just some words", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not a YAML mapping but a string");
    kt_expect_fail("- a\n- b\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "not a YAML mapping but a list");
    kt_expect_fail("YXBpVmVyc2lvbjogdjEKa2luZDogQ29uZmlnCg==", KCFG_UNTRUSTED, KCFG_ERR_INVALID,
                   "it looks base64-encoded");
    kt_expect_fail("# only a comment\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "kubeconfig is empty");
    kt_expect_fail("a: b\n---\nc: d\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "second YAML document");
    kt_expect_fail("a: *nope\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "alias *nope does not name");
    kt_expect_fail("a: &x [*x]\n", KCFG_UNTRUSTED, KCFG_ERR_INVALID, "alias *x does not name");
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kcfg_parse(NULL, 0, NULL, KCFG_UNTRUSTED, NULL, &cfg, &err) == -1 && err.kind == KCFG_ERR_INVALID);
    CHECK(kcfg_parse("", 0, NULL, KCFG_UNTRUSTED, NULL, &cfg, NULL) == -1);
    /* Only len bytes are read: a valid document followed by junk past len parses. */
    const char *with_junk = "current-context: a\ncontexts: [{name: a, context: {cluster: c}}]\n"
                            "clusters: [{name: c, cluster: {server: 'https://h'}}]\n@@@@";
    CHECK(kcfg_parse(with_junk, strlen(with_junk) - 4, NULL, KCFG_UNTRUSTED, NULL, &cfg, &err) == 0);
    kcfg_free(&cfg);
}

UNIT_TEST(kcfg_aliases_bounded)
{
    /* A small legitimate use: one CA shared by two clusters. */
    char *ca = kt_b64(KT_CA);
    char *doc = unit_fmt("current-context: b\ncontexts: [{name: b, context: {cluster: c2}}]\n"
                       "clusters:\n- name: c1\n  cluster: &base {server: 'https://h', certificate-authority-data: %s}\n"
                       "- name: c2\n  cluster: *base\n",
                       ca);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == 0);
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    kcfg_free(&cfg);
    free(doc);
    free(ca);
    /* Billion laughs: nine levels of ten aliases each would be 10^9 nodes. */
    char bomb[2048];
    size_t o = (size_t)snprintf(bomb, sizeof bomb, "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for (int i = 1; i < 10; i++) {
        o += (size_t)snprintf(bomb + o, sizeof bomb - o, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            o += (size_t)snprintf(bomb + o, sizeof bomb - o, "*a%d%s", i - 1, j < 9 ? ", " : "]\n");
    }
    kt_expect_fail(bomb, KCFG_UNTRUSTED, KCFG_ERR_LIMIT, "aliases expand the kubeconfig to more than 65536 nodes");
    CHECK_STR_EQ(kcfg_err_kind_name(KCFG_ERR_LIMIT), "TooLarge");
}

UNIT_TEST(kcfg_size_depth_node_limits)
{
    size_t big = 2u * 1024u * 1024u;
    char *doc = malloc(big + 1);
    memset(doc, '#', big);
    doc[big] = '\0';
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kcfg_parse(doc, big, NULL, KCFG_UNTRUSTED, NULL, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_LIMIT);
    CHECK_STR_EQ(err.msg, "kubeconfig is 2097152 bytes; the limit is 1048576");
    /* Exactly at the limit is read (and here is just empty). */
    CHECK(kcfg_parse(doc, KCFG_MAX_DOC_BYTES, NULL, KCFG_UNTRUSTED, NULL, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID);
    /* Too many nodes: a flow list of 70000 items in an ignored field. */
    size_t o = (size_t)snprintf(doc, big, "extensions: [");
    for (int i = 0; i < 70000; i++)
        o += (size_t)snprintf(doc + o, big - o, "1,");
    snprintf(doc + o, big - o, "1]\n");
    CHECK(kt_parse(doc, NULL, KCFG_UNTRUSTED, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_LIMIT && strstr(err.msg, "more than 65536 YAML nodes") != NULL);
    /* Nesting: 64 levels are fine, 65 are not. */
    for (int depth = 64; depth <= 65; depth++) {
        o = (size_t)snprintf(doc, big, "a: ");
        for (int i = 1; i < depth; i++)
            doc[o++] = '[';
        for (int i = 1; i < depth; i++)
            doc[o++] = ']';
        doc[o] = '\0';
        int rc = kt_parse(doc, "x", KCFG_UNTRUSTED, &cfg, &err);
        CHECK(rc == -1);
        CHECK(err.kind == (depth == 64 ? KCFG_ERR_INVALID : KCFG_ERR_LIMIT));
    }
    CHECK(strstr(err.msg, "nested deeper than 64") != NULL);
    free(doc);
}

/* ---- trusted files ---- */

static void kt_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static void kt_remove(const char *dir, const char *const *names)
{
    char path[512];
    for (; *names != NULL; names++) {
        snprintf(path, sizeof path, "%s/%s", dir, *names);
        if (unlink(path) != 0)
            rmdir(path);
    }
    rmdir(dir);
}

UNIT_TEST(kcfg_trusted_file_paths)
{
    char dir[] = "/tmp/kcfg-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/pki", dir);
    CHECK(mkdir(sub, 0700) == 0);
    kt_write(sub, "ca.pem", KT_CA);
    kt_write(sub, "cert.pem", KT_CERT);
    kt_write(sub, "key.pem", KT_KEY);
    kt_write(dir, "token", KT_TOKEN "\n");
    char *yaml = unit_fmt("apiVersion: v1\nkind: Config\ncurrent-context: t\n"
                        "contexts: [{name: t, context: {cluster: c, user: u}}]\n"
                        "clusters: [{name: c, cluster: {server: 'https://k.example:6443', "
                        "certificate-authority: pki/ca.pem}}]\n"
                        "users: [{name: u, user: {client-certificate: pki/cert.pem, client-key: %s/pki/key.pem, "
                        "tokenFile: token}}]\n",
                        dir);
    kt_write(dir, "config", yaml);
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kcfg_parse(yaml, strlen(yaml), NULL, KCFG_TRUSTED, dir, &cfg, &err) == 0);
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    CHECK_STR_EQ((const char *)cfg.client_cert_pem, KT_CERT);
    CHECK_STR_EQ((const char *)cfg.client_key_pem, KT_KEY);
    char want[700];
    snprintf(want, sizeof want, "%s/token", dir);
    CHECK_STR_EQ(cfg.token_file, want);
    CHECK(cfg.token == NULL);
    kcfg_free(&cfg);
    /* The same document untrusted: the first file field met is refused. */
    CHECK(kcfg_parse(yaml, strlen(yaml), NULL, KCFG_UNTRUSTED, dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_REFUSED && strstr(err.msg, "\"certificate-authority\"") != NULL);
    /* kcfg_load_file takes base_dir from the file's own directory. */
    char path[700];
    snprintf(path, sizeof path, "%s/config", dir);
    CHECK(kcfg_load_file(path, NULL, &cfg, &err) == 0);
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    CHECK_STR_EQ(cfg.token_file, want);
    kcfg_free(&cfg);
    /* A missing file is an IO error naming the field and the path. */
    snprintf(path, sizeof path, "%s/pki/cert.pem", dir);
    unlink(path);
    CHECK(kcfg_parse(yaml, strlen(yaml), NULL, KCFG_TRUSTED, dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO);
    CHECK(strstr(err.msg, "user \"u\": cannot read client-certificate file") != NULL);
    CHECK(strstr(err.msg, "pki/cert.pem") != NULL);
    snprintf(path, sizeof path, "%s/nope", dir);
    CHECK(kcfg_load_file(path, NULL, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "cannot read kubeconfig") != NULL);
    CHECK(kcfg_load_file(dir, NULL, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "not a regular file") != NULL);
    free(yaml);
    /* tokenFile must exist; a CA file without PEM is refused. */
    yaml = unit_fmt("current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://k', certificate-authority: token}}]\n"
                  "users: [{name: u, user: {tokenFile: missing}}]\n");
    CHECK(kcfg_parse(yaml, strlen(yaml), NULL, KCFG_TRUSTED, dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID && strstr(err.msg, "does not hold PEM") != NULL);
    CHECK(strstr(err.msg, KT_TOKEN) == NULL);
    free(yaml);
    yaml = unit_fmt("current-context: t\ncontexts: [{name: t, context: {cluster: c, user: u}}]\n"
                  "clusters: [{name: c, cluster: {server: 'https://k'}}]\n"
                  "users: [{name: u, user: {tokenFile: missing}}]\n");
    CHECK(kcfg_parse(yaml, strlen(yaml), NULL, KCFG_TRUSTED, dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "cannot read tokenFile") != NULL);
    free(yaml);
    static const char *const names[] = {"pki/ca.pem", "pki/key.pem", "pki", "token", "config", NULL};
    kt_remove(dir, names);
}

/* ---- in-cluster ---- */

UNIT_TEST(kcfg_in_cluster_config)
{
    char dir[] = "/tmp/kcfg-sa-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    kcfg_config cfg;
    kcfg_error err;
    unsetenv("KUBERNETES_SERVICE_HOST");
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID && strstr(err.msg, "KUBERNETES_SERVICE_HOST is not set") != NULL);
    setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1);
    unsetenv("KUBERNETES_SERVICE_PORT");
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(strstr(err.msg, "KUBERNETES_SERVICE_PORT is not set") != NULL);
    setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "ca.crt") != NULL);
    kt_write(dir, "ca.crt", KT_CA);
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "token") != NULL);
    kt_write(dir, "token", "eyJhbGciOi.x.y");
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_IO && strstr(err.msg, "namespace") != NULL);
    kt_write(dir, "namespace", "svclink-system\n");
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == 0);
    CHECK_STR_EQ(cfg.server, "https://[fd00:10:96::1]:6443");
    CHECK(cfg.url.host.kind == URL_HOST_IPV6 && cfg.url.port == 6443);
    CHECK_STR_EQ((const char *)cfg.ca_pem, KT_CA);
    char want[64];
    snprintf(want, sizeof want, "%s/token", dir);
    CHECK_STR_EQ(cfg.token_file, want);
    CHECK(cfg.token == NULL);
    CHECK_STR_EQ(cfg.namespace_name, "svclink-system");
    CHECK_STR_EQ(cfg.context_name, "in-cluster");
    kcfg_free(&cfg);
    setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == 0);
    CHECK_STR_EQ(cfg.server, "https://10.96.0.1:443");
    CHECK(cfg.url.host.kind == URL_HOST_IPV4);
    kcfg_free(&cfg);
    setenv("KUBERNETES_SERVICE_PORT", "https", 1);
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID && strstr(err.msg, "not a number") != NULL);
    setenv("KUBERNETES_SERVICE_PORT", "443", 1);
    kt_write(dir, "namespace", "Bad NS");
    CHECK(kcfg_in_cluster(dir, &cfg, &err) == -1);
    CHECK(err.kind == KCFG_ERR_INVALID && strstr(err.msg, "does not hold a namespace name") != NULL);
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    static const char *const names[] = {"ca.crt", "token", "namespace", NULL};
    kt_remove(dir, names);
}
