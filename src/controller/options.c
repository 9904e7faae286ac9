/* options: parses and validates svclink's command-line flags (Go/pflag conventions:
 * --flag=value or --flag value, booleans bare or =true/false, lists comma-separated). */
#include "controller/options.h"
#include "base/k8sname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/text.h"

/* 24 hours: a resync interval beyond that is surely a typo (e.g. "30h" meant "30s"). */
#define OPTIONS_MAX_SYNC_INTERVAL_MS (24ull * 3600ull * 1000ull)
#define OPTIONS_MIN_SYNC_INTERVAL_MS 1000ull

/* Unit multipliers in nanoseconds; "ms" precedes "m" so the longer suffix wins. */
static const struct {
    const char *suffix;
    uint64_t ns;
} options_units[] = {
    {"ns", 1ull},          {"us", 1000ull},          {"\xc2\xb5s", 1000ull},
    {"ms", 1000000ull},    {"s", 1000000000ull},     {"m", 60000000000ull},
    {"h", 3600000000000ull},
};

static int options_match_unit(const char *p, uint64_t *ns, size_t *len)
{
    for (size_t i = 0; i < sizeof options_units / sizeof options_units[0]; i++) {
        size_t n = strlen(options_units[i].suffix);
        if (strncmp(p, options_units[i].suffix, n) == 0) {
            *ns = options_units[i].ns;
            *len = n;
            return 0;
        }
    }
    return -1;
}

int options_parse_duration_ms(const char *text, uint64_t *out_ms)
{
    /* Total kept in nanoseconds; the cap keeps every step far from overflow. */
    const uint64_t cap_ns = 1000000000ull * 3600ull * 24ull * 365ull;
    uint64_t total_ns = 0;
    const char *p = text;
    if (p == NULL || *p == '\0')
        return -1;
    while (*p != '\0') {
        uint64_t whole = 0, frac = 0, frac_scale = 1;
        bool digits = false;
        while (*p >= '0' && *p <= '9') {
            if (whole > cap_ns / 10)
                return -1;
            whole = whole * 10 + (uint64_t)(*p - '0');
            p++;
            digits = true;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                if (frac_scale < 1000000000ull) { /* beyond 1e-9 precision adds nothing */
                    frac = frac * 10 + (uint64_t)(*p - '0');
                    frac_scale *= 10;
                }
                p++;
                digits = true;
            }
        }
        if (!digits)
            return -1;
        uint64_t unit_ns;
        size_t unit_len;
        if (options_match_unit(p, &unit_ns, &unit_len) != 0)
            return -1;
        p += unit_len;
        if (whole > cap_ns / unit_ns)
            return -1;
        /* frac < frac_scale <= 1e9 and unit_ns <= 3.6e12, so use division first. */
        uint64_t part = whole * unit_ns + (unit_ns / frac_scale) * frac;
        if (part > cap_ns - total_ns)
            return -1;
        total_ns += part;
    }
    if (total_ns == 0)
        return -1;
    *out_ms = total_ns / 1000000ull;
    return 0;
}

static int options_compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool options_list_has(char *const *names, size_t count, const char *name, size_t len)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return true;
    }
    return false;
}

static int options_namespace_add(const char *flag, const char *name, size_t len, size_t max, char ***names,
                             size_t *count, char *err, size_t errlen)
{
    if (!k8sname_is_dns_label(name, len)) {
        text_errorf(err, errlen,
                   "%s: \"%.*s\" is not a valid namespace name%s (lowercase letters, digits and '-', "
                   "at most 63 characters)",
                   flag, (int)(len > 80 ? 80 : len), name, len == 0 ? ": an empty item in the list" : "");
        return -1;
    }
    /* svclink never syncs kube-system, so naming it is always a mistake. */
    if (len == 11 && memcmp(name, "kube-system", 11) == 0) {
        text_errorf(err, errlen, "%s: kube-system is never synced; remove it from the list", flag);
        return -1;
    }
    if (options_list_has(*names, *count, name, len))
        return 0;
    if (max != 0 && *count >= max) {
        text_errorf(err, errlen, "%s: more than %zu namespaces", flag, max);
        return -1;
    }
    char **grown = realloc(*names, (*count + 1) * sizeof *grown);
    if (grown == NULL) {
        text_errorf(err, errlen, "out of memory");
        return -1;
    }
    *names = grown;
    if ((grown[*count] = strndup(name, len)) == NULL) {
        text_errorf(err, errlen, "out of memory");
        return -1;
    }
    (*count)++;
    return 0;
}

