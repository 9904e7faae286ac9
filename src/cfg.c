/* cfg: parses and validates svclink's command-line flags (Go/pflag conventions:
 * --flag=value or --flag value, booleans bare or =true/false, lists comma-separated). */
#include "cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "txt.h"

/* 24 hours: a resync interval beyond that is surely a typo (e.g. "30h" meant "30s"). */
#define CFG_MAX_SYNC_INTERVAL_MS (24ull * 3600ull * 1000ull)
#define CFG_MIN_SYNC_INTERVAL_MS 1000ull

bool cfg_is_dns_label(const char *name, size_t len)
{
    if (len == 0 || len > 63)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && i != 0 && i != len - 1))
            return false;
    }
    return true;
}

/* Unit multipliers in nanoseconds; "ms" precedes "m" so the longer suffix wins. */
static const struct {
    const char *suffix;
    uint64_t ns;
} cfg_units[] = {
    {"ns", 1ull},          {"us", 1000ull},          {"\xc2\xb5s", 1000ull},
    {"ms", 1000000ull},    {"s", 1000000000ull},     {"m", 60000000000ull},
    {"h", 3600000000000ull},
};

static int cfg_match_unit(const char *p, uint64_t *ns, size_t *len)
{
    for (size_t i = 0; i < sizeof cfg_units / sizeof cfg_units[0]; i++) {
        size_t n = strlen(cfg_units[i].suffix);
        if (strncmp(p, cfg_units[i].suffix, n) == 0) {
            *ns = cfg_units[i].ns;
            *len = n;
            return 0;
        }
    }
    return -1;
}

int cfg_parse_duration_ms(const char *text, uint64_t *out_ms)
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
        if (cfg_match_unit(p, &unit_ns, &unit_len) != 0)
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

static int cfg_compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool cfg_has_namespace(const cfg_options *opts, const char *name, size_t len)
{
    for (size_t i = 0; i < opts->included_namespace_count; i++) {
        if (strlen(opts->included_namespaces[i]) == len &&
            memcmp(opts->included_namespaces[i], name, len) == 0)
            return true;
    }
    return false;
}

static int cfg_add_namespace(cfg_options *opts, const char *name, size_t len, char *err, size_t errlen)
{
    if (!cfg_is_dns_label(name, len)) {
        txt_errorf(err, errlen,
                   "--included-namespaces: \"%.*s\" is not a valid namespace name "
                   "(lowercase letters, digits and '-', at most 63 characters)",
                   (int)(len > 80 ? 80 : len), name);
        return -1;
    }
    if (len == 11 && memcmp(name, "kube-system", 11) == 0) {
        txt_errorf(err, errlen,
                   "--included-namespaces: kube-system is never synced; remove it from the list");
        return -1;
    }
    if (cfg_has_namespace(opts, name, len))
        return 0;
    char **grown = realloc(opts->included_namespaces,
                           (opts->included_namespace_count + 1) * sizeof *grown);
    if (grown == NULL) {
        txt_errorf(err, errlen, "out of memory");
        return -1;
    }
    opts->included_namespaces = grown;
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        txt_errorf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    opts->included_namespaces[opts->included_namespace_count++] = copy;
    return 0;
}

static int cfg_add_namespace_list(cfg_options *opts, const char *list, char *err, size_t errlen)
{
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        /* pflag would keep an empty item; here it is always a mistake, so say so. */
        if (len == 0) {
            txt_errorf(err, errlen, "--included-namespaces: empty namespace name in \"%s\"", list);
            return -1;
        }
        if (cfg_add_namespace(opts, p, len, err, errlen) != 0)
            return -1;
        if (comma == NULL)
            return 0;
        p = comma + 1;
    }
}

static int cfg_parse_bool(const char *flag, const char *value, bool *out, char *err, size_t errlen)
{
    if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0) {
        *out = false;
        return 0;
    }
    txt_errorf(err, errlen, "%s: \"%s\" is not a boolean (use true or false)", flag, value);
    return -1;
}

typedef enum { CFG_FLAG_STRING, CFG_FLAG_BOOL } cfg_flag_kind;

