/* Unit tests for mirror_flags: k8s-svc-sync's command line (its flag names, one dash or two,
 * "-flag value" and "-flag=value", its defaults for what is left out), each error naming its
 * flag, the link name it derives, and the k8s-svc-sync label kept for created Services. */
#include "cmd/mirror_flags.h"
#include "base/k8sname.h"
#include "unit.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* kubeconfig_env stands for $KUBECONFIG; HOME and HOSTNAME are unset. */
static options_action tm_parse(int argc, char **argv, const char *kubeconfig_env, mirror_flags *m, char *err,
                               size_t errlen)
{
    mirror_flags_env env = {.kubeconfig = kubeconfig_env};
    return mirror_flags_parse(argc, argv, &env, m, err, errlen);
}

UNIT_TEST(mirror_flags_full_command_line)
{
    char *argv[] = {"mirror", "--kubeconfig", "/k", "--src-context", "Prod_East.1", "-dst-context=dst",
                    "--src-ns", "default", "--dst-ns", "prod-test", "--sync-label", "sync=true",
                    "--leader-elect", "--http-address", ":8080"};
    mirror_flags m;
    char err[400];
    CHECK(tm_parse(ARGC(argv), argv, NULL, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.kubeconfig_path, "/k");
    CHECK_STR_EQ(m.common.kubeconfig_context, "dst");
    CHECK(m.common.leader_elect && m.common.http_address != NULL);
    CHECK(m.common.included_namespace_count == 1 && strcmp(m.common.included_namespaces[0], "default") == 0);
    CHECK_STR_EQ(m.selector, "sync=true");
    CHECK_STR_EQ(m.link_name, "prod-east-1");
    CHECK_STR_EQ(m.common.lease_name, "k8s-svc-sync-leader");
    CHECK_STR_EQ(m.compat_key, "sync");
    CHECK_STR_EQ(m.compat_value, "true-external");
    mirror_flags_free(&m);
}

UNIT_TEST(mirror_flags_seed_defaults_when_every_flag_is_omitted)
{
    /* k8s-svc-sync's table: what `k8s-svc-sync` with no flag at all did. */
    char *argv[] = {"mirror"};
    mirror_flags_env env = {.kubeconfig = "/env/kc", .home = "/home/u", .hostname = "k8s-svc-sync-7d9f-abcde"};
    mirror_flags m;
    char err[400];
    CHECK(mirror_flags_parse(ARGC(argv), argv, &env, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.kubeconfig_path, "/env/kc");
    CHECK_STR_EQ(m.src_context, "local-cluster");
    CHECK_STR_EQ(m.dst_context, "external-cluster");
    CHECK_STR_EQ(m.common.kubeconfig_context, "external-cluster");
    CHECK_STR_EQ(m.src_ns, "default");
    CHECK_STR_EQ(m.dst_ns, "prod-test");
    CHECK(m.common.included_namespace_count == 1 && strcmp(m.common.included_namespaces[0], "default") == 0);
    CHECK_STR_EQ(m.sync_label, "sync=true");
    CHECK_STR_EQ(m.selector, "sync=true");
    CHECK_STR_EQ(m.compat_key, "sync");
    CHECK_STR_EQ(m.compat_value, "true-external");
    CHECK(m.common.leader_elect); /* k8s-svc-sync always elected */
    CHECK_STR_EQ(m.common.lease_namespace, "k8s-sync");
    CHECK_STR_EQ(m.common.lease_name, "k8s-svc-sync-leader");
    CHECK_STR_EQ(m.common.lease_identity, "k8s-svc-sync-7d9f-abcde"); /* -pod-name's $HOSTNAME */
    CHECK_STR_EQ(m.common.http_address, ":8080");
    CHECK_STR_EQ(m.link_name, "local-cluster");
    mirror_flags_free(&m);
}

UNIT_TEST(mirror_flags_seed_kubeconfig_default_is_kubeconfig_env_then_home)
{
    char *argv[] = {"mirror"};
    mirror_flags m;
    char err[400];
    /* Without $KUBECONFIG, client-go's rules (k8s-svc-sync's) end at kubectl's file. */
    mirror_flags_env home = {.home = "/home/u"};
    CHECK(mirror_flags_parse(ARGC(argv), argv, &home, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.kubeconfig_path, "/home/u/.kube/config");
    mirror_flags_free(&m);
    mirror_flags_env empty = {.kubeconfig = "", .home = ""};
    CHECK(mirror_flags_parse(ARGC(argv), argv, &empty, &m, err, sizeof err) == OPTIONS_ERROR);
    CHECK(strncmp(err, "--kubeconfig is required", 24) == 0);
    mirror_flags_free(&m);
    CHECK(mirror_flags_parse(ARGC(argv), argv, NULL, &m, err, sizeof err) == OPTIONS_ERROR);
    CHECK(strncmp(err, "--kubeconfig is required", 24) == 0);
    mirror_flags_free(&m);
    /* The flag wins over both. */
    char *given[] = {"mirror", "-kubeconfig", "/flag/kc"};
    mirror_flags_env both = {.kubeconfig = "/env/kc", .home = "/home/u"};
    CHECK(mirror_flags_parse(ARGC(given), given, &both, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.kubeconfig_path, "/flag/kc");
    mirror_flags_free(&m);
}

UNIT_TEST(mirror_flags_seed_run_locally_line)
{
    /* The README's "run locally" example, word for word after the binary's name. */
    char *argv[] = {"mirror", "-src-context", "local-cluster", "-dst-context", "prod-cluster",
                    "-src-ns", "default", "-dst-ns", "production"};
    mirror_flags_env env = {.kubeconfig = "/k", .hostname = "laptop"};
    mirror_flags m;
    char err[400];
    CHECK(mirror_flags_parse(ARGC(argv), argv, &env, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.src_context, "local-cluster");
    CHECK_STR_EQ(m.dst_context, "prod-cluster");
    CHECK_STR_EQ(m.src_ns, "default");
    CHECK_STR_EQ(m.dst_ns, "production");
    CHECK_STR_EQ(m.selector, "sync=true");
    CHECK(m.common.leader_elect);
    CHECK_STR_EQ(m.common.lease_namespace, "k8s-sync");
    CHECK_STR_EQ(m.common.lease_name, "k8s-svc-sync-leader");
    CHECK_STR_EQ(m.common.lease_identity, "laptop");
    CHECK_STR_EQ(m.common.http_address, ":8080");
    mirror_flags_free(&m);
}

UNIT_TEST(mirror_flags_seed_full_table_both_syntaxes)
{
    /* Every flag of k8s-svc-sync's table, "-flag value" then "-flag=value". */
    char *spaced[] = {"mirror", "-kubeconfig", "/k", "-src-context", "src", "-dst-context", "dst", "-src-ns", "web",
                      "-dst-ns", "web-copy", "-sync-label", "app.kubernetes.io/sync=yes",
                      "-leader-election-namespace", "ops", "-leader-election-name", "my-leader",
                      "-pod-name", "pod-1"};
    char *equals[] = {"mirror", "-kubeconfig=/k", "-src-context=src", "-dst-context=dst", "-src-ns=web",
                      "-dst-ns=web-copy", "-sync-label=app.kubernetes.io/sync=yes", "-leader-election-namespace=ops",
                      "-leader-election-name=my-leader", "-pod-name=pod-1"};
    struct {
        int argc;
        char **argv;
    } lines[] = {{ARGC(spaced), spaced}, {ARGC(equals), equals}};
    for (size_t i = 0; i < 2; i++) {
        mirror_flags_env env = {.kubeconfig = "/env", .hostname = "not-this-one"};
        mirror_flags m;
        char err[400];
        CHECK_MSG(mirror_flags_parse(lines[i].argc, lines[i].argv, &env, &m, err, sizeof err) == OPTIONS_RUN, err);
        CHECK_STR_EQ(m.common.kubeconfig_path, "/k");
        CHECK_STR_EQ(m.src_context, "src");
        CHECK_STR_EQ(m.dst_context, "dst");
        CHECK_STR_EQ(m.src_ns, "web");
        CHECK_STR_EQ(m.dst_ns, "web-copy");
        CHECK_STR_EQ(m.selector, "app.kubernetes.io/sync=yes");
        CHECK_STR_EQ(m.compat_key, "app.kubernetes.io/sync");
        CHECK_STR_EQ(m.compat_value, "yes-external");
        CHECK_STR_EQ(m.common.lease_namespace, "ops");
        CHECK_STR_EQ(m.common.lease_name, "my-leader");
        CHECK_STR_EQ(m.common.lease_identity, "pod-1");
        CHECK(m.common.leader_elect);
        mirror_flags_free(&m);
    }
}

UNIT_TEST(mirror_flags_seed_leader_flags_errors_name_the_seed_spelling)
{
    static const struct {
        const char *arg, *value, *expect;
    } cases[] = {
        {"-leader-election-namespace", "Ops", "--leader-election-namespace: \"Ops\" is not a valid namespace name"},
        {"-leader-election-name", "a..b", "--leader-election-name: \"a..b\" is not a valid Lease name"},
        {"-pod-name", "", "--pod-name: must be 1 to 128 printable characters"},
        {"-pod-name", "a b", "--pod-name: must be 1 to 128 printable characters"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[] = {"mirror", "-kubeconfig", "/k", (char *)cases[i].arg, (char *)cases[i].value};
        mirror_flags m;
        char err[400];
        CHECK(tm_parse(ARGC(argv), argv, NULL, &m, err, sizeof err) == OPTIONS_ERROR);
        CHECK_MSG(strncmp(err, cases[i].expect, strlen(cases[i].expect)) == 0, err);
        mirror_flags_free(&m);
    }
}

UNIT_TEST(mirror_flags_svclink_spellings_override_seed_defaults)
{
    /* svclink's own names of the same settings, and the two defaults turned off. */
    char *argv[] = {"mirror", "--kubeconfig", "/k", "--leader-elect=false", "--http-address", "",
                    "--leader-elect-namespace", "ops", "--leader-elect-name", "n", "--leader-elect-identity", "me"};
    mirror_flags_env env = {.hostname = "host"};
    mirror_flags m;
    char err[400];
    CHECK(mirror_flags_parse(ARGC(argv), argv, &env, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK(!m.common.leader_elect);
    CHECK(m.common.http_address == NULL);
    CHECK_STR_EQ(m.common.lease_namespace, "ops");
    CHECK_STR_EQ(m.common.lease_name, "n");
    CHECK_STR_EQ(m.common.lease_identity, "me");
    mirror_flags_free(&m);
    char *port0[] = {"mirror", "--kubeconfig", "/k", "--http-address=127.0.0.1:0"};
    CHECK(mirror_flags_parse(ARGC(port0), port0, &env, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.http_address, "127.0.0.1:0");
    mirror_flags_free(&m);
    /* A $HOSTNAME that cannot be an identity leaves svclink's default (POD_NAME or the host
     * name plus a random suffix) to the engine. */
    char *plain[] = {"mirror", "--kubeconfig", "/k"};
    mirror_flags_env bad = {.hostname = "has space"};
    CHECK(mirror_flags_parse(ARGC(plain), plain, &bad, &m, err, sizeof err) == OPTIONS_RUN);
    CHECK(m.common.lease_identity == NULL);
    mirror_flags_free(&m);
}

UNIT_TEST(mirror_flags_usage_fits_and_names_seed_flags)
{
    char usage[4096]; /* main.c's buffer */
    mirror_flags_usage(usage, sizeof usage);
    CHECK(strlen(usage) < sizeof usage - 1);
    CHECK(strstr(usage, "print this help and exit\n") != NULL);
    CHECK(strstr(usage, "-leader-election-namespace") != NULL && strstr(usage, "-pod-name") != NULL);
}

UNIT_TEST(r9_mirror_flags_bad_values_name_their_flag)
{
    static const struct {
        const char *flag, *value, *expect;
    } cases[] = {
        {"--sync-label", "sync in (a", "--sync-label: "},
        {"--sync-label", "bad key!=x", "--sync-label: "},
        {"--src-ns", "kube-system", "--src-ns: kube-system"},
        {"--dst-ns", "Prod", "--dst-ns: \"Prod\" is not a valid namespace"},
        {"--src-ns", "a,b", "--src-ns: one namespace"},
        {"--link-name", "a.b", "--link-name: "},
        {"--src-context", "", "--src-context: "},
        {"--included-namespaces", "x", "--included-namespaces is not a flag of svclink mirror"},
        {"--sync-services-to-local-cluster", "true", "--sync-services-to-local-cluster is not a flag"},
        {"--status-interval", "10s", "--status-interval is not a flag of svclink mirror"},
        {"-v", "2", "unknown flag \"--v\""},
        {"--bogus", "1", "unknown flag \"--bogus\" (see svclink mirror --help)"},
        {"--src-context", "twice", "--src-context is given twice"},
    };
    const char *base[] = {"--kubeconfig", "/k", "--src-context", "a", "--dst-context", "b", "--src-ns", "default",
                          "--dst-ns", "prod-test", "--sync-label", "sync=true"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* The base line with the flag under test given its bad value (or added). */
        char *argv[16] = {"mirror"};
        int argc = 1;
        bool twice = strcmp(cases[i].value, "twice") == 0, replaced = false;
        for (size_t b = 0; b < 12; b += 2) {
            argv[argc++] = (char *)base[b];
            bool mine = strcmp(base[b], cases[i].flag) == 0 && !twice;
            argv[argc++] = (char *)(mine ? cases[i].value : base[b + 1]);
            replaced |= mine;
        }
        if (!replaced) {
            argv[argc++] = (char *)cases[i].flag;
            argv[argc++] = (char *)cases[i].value;
        }
        mirror_flags m;
        char err[400];
        CHECK(tm_parse(argc, argv, NULL, &m, err, sizeof err) == OPTIONS_ERROR);
        CHECK_MSG(strncmp(err, cases[i].expect, strlen(cases[i].expect)) == 0, cases[i].expect);
        mirror_flags_free(&m);
    }
}

UNIT_TEST(mirror_flags_defaults_and_decisions)
{
    /* $KUBECONFIG stands in for --kubeconfig; '' selects every Service; a mapping to the
     * same name is fine across contexts but not within one. */
    char *argv[] = {"mirror", "--src-context", "a", "--dst-context", "b", "--src-ns", "web", "--dst-ns", "web",
                    "--sync-label", "", "--leader-elect-name", "my-lease", "--link-name", "east"};
    mirror_flags m;
    char err[400];
    CHECK(tm_parse(ARGC(argv), argv, "/env/kubeconfig", &m, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(m.common.kubeconfig_path, "/env/kubeconfig");
    CHECK(m.selector == NULL && m.compat_key[0] == '\0');
    CHECK_STR_EQ(m.link_name, "east");
    CHECK_STR_EQ(m.common.lease_name, "my-lease");
    mirror_flags_free(&m);
    CHECK(tm_parse(ARGC(argv), argv, "/a:/b", &m, err, sizeof err) == OPTIONS_ERROR && strstr(err, "--kubeconfig") != NULL);
    mirror_flags_free(&m);
    char *same[] = {"mirror", "--kubeconfig", "/k", "--src-context", "a", "--dst-context", "a", "--src-ns", "web",
                    "--dst-ns", "web", "--sync-label", "x=y"};
    CHECK(tm_parse(ARGC(same), same, NULL, &m, err, sizeof err) == OPTIONS_ERROR && strncmp(err, "--dst-ns", 8) == 0);
    mirror_flags_free(&m);
    char *help[] = {"mirror", "--help"};
    CHECK(tm_parse(ARGC(help), help, NULL, &m, err, sizeof err) == OPTIONS_HELP);
    mirror_flags_free(&m);
}

UNIT_TEST(r6_mirror_flags_compat_label_only_for_key_equals_value)
{
    static const struct {
        const char *selector, *key, *value;
    } cases[] = {
        {"sync=true", "sync", "true-external"},
        {"example.com/sync==yes", "example.com/sync", "yes-external"},
        {"sync!=true", "", ""},
        {"sync in (a,b)", "", ""},
        {"sync=true,tier=web", "", ""},
        {"sync", "", ""},
        {"sync=", "", ""},
        {"svclink.cloudpilot.ai/created-by=x", "", ""},
        {"sync=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", ""}, /* 59 + 9 > 63 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[] = {"mirror", "--kubeconfig", "/k", "--src-context", "a", "--dst-context", "b", "--src-ns",
                        "x", "--dst-ns", "y", "--sync-label", (char *)cases[i].selector};
        mirror_flags m;
        char err[400];
        CHECK(tm_parse(ARGC(argv), argv, NULL, &m, err, sizeof err) == OPTIONS_RUN);
        CHECK_MSG(strcmp(m.compat_key, cases[i].key) == 0 && strcmp(m.compat_value, cases[i].value) == 0, cases[i].selector);
        mirror_flags_free(&m);
    }
}

UNIT_TEST(r2_mirror_flags_link_names)
{
    static const struct {
        const char *context, *link;
    } cases[] = {
        {"cluster-a", "cluster-a"},
        {"arn:aws:eks:eu-west-1:123456789012:cluster/prod", "arn-aws-eks-eu-west-1-123456789012-cluster-prod"},
        {"--Dev__Ctx--", "dev-ctx"},
        {"@@@", "mirror"},
        {"", "mirror"},
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-bbbb", /* 63 a's: cut there */
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        mirror_flags_link_name(cases[i].context, out);
        CHECK_MSG(strcmp(out, cases[i].link) == 0, cases[i].context);
        CHECK(k8sname_is_dns_label(out, strlen(out)));
    }
    char out[64];
    mirror_flags_link_name("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-b", out); /* 62 a's */
    CHECK(strlen(out) <= 63 && k8sname_is_dns_label(out, strlen(out)));
}