int options_namespace_list_add(const char *flag, const char *list, size_t max, char ***names, size_t *count, char *err,
                           size_t errlen)
{
    for (const char *p = list;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (options_namespace_add(flag, p, len, max, names, count, err, errlen) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

void options_namespace_list_free(char ***names, size_t *count)
{
    for (size_t i = 0; i < *count; i++)
        free((*names)[i]);
    free(*names);
    *names = NULL;
    *count = 0;
}

/* Go's strconv.ParseBool set, which pflag uses: a Go Deployment's "=True" keeps working. */
static int options_parse_bool(const char *flag, const char *value, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"true", "1", "t", "T", "TRUE", "True"};
    static const char *const no[] = {"false", "0", "f", "F", "FALSE", "False"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(value, yes[i]) == 0 || strcmp(value, no[i]) == 0) {
            *out = strcmp(value, yes[i]) == 0;
            return 0;
        }
    }
    text_errorf(err, errlen, "%s: \"%s\" is not a boolean (use true or false)", flag, value);
    return -1;
}

int options_split_host_port(const char *text, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon, *h = text;
    size_t hlen;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = text + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL || memchr(text, ':', (size_t)(colon - text)) != NULL)
            return -1; /* a bare IPv6 address needs brackets */
        hlen = (size_t)(colon - text);
    }
    if (hlen >= hostlen || colon[1] == '\0' || strlen(colon + 1) > 5)
        return -1;
    unsigned long p = 0;
    for (const char *d = colon + 1; *d != '\0'; d++) {
        if (*d < '0' || *d > '9')
            return -1;
        p = p * 10 + (unsigned long)(*d - '0');
    }
    if (p > 65535)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (uint16_t)p;
    return 0;
}

typedef enum { OPTIONS_FLAG_STRING, OPTIONS_FLAG_BOOL } options_flag_kind;

static const struct {
    const char *name;
    options_flag_kind kind;
} options_flags[] = {
    {"--sync-interval", OPTIONS_FLAG_STRING},
    {"--kubeconfig", OPTIONS_FLAG_STRING},
    {"--included-namespaces", OPTIONS_FLAG_STRING},
    {"--sync-services-to-local-cluster", OPTIONS_FLAG_BOOL},
    {"--excluded-namespaces", OPTIONS_FLAG_STRING},
    {"--kubeconfig-dir", OPTIONS_FLAG_STRING},
    {"--trusted-kubeconfig-dir", OPTIONS_FLAG_BOOL},
    {"--no-clusterlinks", OPTIONS_FLAG_BOOL},
    {"--leader-elect", OPTIONS_FLAG_BOOL},
    {"--leader-elect-namespace", OPTIONS_FLAG_STRING},
    {"--leader-elect-name", OPTIONS_FLAG_STRING},
    {"--leader-elect-identity", OPTIONS_FLAG_STRING},
    {"--leader-elect-lease-duration", OPTIONS_FLAG_STRING},
    {"--leader-elect-renew-deadline", OPTIONS_FLAG_STRING},
    {"--leader-elect-retry-period", OPTIONS_FLAG_STRING},
    {"--http-address", OPTIONS_FLAG_STRING},
    {"--log-format", OPTIONS_FLAG_STRING},
    {"--log-level", OPTIONS_FLAG_STRING},
    {"--service-cidrs", OPTIONS_FLAG_STRING},
    {"--allowed-cidrs", OPTIONS_FLAG_STRING},
    {"--status-interval", OPTIONS_FLAG_STRING},
    {"--max-services-per-link", OPTIONS_FLAG_STRING},
    {"--max-endpoints-per-link", OPTIONS_FLAG_STRING},
};

