/* Unit tests for kcfg_exec: the exec stanza of a trusted kubeconfig read field by field,
 * each malformed field refused with its name, and exec still refused in untrusted mode. */
#include "kubeconfig/kcfg.h"
#include "unit.h"

#include <stdlib.h>

#define KX_TOKEN "kx-s3cret-t0ken.abcdefghijklmnop"

/* A kubeconfig whose user u1 has user_body (indented 4) and whose cluster has a CA-less
 * server with insecure-skip-tls-verify (the CA does not matter here). */
static char *kx_doc(const char *user_body)
{
    return unit_fmt("apiVersion: v1\nkind: Config\ncurrent-context: ctx\n"
                  "contexts:\n- name: ctx\n  context: {cluster: c1, user: u1}\n"
                  "clusters:\n- name: c1\n  cluster: {server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: true}\n"
                  "users:\n- name: u1\n  user:\n%s\n",
                  user_body);
}

static int kx_parse(const char *user_body, kcfg_trust trust, const char *base_dir, kcfg_config *cfg, kcfg_error *err)
{
    char *doc = kx_doc(user_body);
    int rc = kcfg_parse(doc, strlen(doc), NULL, trust, base_dir, cfg, err);
    free(doc);
    return rc;
}

/* user_body must fail with kind and a message containing says. */
static void kx_fail(const char *user_body, kcfg_trust trust, kcfg_err_kind kind, const char *says)
{
    kcfg_config cfg;
    kcfg_error err;
    int rc = kx_parse(user_body, trust, NULL, &cfg, &err);
    char what[700];
    snprintf(what, sizeof what, "%s: got rc %d %s \"%s\", want %s \"%s\"", user_body, rc, kcfg_err_kind_name(err.kind),
             err.msg, kcfg_err_kind_name(kind), says);
    CHECK_MSG(rc == -1 && err.kind == kind && strstr(err.msg, says) != NULL, what);
    CHECK(cfg.exec == NULL && cfg.server == NULL);
    CHECK(strstr(err.msg, KX_TOKEN) == NULL);
    kcfg_free(&cfg);
}

#define KX_V1 "      apiVersion: client.authentication.k8s.io/v1\n"
#define KX_V1BETA1 "      apiVersion: client.authentication.k8s.io/v1beta1\n"

UNIT_TEST(kcfg_exec_trusted_full_stanza)
{
    kcfg_config cfg;
    kcfg_error err;
    const char *user = "    exec:\n" KX_V1 "      command: /usr/local/bin/get-token\n"
                       "      args: [--cluster, prod, '', ~, 42]\n"
                       "      env:\n"
                       "      - {name: REGION, value: eu-west-1}\n"
                       "      - {name: EMPTY}\n"
                       "      - name: SECRET\n        value: " KX_TOKEN "\n"
                       "      provideClusterInfo: true\n"
                       "      interactiveMode: Never\n"
                       "      installHint: 'install get-token'\n"
                       "      somethingNew: ignored\n";
    CHECK(kx_parse(user, KCFG_TRUSTED, NULL, &cfg, &err) == 0);
    CHECK(err.kind == KCFG_OK);
    CHECK(cfg.exec != NULL);
    if (cfg.exec == NULL)
        return;
    CHECK_STR_EQ(cfg.exec->api_version, "client.authentication.k8s.io/v1");
    CHECK_STR_EQ(cfg.exec->command, "/usr/local/bin/get-token");
    CHECK(cfg.exec->nargs == 5);
    if (cfg.exec->nargs == 5) {
        CHECK_STR_EQ(cfg.exec->args[0], "--cluster");
        CHECK_STR_EQ(cfg.exec->args[1], "prod");
        CHECK_STR_EQ(cfg.exec->args[2], "");
        CHECK_STR_EQ(cfg.exec->args[3], "");
        CHECK_STR_EQ(cfg.exec->args[4], "42");
    }
    CHECK(cfg.exec->nenv == 3);
    if (cfg.exec->nenv == 3) {
        CHECK_STR_EQ(cfg.exec->env[0].name, "REGION");
        CHECK_STR_EQ(cfg.exec->env[0].value, "eu-west-1");
        CHECK_STR_EQ(cfg.exec->env[1].name, "EMPTY");
        CHECK_STR_EQ(cfg.exec->env[1].value, "");
        CHECK_STR_EQ(cfg.exec->env[2].value, KX_TOKEN);
    }
    CHECK(cfg.exec->provide_cluster_info);
    CHECK(cfg.token == NULL && cfg.token_file == NULL && cfg.client_cert_pem == NULL);
    kcfg_free(&cfg);
    CHECK(cfg.exec == NULL);
}

