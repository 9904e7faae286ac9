/* Unit tests for options: flag syntax, durations, namespace lists, and the errors a user
 * sees for each kind of mistake; the vmware controller's NSTOWATCH and EXCLUDE as defaults. */
#include "controller/options.h"
#include "base/k8sname.h"
#include "unit.h"

#include <stdint.h>

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static uint64_t duration_ms(const char *text)
{
    uint64_t ms = UINT64_MAX;
    return options_parse_duration_ms(text, &ms) == 0 ? ms : UINT64_MAX;
}

UNIT_TEST(options_duration_units)
{
    CHECK(duration_ms("30s") == 30000);
    CHECK(duration_ms("1m") == 60000);
    CHECK(duration_ms("1m30s") == 90000);
    CHECK(duration_ms("1.5h") == 5400000);
    CHECK(duration_ms("250ms") == 250);
    CHECK(duration_ms("2h45m") == 9900000);
    CHECK(duration_ms("1500000us") == 1500);
    CHECK(duration_ms("0.5s") == 500);
}

UNIT_TEST(options_duration_rejects_malformed)
{
    const char *bad[] = {"", "30", "s", "1x", "1.s5", "-5s", "5 s", "1m-", "0s", ".s", "1.5", "ms", "3sm"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(duration_ms(bad[i]) == UINT64_MAX);
    CHECK(duration_ms("99999999999999999999999h") == UINT64_MAX);
    CHECK(duration_ms("100000000h") == UINT64_MAX);
}

UNIT_TEST(options_dns_label)
{
    CHECK(k8sname_is_dns_label("default", 7));
    CHECK(k8sname_is_dns_label("a-1", 3));
    CHECK(!k8sname_is_dns_label("", 0));
    CHECK(!k8sname_is_dns_label("-a", 2));
    CHECK(!k8sname_is_dns_label("a-", 2));
    CHECK(!k8sname_is_dns_label("A", 1));
    CHECK(!k8sname_is_dns_label("a.b", 3));
    char long_name[65];
    memset(long_name, 'a', 64);
    long_name[64] = '\0';
    CHECK(k8sname_is_dns_label(long_name, 63));
    CHECK(!k8sname_is_dns_label(long_name, 64));
}

UNIT_TEST(options_defaults)
{
    char *argv[] = {"svclink"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_interval_ms == 30000);
    CHECK(o.kubeconfig_path == NULL);
    CHECK(o.included_namespace_count == 0);
    CHECK(!o.sync_services_to_local_cluster);
    options_free(&o);
}

UNIT_TEST(options_all_flags_both_syntaxes)
{
    char *argv[] = {"svclink", "--sync-interval=45s", "--kubeconfig", "/tmp/kc",
                    "-included-namespaces=prod,default", "--included-namespaces", "staging,prod",
                    "--sync-services-to-local-cluster"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_interval_ms == 45000);
    CHECK_STR_EQ(o.kubeconfig_path, "/tmp/kc");
    CHECK(o.included_namespace_count == 3);
    if (o.included_namespace_count == 3) {
        CHECK_STR_EQ(o.included_namespaces[0], "default");
        CHECK_STR_EQ(o.included_namespaces[1], "prod");
        CHECK_STR_EQ(o.included_namespaces[2], "staging");
    }
    CHECK(o.sync_services_to_local_cluster);
    options_free(&o);
    CHECK(o.included_namespaces == NULL);
}

UNIT_TEST(options_bool_explicit_false)
{
    char *argv[] = {"svclink", "--sync-services-to-local-cluster=true",
                    "--sync-services-to-local-cluster=false"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(!o.sync_services_to_local_cluster);
    options_free(&o);
}

/* Each bad command line must fail and the message must name the culprit. */
static void expect_error(int argc, char **argv, const char *needle)
{
    options o;
    char err[256];
    CHECK(options_parse(argc, argv, &o, err, sizeof err) == OPTIONS_ERROR);
    CHECK(strstr(err, needle) != NULL);
    options_free(&o);
}

UNIT_TEST(options_errors_name_the_problem)
{
    char *a1[] = {"svclink", "--included-namespaces=default,kube-system"};
    expect_error(ARGC(a1), a1, "kube-system");
    char *a2[] = {"svclink", "--no-such-flag=1"};
    expect_error(ARGC(a2), a2, "--no-such-flag");
    char *a3[] = {"svclink", "--sync-interval=soon"};
    expect_error(ARGC(a3), a3, "soon");
    char *a4[] = {"svclink", "--sync-interval"};
    expect_error(ARGC(a4), a4, "needs a value");
    char *a5[] = {"svclink", "--included-namespaces=Prod"};
    expect_error(ARGC(a5), a5, "\"Prod\"");
    char *a6[] = {"svclink", "--included-namespaces=a,,b"};
    expect_error(ARGC(a6), a6, "empty");
    char *a7[] = {"svclink", "--sync-services-to-local-cluster=yes"};
    expect_error(ARGC(a7), a7, "\"yes\"");
    char *a8[] = {"svclink", "stray"};
    expect_error(ARGC(a8), a8, "stray");
    char *a9[] = {"svclink", "--sync-interval=100ms"};
    expect_error(ARGC(a9), a9, "range");
    char *a10[] = {"svclink", "--included-namespaces=ok,"};
    expect_error(ARGC(a10), a10, "empty");
}

UNIT_TEST(options_help_and_version)
{
    char *h[] = {"svclink", "--sync-interval=30s", "--help"};
    char *v[] = {"svclink", "--version"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(h), h, &o, err, sizeof err) == OPTIONS_HELP);
    options_free(&o);
    CHECK(options_parse(ARGC(v), v, &o, err, sizeof err) == OPTIONS_VERSION);
    options_free(&o);
    char usage[4096];
    options_usage(usage, sizeof usage);
    const char *flags[] = {"--sync-interval", "--kubeconfig", "--included-namespaces",
                           "--sync-services-to-local-cluster", "--service-cidrs", "--allowed-cidrs",
                           "--status-interval", "--max-services-per-link",
                           "--max-endpoints-per-link", "--excluded-namespaces", "--kubeconfig-dir",
                           "--trusted-kubeconfig-dir", "--no-clusterlinks", "--version", "--help",
                           "NSTOWATCH=", "EXCLUDE="};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        CHECK(strstr(usage, flags[i]) != NULL);
    CHECK(strlen(usage) < sizeof usage - 1); /* main.c's buffer: nothing cut */
}

UNIT_TEST(options_leader_election_and_http_flags)
{
    options o;
    char err[256];
    char *const defaults[] = {"svclink"};
    CHECK(options_parse(1, defaults, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(!o.leader_elect && o.lease_duration_ms == 15000 && o.renew_deadline_ms == 10000 &&
          o.retry_period_ms == 2000);
    CHECK_STR_EQ(o.lease_name, "svclink");
    CHECK(o.lease_namespace == NULL && o.http_address == NULL && !o.log_json);
    options_free(&o);
    char *const all[] = {"svclink", "--leader-elect", "--leader-elect-namespace=ops", "--leader-elect-name",
                         "svclink.leader", "--leader-elect-identity=pod-1", "--leader-elect-lease-duration=6s",
                         "--leader-elect-renew-deadline=4s", "--leader-elect-retry-period=1s",
                         "--http-address=[::1]:9090", "--log-format=json", "--log-level=debug"};
    CHECK(options_parse(ARGC(all), all, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.leader_elect && o.lease_duration_ms == 6000 && o.renew_deadline_ms == 4000 && o.retry_period_ms == 1000);
    CHECK_STR_EQ(o.lease_namespace, "ops");
    CHECK_STR_EQ(o.lease_name, "svclink.leader");
    CHECK_STR_EQ(o.lease_identity, "pod-1");
    CHECK_STR_EQ(o.http_address, "[::1]:9090");
    CHECK(o.log_json && o.log_level == 0);
    options_free(&o);
}

UNIT_TEST(options_leader_election_errors_name_the_flag)
{
    struct {
        const char *arg, *want;
    } cases[] = {
        {"--leader-elect-lease-duration=5s", "longer than --leader-elect-renew-deadline"},
        {"--leader-elect-retry-period=9s", "1.2 x --leader-elect-retry-period"},
        {"--leader-elect-retry-period=soon", "--leader-elect-retry-period: \"soon\" is not a duration"},
        {"--leader-elect-namespace=Bad_NS", "--leader-elect-namespace: \"Bad_NS\" is not a valid namespace"},
        {"--leader-elect-name=a..b", "--leader-elect-name: \"a..b\" is not a valid Lease name"},
        {"--leader-elect-identity=has space", "--leader-elect-identity: must be 1 to 128"},
        {"--http-address=8080", "--http-address: \"8080\" is not HOST:PORT"},
        {"--http-address=::1:80", "is not HOST:PORT"},
        {"--http-address=:99999", "is not HOST:PORT"},
        {"--log-format=xml", "--log-format: \"xml\" is neither text nor json"},
        {"--log-level=loud", "--log-level: \"loud\" is not one of"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        options o;
        char err[256];
        char *const argv[] = {"svclink", (char *)cases[i].arg};
        CHECK_MSG(options_parse(2, argv, &o, err, sizeof err) == OPTIONS_ERROR && strstr(err, cases[i].want) != NULL,
                  cases[i].arg);
        options_free(&o);
    }
}

UNIT_TEST(options_split_host_port_forms)
{
    char host[64];
    uint16_t port = 0;
    CHECK(options_split_host_port(":8080", host, sizeof host, &port) == 0 && host[0] == '\0' && port == 8080);
    CHECK(options_split_host_port("127.0.0.1:0", host, sizeof host, &port) == 0 && port == 0);
    CHECK_STR_EQ(host, "127.0.0.1");
    CHECK(options_split_host_port("[fd00::1]:65535", host, sizeof host, &port) == 0 && port == 65535);
    CHECK_STR_EQ(host, "fd00::1");
    CHECK(options_split_host_port("localhost:80", host, sizeof host, &port) == 0);
    CHECK(options_split_host_port("x:", host, sizeof host, &port) == -1);
    CHECK(options_split_host_port("[::1]80", host, sizeof host, &port) == -1);
    CHECK(options_split_host_port("x:65536", host, sizeof host, &port) == -1);
    CHECK(options_split_host_port("x:8a", host, sizeof host, &port) == -1);
    CHECK(options_split_host_port("host-name-that-is-too-long-for-the-buffer-of-this-test-0123456789:1", host,
                              sizeof host, &port) == -1);
}

/* svclink (Go)'s own Deployment args, as its manifest and README give them, start svclink
 * with the same meaning. */
UNIT_TEST(options_go_deployment_args_work)
{
    char *argv[] = {"svclink", "--sync-interval=30s", "--sync-services-to-local-cluster=false",
                    "--kubeconfig=/etc/kc", "--included-namespaces=default,production,staging"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_interval_ms == 30000 && !o.sync_services_to_local_cluster);
    CHECK_STR_EQ(o.kubeconfig_path, "/etc/kc");
    CHECK(o.included_namespace_count == 3 && o.klog_flag_count == 0);
    options_free(&o);
    /* pflag booleans take Go's strconv.ParseBool spellings. */
    char *b[] = {"svclink", "--sync-services-to-local-cluster=True", "--sync-interval", "1m"};
    CHECK(options_parse(ARGC(b), b, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_services_to_local_cluster && o.sync_interval_ms == 60000);
    options_free(&o);
    char *c[] = {"svclink", "--sync-services-to-local-cluster=F"};
    CHECK(options_parse(ARGC(c), c, &o, err, sizeof err) == OPTIONS_RUN && !o.sync_services_to_local_cluster);
    options_free(&o);
}

UNIT_TEST(options_klog_flags_accepted_and_listed)
{
    char *argv[] = {"svclink", "-v=4", "--v", "2", "--logtostderr", "--alsologtostderr=false",
                    "-logtostderr=true", "--log-dir=/tmp", "--vmodule=foo=3", "--sync-interval=45s"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_interval_ms == 45000);
    CHECK(o.klog_flag_count == 7);
    if (o.klog_flag_count == 7) {
        CHECK_STR_EQ(o.klog_flags[0].arg, "-v=4");
        CHECK_STR_EQ(o.klog_flags[0].value, "4");
        CHECK_STR_EQ(o.klog_flags[1].arg, "--v");
        CHECK_STR_EQ(o.klog_flags[1].value, "2");
        CHECK_STR_EQ(o.klog_flags[2].arg, "--logtostderr");
        CHECK(o.klog_flags[2].value == NULL);
        CHECK_STR_EQ(o.klog_flags[3].value, "false");
        CHECK_STR_EQ(o.klog_flags[5].arg, "--log-dir=/tmp");
        CHECK_STR_EQ(o.klog_flags[6].value, "foo=3");
    }
    /* klog flags change nothing of svclink's own settings. */
    CHECK(o.log_level == 1 && !o.log_json);
    options_free(&o);
    CHECK(options_is_klog_flag("--skip_headers") && options_is_klog_flag("--skip-headers"));
    CHECK(!options_is_klog_flag("--vv") && !options_is_klog_flag("--log") && !options_is_klog_flag("v"));
}

UNIT_TEST(options_klog_flags_many_are_counted)
{
    char *argv[12] = {"svclink"};
    for (int i = 1; i < 12; i++)
        argv[i] = "-v=1";
    options o;
    char err[256];
    CHECK(options_parse(12, argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.klog_flag_count == 11);
    CHECK_STR_EQ(o.klog_flags[OPTIONS_MAX_KLOG_FLAGS - 1].arg, "-v=1");
    options_free(&o);
}

UNIT_TEST(options_klog_flag_values_checked)
{
    char *a1[] = {"svclink", "-v", "--kubeconfig=/x"};
    expect_error(ARGC(a1), a1, "klog verbosity");
    char *a2[] = {"svclink", "--v=high"};
    expect_error(ARGC(a2), a2, "\"high\"");
    char *a3[] = {"svclink", "--logtostderr=yes"};
    expect_error(ARGC(a3), a3, "\"yes\"");
    char *a4[] = {"svclink", "--v"};
    expect_error(ARGC(a4), a4, "needs a value");
    char *a5[] = {"svclink", "--vmodules=x"};
    expect_error(ARGC(a5), a5, "unknown flag");
}
UNIT_TEST(options_address_policy_and_status_interval_flags)
{
    options o;
    char err[256];
    char *none[] = {"svclink"};
    CHECK(options_parse(ARGC(none), none, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.status_interval_ms == OPTIONS_DEFAULT_STATUS_INTERVAL_MS && o.service_cidrs.n == 0 && o.allowed_cidrs.n == 0);
    options_free(&o);
    char *a[] = {"svclink", "--service-cidrs=10.96.0.0/12,fd00:96::/112", "--allowed-cidrs", "10.244.0.0/14",
                 "--allowed-cidrs=192.0.2.7", "--status-interval=250ms"};
    CHECK(options_parse(ARGC(a), a, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.service_cidrs.n == 2 && o.allowed_cidrs.n == 2 && o.status_interval_ms == 250);
    options_free(&o);
    CHECK(o.service_cidrs.n == 0 && o.service_cidrs.v == NULL);
    char *b1[] = {"svclink", "--service-cidrs=10.96.0.0/33"};
    expect_error(ARGC(b1), b1, "--service-cidrs");
    char *b2[] = {"svclink", "--allowed-cidrs=10.0.0.0/8,,10.1.0.0/16"};
    expect_error(ARGC(b2), b2, "empty");
    char *b3[] = {"svclink", "--status-interval=50ms"};
    expect_error(ARGC(b3), b3, "range");
    char *b4[] = {"svclink", "--status-interval=2h"};
    expect_error(ARGC(b4), b4, "range");
}
UNIT_TEST(options_link_budgets)
{
    options o;
    char err[256];
    char *const defaults[] = {"svclink"};
    CHECK(options_parse(1, defaults, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.max_services_per_link == 10000 && o.max_endpoints_per_link == 100000);
    options_free(&o);
    char *const set[] = {"svclink", "--max-services-per-link=5", "--max-endpoints-per-link", "100000000"};
    CHECK(options_parse(ARGC(set), set, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.max_services_per_link == 5 && o.max_endpoints_per_link == 100000000);
    options_free(&o);
    const char *bad[] = {"--max-services-per-link=0", "--max-services-per-link=-1", "--max-services-per-link=1k",
                         "--max-endpoints-per-link=100000001", "--max-endpoints-per-link=99999999999999999999",
                         "--max-endpoints-per-link="};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *const argv[] = {"svclink", (char *)bad[i]};
        CHECK_MSG(options_parse(2, argv, &o, err, sizeof err) == OPTIONS_ERROR && strstr(err, "is not a count from 1") != NULL,
                  bad[i]);
        options_free(&o);
    }
}

UNIT_TEST(options_peer_flags)
{
    char *argv[] = {"svclink", "--kubeconfig-dir", "/etc/kubeconfigs", "--trusted-kubeconfig-dir",
                    "--no-clusterlinks=true", "--excluded-namespaces=tmp,dev", "--excluded-namespaces", "dev"};
    options o;
    char err[256];
    CHECK(options_parse(ARGC(argv), argv, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK_STR_EQ(o.kubeconfig_dir, "/etc/kubeconfigs");
    CHECK(o.trusted_kubeconfig_dir);
    CHECK(o.no_clusterlinks);
    CHECK(!o.sync_services_given);
    CHECK(o.excluded_namespace_count == 2);
    options_free(&o);
    CHECK(o.excluded_namespaces == NULL);
    char *given[] = {"svclink", "--sync-services-to-local-cluster=false"};
    CHECK(options_parse(ARGC(given), given, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.sync_services_given && !o.sync_services_to_local_cluster);
    options_free(&o);
}

UNIT_TEST(options_peer_flags_errors)
{
    char *a1[] = {"svclink", "--no-clusterlinks"};
    expect_error(ARGC(a1), a1, "--kubeconfig-dir");
    char *a2[] = {"svclink", "--trusted-kubeconfig-dir"};
    expect_error(ARGC(a2), a2, "--kubeconfig-dir");
    char *a3[] = {"svclink", "--excluded-namespaces=kube-system"};
    expect_error(ARGC(a3), a3, "kube-system");
    char *a4[] = {"svclink", "--excluded-namespaces=Bad_NS"};
    expect_error(ARGC(a4), a4, "Bad_NS");
}

/* The vmware controller's NSTOWATCH and EXCLUDE, as defaults the flags override. */
static options_action topt_env(char *const *argv, int argc, const char *nstowatch, const char *exclude, options *o,
                               char *err, size_t errlen)
{
    options_action a = options_parse(argc, argv, o, err, errlen);
    options_env env = {.nstowatch = nstowatch, .exclude = exclude};
    if (a == OPTIONS_RUN && options_apply_env(o, &env, err, errlen) != 0)
        a = OPTIONS_ERROR;
    return a;
}

UNIT_TEST(options_env_vmware_nstowatch_and_exclude_fill_the_lists)
{
    char *const argv[] = {"svclink", "--kubeconfig-dir", "/etc/kubeconfigs", "--no-clusterlinks"};
    options o;
    char err[256];
    /* Commas (the vmware controller's EXCLUDE) or blanks; empty items skipped. */
    CHECK(topt_env(argv, ARGC(argv), "web, api", "batch,,jobs,", &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.included_namespace_count == 2 && o.excluded_namespace_count == 2);
    if (o.included_namespace_count == 2 && o.excluded_namespace_count == 2) {
        CHECK_STR_EQ(o.included_namespaces[0], "api"); /* sorted, as the flag's */
        CHECK_STR_EQ(o.included_namespaces[1], "web");
        CHECK_STR_EQ(o.excluded_namespaces[0], "batch");
        CHECK_STR_EQ(o.excluded_namespaces[1], "jobs");
    }
    CHECK(o.env_used == (OPTIONS_ENV_NSTOWATCH | OPTIONS_ENV_EXCLUDE) && o.env_overridden == 0);
    options_free(&o);
    /* Unset or empty: the vmware controller's defaults (every namespace; none excluded). */
    CHECK(topt_env(argv, ARGC(argv), NULL, "", &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.included_namespace_count == 0 && o.excluded_namespace_count == 0 && o.env_used == 0);
    options_free(&o);
    CHECK(topt_env(argv, ARGC(argv), " , ", NULL, &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.included_namespace_count == 0 && o.env_used == 0);
    options_free(&o);
    /* EXCLUDE=kube-system asks for what svclink does anyway. */
    CHECK(topt_env(argv, ARGC(argv), NULL, "kube-system,kube-public", &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.excluded_namespace_count == 1 && strcmp(o.excluded_namespaces[0], "kube-public") == 0);
    CHECK(o.env_used == OPTIONS_ENV_EXCLUDE);
    options_free(&o);
}

UNIT_TEST(options_env_vmware_flags_win_and_say_so)
{
    char *const argv[] = {"svclink", "--included-namespaces=prod", "--excluded-namespaces", "legacy"};
    options o;
    char err[256];
    CHECK(topt_env(argv, ARGC(argv), "web", "batch", &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.included_namespace_count == 1 && strcmp(o.included_namespaces[0], "prod") == 0);
    CHECK(o.excluded_namespace_count == 1 && strcmp(o.excluded_namespaces[0], "legacy") == 0);
    CHECK(o.env_used == 0 && o.env_overridden == (OPTIONS_ENV_NSTOWATCH | OPTIONS_ENV_EXCLUDE));
    options_free(&o);
    /* One flag, the other variable. */
    char *const one[] = {"svclink", "--excluded-namespaces=legacy"};
    CHECK(topt_env(one, ARGC(one), "web", "batch", &o, err, sizeof err) == OPTIONS_RUN);
    CHECK(o.included_namespace_count == 1 && strcmp(o.included_namespaces[0], "web") == 0);
    CHECK(o.excluded_namespace_count == 1 && strcmp(o.excluded_namespaces[0], "legacy") == 0);
    CHECK(o.env_used == OPTIONS_ENV_NSTOWATCH && o.env_overridden == OPTIONS_ENV_EXCLUDE);
    options_free(&o);
}

UNIT_TEST(options_env_vmware_bad_values_name_the_variable)
{
    static const struct {
        const char *nstowatch, *exclude, *want;
    } cases[] = {
        {"kube-system", NULL, "NSTOWATCH: kube-system is never synced"},
        {"Web_App", NULL, "NSTOWATCH: \"Web_App\" is not a valid namespace name"},
        {NULL, "ok,Bad.NS", "EXCLUDE: \"Bad.NS\" is not a valid namespace name"},
    };
    char *const argv[] = {"svclink"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        options o;
        char err[256];
        CHECK(topt_env(argv, 1, cases[i].nstowatch, cases[i].exclude, &o, err, sizeof err) == OPTIONS_ERROR);
        CHECK_MSG(strncmp(err, cases[i].want, strlen(cases[i].want)) == 0, err);
        options_free(&o);
    }
}