/* The flags klog.InitFlags registers (svclink (Go) calls it, so its Deployments may pass
 * them). Names with '_', as klog spells them; '-' is accepted too. */
static const struct {
    const char *name;
    options_flag_kind kind;
} options_klog_flags[] = {
    {"v", OPTIONS_FLAG_STRING},
    {"vmodule", OPTIONS_FLAG_STRING},
    {"logtostderr", OPTIONS_FLAG_BOOL},
    {"alsologtostderr", OPTIONS_FLAG_BOOL},
    {"log_dir", OPTIONS_FLAG_STRING},
    {"log_file", OPTIONS_FLAG_STRING},
    {"log_file_max_size", OPTIONS_FLAG_STRING},
    {"stderrthreshold", OPTIONS_FLAG_STRING},
    {"skip_headers", OPTIONS_FLAG_BOOL},
    {"skip_log_headers", OPTIONS_FLAG_BOOL},
    {"add_dir_header", OPTIONS_FLAG_BOOL},
    {"one_output", OPTIONS_FLAG_BOOL},
    {"log_backtrace_at", OPTIONS_FLAG_STRING},
    {"legacy_stderr_threshold_behavior", OPTIONS_FLAG_BOOL},
};

/* Index into options_klog_flags, or -1. flag is "--name". */
static int options_klog_index(const char *flag)
{
    if (strncmp(flag, "--", 2) != 0)
        return -1;
    const char *name = flag + 2;
    for (size_t f = 0; f < sizeof options_klog_flags / sizeof options_klog_flags[0]; f++) {
        const char *k = options_klog_flags[f].name;
        size_t i = 0;
        while (k[i] != '\0' && (name[i] == k[i] || (k[i] == '_' && name[i] == '-')))
            i++;
        if (k[i] == '\0' && name[i] == '\0')
            return (int)f;
    }
    return -1;
}

bool options_is_klog_flag(const char *flag)
{
    return options_klog_index(flag) >= 0;
}

/* Checks a klog flag's value the way klog would (so "-v --kubeconfig" does not silently
 * eat the next flag) and remembers it for the warning. */
static int options_klog_apply(options *opts, int f, const char *name, const char *arg, const char *value,
                          bool bare, char *err, size_t errlen)
{
    bool b;
    if (options_klog_flags[f].kind == OPTIONS_FLAG_BOOL && options_parse_bool(name, value, &b, err, errlen) != 0)
        return -1;
    if (strcmp(options_klog_flags[f].name, "v") == 0) {
        size_t len = strlen(value);
        bool ok = len > 0 && len <= 9;
        for (size_t i = 0; ok && i < len; i++)
            ok = value[i] >= '0' && value[i] <= '9';
        if (!ok) {
            text_errorf(err, errlen, "%s: \"%.40s\" is not a klog verbosity (a number such as 2)", name, value);
            return -1;
        }
    }
    if (opts->klog_flag_count < OPTIONS_MAX_KLOG_FLAGS) {
        opts->klog_flags[opts->klog_flag_count].arg = arg;
        opts->klog_flags[opts->klog_flag_count].value = bare ? NULL : value;
    }
    opts->klog_flag_count++;
    return 0;
}

/* A budget: a decimal count from 1 to 100,000,000 (beyond that no edge node has the
 * memory anyway, and the sums stay far from overflow). */
static int options_count(const char *flag, const char *value, uint64_t *out, char *err, size_t errlen)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; value[i] >= '0' && value[i] <= '9' && i < 10; i++)
        v = v * 10 + (uint64_t)(value[i] - '0');
    if (i == 0 || value[i] != '\0' || v < 1 || v > 100000000) {
        text_errorf(err, errlen, "%s: \"%.40s\" is not a count from 1 to 100000000", flag, value);
        return -1;
    }
    *out = v;
    return 0;
}