static const struct {
    const char *name;
    cfg_flag_kind kind;
} cfg_flags[] = {
    {"--sync-interval", CFG_FLAG_STRING},
    {"--kubeconfig", CFG_FLAG_STRING},
    {"--included-namespaces", CFG_FLAG_STRING},
    {"--sync-services-to-local-cluster", CFG_FLAG_BOOL},
};

static int cfg_apply(cfg_options *opts, const char *flag, const char *value, char *err, size_t errlen)
{
    if (strcmp(flag, "--sync-interval") == 0) {
        uint64_t ms;
        if (cfg_parse_duration_ms(value, &ms) != 0) {
            txt_errorf(err, errlen,
                       "--sync-interval: \"%s\" is not a duration (examples: 30s, 1m, 1m30s)", value);
            return -1;
        }
        if (ms < CFG_MIN_SYNC_INTERVAL_MS || ms > CFG_MAX_SYNC_INTERVAL_MS) {
            txt_errorf(err, errlen, "--sync-interval: %s is outside the allowed range 1s to 24h", value);
            return -1;
        }
        opts->sync_interval_ms = ms;
        return 0;
    }
    if (strcmp(flag, "--kubeconfig") == 0) {
        opts->kubeconfig_path = value[0] != '\0' ? value : NULL;
        return 0;
    }
    if (strcmp(flag, "--included-namespaces") == 0)
        return cfg_add_namespace_list(opts, value, err, errlen);
    return cfg_parse_bool(flag, value, &opts->sync_services_to_local_cluster, err, errlen);
}

cfg_action cfg_parse(int argc, char *const argv[], cfg_options *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->sync_interval_ms = CFG_DEFAULT_SYNC_INTERVAL_MS;
    if (err != NULL && errlen > 0)
        err[0] = '\0';

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
            return CFG_HELP;
        if (strcmp(arg, "--version") == 0)
            return CFG_VERSION;
        /* pflag accepts one or two dashes for long flags; so do we. */
        char name[64];
        const char *body = arg[0] == '-' && arg[1] == '-' ? arg + 2 : arg[0] == '-' ? arg + 1 : NULL;
        if (body == NULL || *body == '\0') {
            txt_errorf(err, errlen, "unexpected argument \"%s\" (svclink takes only flags; see --help)", arg);
            return CFG_ERROR;
        }
        const char *eq = strchr(body, '=');
        size_t name_len = eq ? (size_t)(eq - body) : strlen(body);
        if (name_len + 3 > sizeof name) {
            txt_errorf(err, errlen, "unknown flag \"%.40s...\" (see --help)", arg);
            return CFG_ERROR;
        }
        snprintf(name, sizeof name, "--%.*s", (int)name_len, body);

        size_t f;
        for (f = 0; f < sizeof cfg_flags / sizeof cfg_flags[0]; f++) {
            if (strcmp(cfg_flags[f].name, name) == 0)
                break;
        }
        if (f == sizeof cfg_flags / sizeof cfg_flags[0]) {
            txt_errorf(err, errlen, "unknown flag \"%s\" (see --help)", name);
            return CFG_ERROR;
        }
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (cfg_flags[f].kind == CFG_FLAG_BOOL) {
            value = "true";
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            txt_errorf(err, errlen, "%s needs a value", name);
            return CFG_ERROR;
        }
        if (cfg_apply(out, name, value, err, errlen) != 0)
            return CFG_ERROR;
    }
    if (out->included_namespace_count > 1)
        qsort(out->included_namespaces, out->included_namespace_count,
              sizeof out->included_namespaces[0], cfg_compare_strings);
    return CFG_RUN;
}

void cfg_free(cfg_options *opts)
{
    for (size_t i = 0; i < opts->included_namespace_count; i++)
        free(opts->included_namespaces[i]);
    free(opts->included_namespaces);
    opts->included_namespaces = NULL;
    opts->included_namespace_count = 0;
}

void cfg_usage(char *buf, size_t buflen)
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
             "                                    (default false)\n"
             "  --version                         print the version and exit\n"
             "  -h, --help                        print this help and exit\n"
             "  check --kubeconfig FILE ...       try a ClusterLink kubeconfig (svclink check --help)\n");
}