UNIT_TEST(kcfg_exec_trusted_minimal_and_modes)
{
    kcfg_config cfg;
    kcfg_error err;
    /* v1beta1, no interactiveMode, no args or env, provideClusterInfo false by default. */
    CHECK(kx_parse("    exec:\n" KX_V1BETA1 "      command: aws", KCFG_TRUSTED, NULL, &cfg, &err) == 0);
    CHECK(cfg.exec != NULL && cfg.exec->nargs == 0 && cfg.exec->nenv == 0 && !cfg.exec->provide_cluster_info);
    CHECK(cfg.exec != NULL && strcmp(cfg.exec->command, "aws") == 0);
    kcfg_free(&cfg);
    /* IfAvailable and Never both mean never interactive here; null lists are empty. */
    static const char *const ok[] = {
        "    exec:\n" KX_V1 "      command: aws\n      interactiveMode: IfAvailable",
        "    exec:\n" KX_V1 "      command: aws\n      interactiveMode: Never\n      args: ~\n      env: null",
        "    exec:\n" KX_V1 "      command: aws\n      interactiveMode: ''\n      provideClusterInfo: false",
        /* Fields that are not set (null, "") beside exec are no contradiction. */
        "    exec:\n" KX_V1 "      command: aws\n    token: ''\n    client-certificate-data: ~",
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        CHECK_MSG(kx_parse(ok[i], KCFG_TRUSTED, NULL, &cfg, &err) == 0, ok[i]);
        CHECK(cfg.exec != NULL);
        kcfg_free(&cfg);
    }
}