static int options_duration(const char *flag, const char *value, uint64_t min_ms, uint64_t max_ms, uint64_t *out,
                        char *err, size_t errlen)
{
    uint64_t ms;
    if (options_parse_duration_ms(value, &ms) != 0) {
        text_errorf(err, errlen, "%s: \"%s\" is not a duration (examples: 30s, 1m, 1m30s)", flag, value);
        return -1;
    }
    if (ms < min_ms || ms > max_ms) {
        text_errorf(err, errlen, "%s: %s is outside the allowed range %llums to %llus", flag, value,
                   (unsigned long long)min_ms, (unsigned long long)(max_ms / 1000));
        return -1;
    }
    *out = ms;
    return 0;
}

/* A Lease name is a DNS subdomain; a namespace name is a DNS label. */
static int options_name(const char *flag, const char *value, bool subdomain, const char **out, char *err, size_t errlen)
{
    size_t len = strlen(value);
    if (!(subdomain ? k8sname_is_dns_subdomain(value, len, K8SNAME_MAX_SUBDOMAIN) : k8sname_is_dns_label(value, len))) {
        text_errorf(err, errlen, "%s: \"%.80s\" is not a valid %s name", flag, value,
                   subdomain ? "Lease" : "namespace");
        return -1;
    }
    *out = value;
    return 0;
}

bool options_identity_ok(const char *id)
{
    /* It is written into the Lease and shown by /leader: printable and bounded. */
    size_t len = id != NULL ? strlen(id) : 0;
    bool ok = len > 0 && len <= 128;
    for (size_t i = 0; ok && i < len; i++)
        ok = id[i] > ' ' && id[i] < 0x7f;
    return ok;
}

static int options_apply_leader(options *opts, const char *flag, const char *value, char *err, size_t errlen)
{
    if (strcmp(flag, "--leader-elect") == 0)
        return options_parse_bool(flag, value, &opts->leader_elect, err, errlen);
    if (strcmp(flag, "--leader-elect-namespace") == 0)
        return options_name(flag, value, false, &opts->lease_namespace, err, errlen);
    if (strcmp(flag, "--leader-elect-name") == 0)
        return options_name(flag, value, true, &opts->lease_name, err, errlen);
    if (strcmp(flag, "--leader-elect-identity") == 0) {
        if (!options_identity_ok(value)) {
            text_errorf(err, errlen, "%s: must be 1 to 128 printable characters without spaces", flag);
            return -1;
        }
        opts->lease_identity = value;
        return 0;
    }
    uint64_t *target = strcmp(flag, "--leader-elect-lease-duration") == 0   ? &opts->lease_duration_ms
                       : strcmp(flag, "--leader-elect-renew-deadline") == 0 ? &opts->renew_deadline_ms
                                                                            : &opts->retry_period_ms;
    return options_duration(flag, value, 100, 3600000, target, err, errlen);
}

