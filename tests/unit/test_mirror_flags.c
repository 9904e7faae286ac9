/* Unit tests for mirror_flags: svclink mirror's required flags, each error naming its flag, the
 * link and Lease names it derives, and the k8s-svc-sync label kept for created Services. */
#include "cmd/mirror_flags.h"
#include "base/k8sname.h"
#include "unit.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static options_action tm_parse(int argc, char **argv, const char *env, mirror_flags *m, char *err, size_t errlen)
{
    return mirror_flags_parse(argc, argv, env, m, err, errlen);
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
    CHECK_STR_EQ(m.common.lease_name, "svclink-mirror-prod-east-1");
    CHECK_STR_EQ(m.compat_key, "sync");
    CHECK_STR_EQ(m.compat_value, "true-external");
    mirror_flags_free(&m);
}

UNIT_TEST(r9_mirror_flags_each_missing_flag_is_named)
{
    const char *flags[] = {"--kubeconfig", "--src-context", "--dst-context", "--src-ns", "--dst-ns", "--sync-label"};
    const char *values[] = {"/k", "a", "b", "default", "prod-test", "sync=true"};
    for (size_t skip = 0; skip < 6; skip++) {
        char *argv[13] = {"mirror"};
        int argc = 1;
        for (size_t i = 0; i < 6; i++) {
            if (i == skip)
                continue;
            argv[argc++] = (char *)flags[i];
            argv[argc++] = (char *)values[i];
        }
        mirror_flags m;
        char err[400];
        CHECK(tm_parse(argc, argv, NULL, &m, err, sizeof err) == OPTIONS_ERROR);
        CHECK(strncmp(err, flags[skip], strlen(flags[skip])) == 0 && strstr(err, "required") != NULL);
        mirror_flags_free(&m);
    }
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