/* kubectl resolves a relative command with a '/' against the kubeconfig's directory. */
UNIT_TEST(kcfg_exec_command_paths)
{
    static const struct {
        const char *command, *want;
    } cases[] = {
        {"./bin/plugin", "/etc/kube/./bin/plugin"},
        {"bin/plugin", "/etc/kube/bin/plugin"},
        {"/opt/plugin", "/opt/plugin"},
        {"plugin", "plugin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *user = unit_fmt("    exec:\n" KX_V1 "      command: %s", cases[i].command);
        kcfg_config cfg;
        kcfg_error err;
        CHECK_MSG(kx_parse(user, KCFG_TRUSTED, "/etc/kube", &cfg, &err) == 0, cases[i].command);
        CHECK_MSG(cfg.exec != NULL && strcmp(cfg.exec->command, cases[i].want) == 0, cases[i].want);
        kcfg_free(&cfg);
        free(user);
    }
}

UNIT_TEST(kcfg_exec_trusted_refusals)
{
    static const struct {
        const char *user;
        kcfg_err_kind kind;
        const char *says;
    } cases[] = {
        {"    exec:\n" KX_V1 "      command: aws\n      interactiveMode: Always", KCFG_ERR_UNSUPPORTED,
         "user \"u1\": exec: interactiveMode Always is not supported (svclink has no terminal"},
        {"    exec:\n" KX_V1 "      command: aws\n      interactiveMode: Sometimes", KCFG_ERR_INVALID,
         "exec: interactiveMode \"Sometimes\" is not one of Never, IfAvailable, Always"},
        {"    exec:\n      command: aws", KCFG_ERR_INVALID, "user \"u1\": exec: apiVersion is not set"},
        {"    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n      command: aws", KCFG_ERR_UNSUPPORTED,
         "exec: apiVersion \"client.authentication.k8s.io/v1alpha1\" is not supported"},
        {"    exec:\n      apiVersion: [v1]\n      command: aws", KCFG_ERR_INVALID, "exec: apiVersion must be a string"},
        {"    exec:\n" KX_V1, KCFG_ERR_INVALID, "user \"u1\": exec: command is not set"},
        {"    exec:\n" KX_V1 "      command: {a: b}", KCFG_ERR_INVALID, "exec: command must be a string, found a mapping"},
        {"    exec:\n" KX_V1 "      command: aws\n      args: --flag", KCFG_ERR_INVALID,
         "exec: args must be a list, found a string"},
        {"    exec:\n" KX_V1 "      command: aws\n      args: [a, [b]]", KCFG_ERR_INVALID,
         "exec: args[1] must be a string, found a list"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: {A: b}", KCFG_ERR_INVALID,
         "exec: env must be a list, found a mapping"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [A=b]", KCFG_ERR_INVALID,
         "exec: env[0]: expected a mapping with name and value, found a string"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [~]", KCFG_ERR_INVALID,
         "exec: env[0]: expected a mapping with name and value, found null"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [{name: A, value: b}, {value: c}]", KCFG_ERR_INVALID,
         "exec: env[1]: name is not set"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [{name: 'A=B', value: c}]", KCFG_ERR_INVALID,
         "exec: env[0]: name must not contain '='"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [{name: A, value: [x]}]", KCFG_ERR_INVALID,
         "exec: env[0]: value must be a string, found a list"},
        {"    exec:\n" KX_V1 "      command: aws\n      env: [{name: A, name: B}]", KCFG_ERR_INVALID,
         "exec: env[0]: field \"name\" appears twice"},
        {"    exec:\n" KX_V1 "      command: aws\n      command: gcloud", KCFG_ERR_INVALID,
         "user \"u1\": exec: field \"command\" appears twice"},
        {"    exec:\n" KX_V1 "      command: aws\n      provideClusterInfo: yes", KCFG_ERR_INVALID,
         "exec: provideClusterInfo must be true or false"},
        {"    exec: aws", KCFG_ERR_INVALID, "user \"u1\": exec: expected a mapping, found a string"},
        {"    exec: [aws]", KCFG_ERR_INVALID, "user \"u1\": exec: expected a mapping, found a list"},
        {"    token: " KX_TOKEN "\n    exec:\n" KX_V1 "      command: aws", KCFG_ERR_INVALID,
         "user \"u1\": exec and token are both set; kubectl would ignore exec: keep one"},
        {"    tokenFile: /var/run/token\n    exec:\n" KX_V1 "      command: aws", KCFG_ERR_INVALID,
         "exec and tokenFile are both set"},
        {"    client-certificate-data: eA==\n    client-key-data: eA==\n    exec:\n" KX_V1 "      command: aws",
         KCFG_ERR_INVALID, "exec and client-certificate-data are both set"},
        {"    client-key: /k.pem\n    exec:\n" KX_V1 "      command: aws", KCFG_ERR_INVALID,
         "exec and client-key are both set"},
        {"    auth-provider: {name: oidc}", KCFG_ERR_UNSUPPORTED,
         "field \"auth-provider\" is not supported (auth-provider plugins are not built in; use exec"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        kx_fail(cases[i].user, KCFG_TRUSTED, cases[i].kind, cases[i].says);
}

/* A ClusterLink's kubeconfig may never run a program, however well-formed the stanza. */
UNIT_TEST(kcfg_exec_untrusted_refused)
{
    static const char *const users[] = {
        "    exec:\n" KX_V1 "      command: /usr/local/bin/get-token\n      interactiveMode: Never",
        "    exec:\n" KX_V1BETA1 "      command: aws\n      args: [eks, get-token]\n      provideClusterInfo: true",
        "    exec: {command: x}",
        "    exec: not-even-a-mapping",
        "    token: " KX_TOKEN "\n    exec:\n" KX_V1 "      command: aws",
    };
    for (size_t i = 0; i < sizeof users / sizeof users[0]; i++)
        kx_fail(users[i], KCFG_UNTRUSTED, KCFG_ERR_REFUSED,
                "user \"u1\": field \"exec\" is not allowed in a ClusterLink kubeconfig (credential plugins would run "
                "programs inside the controller)");
    /* Another user of the document may have exec: only the chosen one is read. */
    const char *doc = "current-context: a\ncontexts: [{name: a, context: {cluster: c, user: ok}}]\n"
                      "clusters: [{name: c, cluster: {server: 'https://k', insecure-skip-tls-verify: true}}]\n"
                      "users: [{name: ok, user: {token: t}}, {name: other, user: {exec: {command: evil}}}]\n";
    kcfg_config cfg;
    kcfg_error err;
    CHECK(kcfg_parse(doc, strlen(doc), NULL, KCFG_UNTRUSTED, NULL, &cfg, &err) == 0);
    CHECK(cfg.exec == NULL);
    kcfg_free(&cfg);
}