static int options_apply(options *opts, const char *flag, const char *value, char *err, size_t errlen)
{
    if (strcmp(flag, "--sync-interval") == 0)
        return options_duration(flag, value, OPTIONS_MIN_SYNC_INTERVAL_MS, OPTIONS_MAX_SYNC_INTERVAL_MS,
                            &opts->sync_interval_ms, err, errlen);
    if (strcmp(flag, "--kubeconfig") == 0) {
        opts->kubeconfig_path = value[0] != '\0' ? value : NULL;
        return 0;
    }
    if (strcmp(flag, "--included-namespaces") == 0) {
        opts->included_given = true;
        return options_namespace_list_add(flag, value, 0, &opts->included_namespaces,
                                      &opts->included_namespace_count, err, errlen);
    }
    if (strcmp(flag, "--excluded-namespaces") == 0) {
        opts->excluded_given = true;
        return options_namespace_list_add(flag, value, 0, &opts->excluded_namespaces,
                                      &opts->excluded_namespace_count, err, errlen);
    }
    if (strncmp(flag, "--leader-elect", 14) == 0)
        return options_apply_leader(opts, flag, value, err, errlen);
    if (strcmp(flag, "--max-services-per-link") == 0)
        return options_count(flag, value, &opts->max_services_per_link, err, errlen);
    if (strcmp(flag, "--max-endpoints-per-link") == 0)
        return options_count(flag, value, &opts->max_endpoints_per_link, err, errlen);
    if (strcmp(flag, "--kubeconfig-dir") == 0) {
        opts->kubeconfig_dir = value[0] != '\0' ? value : NULL;
        return 0;
    }
    if (strcmp(flag, "--trusted-kubeconfig-dir") == 0)
        return options_parse_bool(flag, value, &opts->trusted_kubeconfig_dir, err, errlen);
    if (strcmp(flag, "--no-clusterlinks") == 0)
        return options_parse_bool(flag, value, &opts->no_clusterlinks, err, errlen);
    if (strcmp(flag, "--http-address") == 0) {
        char host[256];
        uint16_t port;
        if (value[0] != '\0' && options_split_host_port(value, host, sizeof host, &port) != 0) {
            text_errorf(err, errlen, "--http-address: \"%.80s\" is not HOST:PORT (examples: :8080, 127.0.0.1:8080, [::1]:8080)",
                       value);
            return -1;
        }
        opts->http_address = value[0] != '\0' ? value : NULL;
        return 0;
    }
    if (strcmp(flag, "--log-format") == 0) {
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
            text_errorf(err, errlen, "--log-format: \"%.40s\" is neither text nor json", value);
            return -1;
        }
        opts->log_json = strcmp(value, "json") == 0;
        return 0;
    }
    if (strcmp(flag, "--service-cidrs") == 0 || strcmp(flag, "--allowed-cidrs") == 0)
        return addrpol_set_add_list(strcmp(flag, "--service-cidrs") == 0 ? &opts->service_cidrs : &opts->allowed_cidrs,
                                    value, flag, err, errlen);
    if (strcmp(flag, "--status-interval") == 0)
        return options_duration(flag, value, 100, 3600000, &opts->status_interval_ms, err, errlen);
    if (strcmp(flag, "--log-level") == 0) {
        int level = log_level_parse(value);
        if (level < 0) {
            text_errorf(err, errlen, "--log-level: \"%.40s\" is not one of debug, info, warn, error", value);
            return -1;
        }
        opts->log_level = level;
        return 0;
    }
    opts->sync_services_given = true;
    return options_parse_bool(flag, value, &opts->sync_services_to_local_cluster, err, errlen);
}

/* Flags that only mean something together. */
static int options_check_links(const options *opts, char *err, size_t errlen)
{
    if (opts->no_clusterlinks && opts->kubeconfig_dir == NULL) {
        text_errorf(err, errlen, "--no-clusterlinks needs --kubeconfig-dir (there would be no link at all)");
        return -1;
    }
    if (opts->trusted_kubeconfig_dir && opts->kubeconfig_dir == NULL) {
        text_errorf(err, errlen, "--trusted-kubeconfig-dir needs --kubeconfig-dir");
        return -1;
    }
    return 0;
}

/* client-go's rules: the lease outlives the renew deadline, which outlives a retry. */
static int options_check_leader(const options *opts, char *err, size_t errlen)
{
    if (opts->lease_duration_ms <= opts->renew_deadline_ms) {
        text_errorf(err, errlen, "--leader-elect-lease-duration must be longer than --leader-elect-renew-deadline");
        return -1;
    }
    if (opts->renew_deadline_ms * 10 <= opts->retry_period_ms * 12) {
        text_errorf(err, errlen,
                   "--leader-elect-renew-deadline must be longer than 1.2 x --leader-elect-retry-period");
        return -1;
    }
    return 0;
}

/* Finds flag name among the common flags (not those cmd refuses), cmd's own, and (svclink
 * itself only) klog's; *own tells which table it is in, *klog its klog index (else -1) and
 * *is_bool how its value is given. -1: unknown, -2: a common flag cmd refuses. */
static int options_find_flag(const options_command *cmd, const char *name, bool *own, int *klog, bool *is_bool)
{
    *klog = -1;
    for (size_t f = 0; cmd != NULL && f < cmd->nflags; f++) {
        if (strcmp(cmd->flags[f].name, name) == 0) {
            *own = true;
            *is_bool = cmd->flags[f].is_bool;
            return 0;
        }
    }
    for (size_t i = 0; cmd != NULL && cmd->refused != NULL && cmd->refused[i] != NULL; i++) {
        if (strcmp(cmd->refused[i], name) == 0)
            return -2;
    }
    for (size_t f = 0; f < sizeof options_flags / sizeof options_flags[0]; f++) {
        if (strcmp(options_flags[f].name, name) == 0) {
            *own = false;
            *is_bool = options_flags[f].kind == OPTIONS_FLAG_BOOL;
            return 0;
        }
    }
    /* klog's flags come from svclink (Go) Deployments; a command has no such past. */
    if (cmd == NULL && (*klog = options_klog_index(name)) >= 0) {
        *own = false;
        *is_bool = options_klog_flags[*klog].kind == OPTIONS_FLAG_BOOL;
        return 0;
    }
    return -1;
}

/* An error about the common flag `common` speaks of the spelling the user typed. */
static void options_alias_error(const char *alias, const char *common, char *err, size_t errlen)
{
    size_t n = strlen(common);
    if (err == NULL || errlen == 0 || strncmp(err, common, n) != 0)
        return;
    char rest[400];
    snprintf(rest, sizeof rest, "%s", err + n);
    text_errorf(err, errlen, "%s%s", alias, rest);
}

/* One argv entry (and maybe its value, advancing *i): 0, 1 for --help, 2 for --version, -1. */
static int options_parse_arg(int argc, char *const argv[], int *i, const options_command *cmd, options *out, char *err,
                         size_t errlen)
{
    const char *arg = argv[*i];
    const char *prog = cmd != NULL ? cmd->program : "svclink";
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        return 1;
    if (strcmp(arg, "--version") == 0)
        return 2;
    /* pflag accepts one or two dashes for long flags; so do we (and Go's flag package,
     * which k8s-svc-sync used, documents one). */
    char name[64];
    const char *body = arg[0] == '-' && arg[1] == '-' ? arg + 2 : arg[0] == '-' ? arg + 1 : NULL;
    if (body == NULL || *body == '\0') {
        text_errorf(err, errlen, "unexpected argument \"%.80s\" (%s takes only flags; see %s --help)", arg, prog, prog);
        return -1;
    }
    const char *eq = strchr(body, '=');
    size_t name_len = eq ? (size_t)(eq - body) : strlen(body);
    if (name_len + 3 > sizeof name) {
        text_errorf(err, errlen, "unknown flag \"%.40s...\" (see %s --help)", arg, prog);
        return -1;
    }
    snprintf(name, sizeof name, "--%.*s", (int)name_len, body);
    const char *alias = NULL;
    for (size_t a = 0; cmd != NULL && a < cmd->naliases; a++) {
        if (strcmp(cmd->aliases[a].name, name) == 0) {
            alias = cmd->aliases[a].name;
            snprintf(name, sizeof name, "%s", cmd->aliases[a].common);
        }
    }
    bool own = false, is_bool = false;
    int klog = -1;
    int found = options_find_flag(cmd, name, &own, &klog, &is_bool);
    if (found == -2) {
        text_errorf(err, errlen, "%s is not a flag of %s (see %s --help)", name, prog, prog);
        return -1;
    }
    if (found != 0) {
        text_errorf(err, errlen, "unknown flag \"%s\" (see %s --help)", name, prog);
        return -1;
    }
    const char *value;
    if (eq != NULL) {
        value = eq + 1;
    } else if (is_bool) {
        value = "true";
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        text_errorf(err, errlen, "%s needs a value", name);
        return -1;
    }
    if (own)
        return cmd->apply(cmd->arg, name, value, err, errlen);
    if (klog >= 0)
        return options_klog_apply(out, klog, name, arg, value, eq == NULL && is_bool, err, errlen);
    int rc = options_apply(out, name, value, err, errlen);
    if (rc != 0 && alias != NULL)
        options_alias_error(alias, name, err, errlen);
    return rc;
}

options_action options_parse_command(int argc, char *const argv[], const options_command *cmd, options *out, char *err,
                             size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->sync_interval_ms = OPTIONS_DEFAULT_SYNC_INTERVAL_MS;
    /* A command picks its own default Lease name (svclink mirror: one per link). */
    out->lease_name = cmd == NULL ? "svclink" : NULL;
    out->lease_duration_ms = OPTIONS_DEFAULT_LEASE_DURATION_MS;
    out->renew_deadline_ms = OPTIONS_DEFAULT_RENEW_DEADLINE_MS;
    out->retry_period_ms = OPTIONS_DEFAULT_RETRY_PERIOD_MS;
    out->log_level = LOG_INFO;
    out->status_interval_ms = OPTIONS_DEFAULT_STATUS_INTERVAL_MS;
    out->max_services_per_link = OPTIONS_DEFAULT_MAX_SERVICES_PER_LINK;
    out->max_endpoints_per_link = OPTIONS_DEFAULT_MAX_ENDPOINTS_PER_LINK;
    if (cmd != NULL) {
        out->leader_elect = cmd->leader_elect_default;
        out->http_address = cmd->http_address_default;
    }
    if (err != NULL && errlen > 0)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        int rc = options_parse_arg(argc, argv, &i, cmd, out, err, errlen);
        if (rc == 1)
            return OPTIONS_HELP;
        if (rc == 2)
            return OPTIONS_VERSION;
        if (rc != 0)
            return OPTIONS_ERROR;
    }
    if (options_check_leader(out, err, errlen) != 0 || options_check_links(out, err, errlen) != 0)
        return OPTIONS_ERROR;
    if (out->included_namespace_count > 1)
        qsort(out->included_namespaces, out->included_namespace_count,
              sizeof out->included_namespaces[0], options_compare_strings);
    return OPTIONS_RUN;
}

options_action options_parse(int argc, char *const argv[], options *out, char *err, size_t errlen)
{
    return options_parse_command(argc, argv, NULL, out, err, errlen);
}

/* One variable's names, separated by commas or blanks (the vmware controller split EXCLUDE
 * at commas and took NSTOWATCH whole), into *names; empty items are skipped. */
static int options_env_list(const char *var, const char *value, bool skip_kube_system, char ***names, size_t *count,
                            char *err, size_t errlen)
{
    for (const char *p = value; *p != '\0';) {
        size_t len = strcspn(p, ", \t\r\n");
        if (len > 0 && !(skip_kube_system && len == 11 && memcmp(p, "kube-system", 11) == 0) &&
            options_namespace_add(var, p, len, 0, names, count, err, errlen) != 0)
            return -1;
        p += len;
        if (*p != '\0')
            p++;
    }
    return 0;
}

int options_apply_env(options *opts, const options_env *env, char *err, size_t errlen)
{
    const struct {
        const char *var, *value;
        bool given;
        unsigned bit;
        char ***names;
        size_t *count;
    } vars[] = {
        {"NSTOWATCH", env->nstowatch, opts->included_given, OPTIONS_ENV_NSTOWATCH, &opts->included_namespaces,
         &opts->included_namespace_count},
        {"EXCLUDE", env->exclude, opts->excluded_given, OPTIONS_ENV_EXCLUDE, &opts->excluded_namespaces,
         &opts->excluded_namespace_count},
    };
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        if (vars[i].value == NULL || vars[i].value[strspn(vars[i].value, ", \t\r\n")] == '\0')
            continue; /* unset or empty: the vmware controller's default (all; none) */
        if (vars[i].given) {
            opts->env_overridden |= vars[i].bit;
            continue;
        }
        /* EXCLUDE=kube-system asks for what svclink does anyway; NSTOWATCH=kube-system cannot be
         * honoured and is refused like the flag. */
        if (options_env_list(vars[i].var, vars[i].value, vars[i].bit == OPTIONS_ENV_EXCLUDE, vars[i].names,
                             vars[i].count, err, errlen) != 0)
            return -1;
        opts->env_used |= vars[i].bit;
    }
    if (opts->included_namespace_count > 1)
        qsort(opts->included_namespaces, opts->included_namespace_count, sizeof opts->included_namespaces[0],
              options_compare_strings);
    return 0;
}

void options_free(options *opts)
{
    options_namespace_list_free(&opts->included_namespaces, &opts->included_namespace_count);
    addrpol_set_free(&opts->service_cidrs);
    addrpol_set_free(&opts->allowed_cidrs);
    options_namespace_list_free(&opts->excluded_namespaces, &opts->excluded_namespace_count);
}

void options_usage(char *buf, size_t buflen)
{
    snprintf(buf, buflen,
             "Usage: svclink [flags]\n"
             "\n"
             "Makes Services of remote Kubernetes clusters (declared as ClusterLink objects)\n"
             "reachable from this cluster by writing their endpoints as EndpointSlices.\n"
             "\n"
             "Flags:\n"
             "  --sync-interval DURATION          periodic full resync (default 30s; 1s to 24h)\n"
             "  --kubeconfig PATH                 kubeconfig of the main cluster (default: in-cluster)\n"
             "  --included-namespaces NS[,NS...]  sync only these namespaces from every cluster;\n"
             "                                    overrides each ClusterLink's includedNamespaces\n"
             "  --sync-services-to-local-cluster[=true|false]\n"
             "                                    create missing Namespaces and Services locally\n"
             "                                    (default false; links of --kubeconfig-dir: true)\n"
             "  --excluded-namespaces NS[,NS...]  never sync these namespaces from any cluster\n"
             "  --kubeconfig-dir DIR              one link per kubeconfig file in DIR, named after\n"
             "                                    the file; changes are picked up within 2s\n"
             "  --trusted-kubeconfig-dir          read those files as trusted (exec, file paths)\n"
             "  --no-clusterlinks                 do not watch ClusterLinks (no CRD needed)\n"
             "  --leader-elect[=true|false]       elect one writer among replicas on a Lease (default false)\n"
             "  --leader-elect-namespace NS       the Lease's namespace (default: the pod's, else cloudpilot)\n"
             "  --leader-elect-name NAME          the Lease's name (default svclink)\n"
             "  --leader-elect-identity ID        this replica's name in the Lease (default: $POD_NAME,\n"
             "                                    else the host name, plus a random suffix)\n"
             "  --leader-elect-lease-duration D   how long a silent leader keeps the Lease (default 15s)\n"
             "  --leader-elect-renew-deadline D   a leader unable to renew for D stops (default 10s)\n"
             "  --leader-elect-retry-period D     time between attempts to acquire or renew (default 2s)\n"
             "  --http-address HOST:PORT          serve /healthz, /readyz, /leader and /metrics\n"
             "                                    (default: no listener; the Deployment uses :8080)\n"
             "  --service-cidrs CIDR[,CIDR...]    the main cluster's Service ranges, never written as\n"
             "                                    endpoints (besides the ServiceCIDR objects it serves)\n"
             "  --allowed-cidrs CIDR[,CIDR...]    write only remote endpoints inside these ranges\n"
             "                                    (each link's spec.allowedCIDRs narrows further)\n"
             "  --status-interval DURATION        ClusterLink status writes for count changes alone at\n"
             "                                    most this often (default 10s; 100ms to 1h)\n"
             "  --log-format text|json            key=value lines or JSON objects (default text)\n"
             "  --log-level LEVEL                 debug, info, warn or error (default info)\n"
             "  -v=N, --logtostderr, ... (klog)   accepted from svclink (Go) Deployments and ignored,\n"
             "                                    with a warning\n"
             "  --max-services-per-link N         Services cached per link; over it the link stops\n"
             "                                    with reason LimitExceeded (default 10000)\n"
             "  --max-endpoints-per-link N        endpoints cached per link, likewise (default 100000)\n"
             "  --version                         print the version and exit\n"
             "  -h, --help                        print this help and exit\n"
             "  check --kubeconfig FILE ...       try a ClusterLink kubeconfig (svclink check --help)\n"
             "  mirror --kubeconfig FILE ...      k8s-svc-sync's job without a CRD (svclink mirror --help)\n"
             "\n"
             "Environment (the vmware controller's; the flags win):\n"
             "  NSTOWATCH=NS[,NS...]              as --included-namespaces\n"
             "  EXCLUDE=NS[,NS...]                as --excluded-namespaces\n");
}
