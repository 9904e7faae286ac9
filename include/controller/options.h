/* options: the command line of svclink, parsed and validated into one struct.
 * Pure logic (no I/O) so every rule is unit-tested; main.c only prints what it returns. */
#ifndef SVCLINK_CONTROLLER_OPTIONS_H
#define SVCLINK_CONTROLLER_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spec/addrpol.h"

#define OPTIONS_DEFAULT_SYNC_INTERVAL_MS 30000u
/* Count-only ClusterLink status changes are written at most this often (link_status_pace). */
#define OPTIONS_DEFAULT_STATUS_INTERVAL_MS 10000u
/* client-go's leader-election defaults, which operators already know. */
#define OPTIONS_DEFAULT_LEASE_DURATION_MS 15000u
#define OPTIONS_DEFAULT_RENEW_DEADLINE_MS 10000u
#define OPTIONS_DEFAULT_RETRY_PERIOD_MS 2000u
/* klog flags remembered for the start-up warning; more are accepted but not listed. */
#define OPTIONS_MAX_KLOG_FLAGS 8
/* Per-link cache budgets: room for 10,000 Services and 100,000 endpoints per remote,
 * about 10 MiB of cache per link at full budget (see docs/operations.md, "Limits and memory"). */
#define OPTIONS_DEFAULT_MAX_SERVICES_PER_LINK 10000u
#define OPTIONS_DEFAULT_MAX_ENDPOINTS_PER_LINK 100000u

typedef enum {
    OPTIONS_RUN = 0,     /* run the controller with the parsed settings */
    OPTIONS_HELP,        /* --help was asked for */
    OPTIONS_VERSION,     /* --version was asked for */
    OPTIONS_ERROR        /* the command line is wrong; the error buffer says why */
} options_action;

typedef struct {
    uint64_t sync_interval_ms;
    /* Borrowed from argv (lives as long as the process); NULL means in-cluster. */
    const char *kubeconfig_path;
    /* The context of kubeconfig_path for the main cluster (borrowed; NULL: current-context);
     * only svclink mirror sets it (its --dst-context). */
    const char *kubeconfig_context;
    /* Owned by this struct (options_free): sorted, de-duplicated namespace names. */
    char **included_namespaces;
    size_t included_namespace_count;
    bool sync_services_to_local_cluster;
    bool sync_services_given;  /* --sync-services-to-local-cluster was on the command line */
    /* Owned (options_free): --excluded-namespaces, sorted, de-duplicated; never synced from any link. */
    char **excluded_namespaces;
    size_t excluded_namespace_count;
    /* --included-namespaces / --excluded-namespaces were on the command line (they win over
     * the vmware controller's NSTOWATCH and EXCLUDE: options_apply_env). */
    bool included_given, excluded_given;
    /* OPTIONS_ENV_* bits: the variables options_apply_env took, and those a flag overrode. */
    unsigned env_used, env_overridden;
    /* --kubeconfig-dir: one link per file (borrowed from argv; NULL: none). */
    const char *kubeconfig_dir;
    bool trusted_kubeconfig_dir; /* read those files as the operator's own (exec, file paths) */
    bool no_clusterlinks;        /* do not watch ClusterLinks (no CRD needed) */
    /* Leader election on a coordination.k8s.io/v1 Lease. Strings borrowed from argv;
     * NULL namespace/identity are resolved at run time (pod namespace, POD_NAME). */
    bool leader_elect;
    const char *lease_namespace;
    const char *lease_name;     /* NULL only before a command (svclink mirror) picks one */
    const char *lease_identity;
    uint64_t lease_duration_ms;
    uint64_t renew_deadline_ms;
    uint64_t retry_period_ms;
    /* "HOST:PORT" of the health/metrics listener, borrowed from argv; NULL: none. */
    const char *http_address;
    int log_level;  /* a log_level value */
    bool log_json;
    /* klog flags a svclink (Go) Deployment may carry (-v=2, --logtostderr, ...): accepted
     * and ignored, so the old args keep working; main.c warns about each. The strings are
     * the argv entries as given (borrowed); value is NULL for a bare boolean. */
    struct {
        const char *arg;
        const char *value;
    } klog_flags[OPTIONS_MAX_KLOG_FLAGS];
    size_t klog_flag_count; /* how many were seen; at most OPTIONS_MAX_KLOG_FLAGS are listed */
    /* The address policy's global parts, owned by this struct (options_free). */
    addrpol_set service_cidrs;   /* --service-cidrs: denied besides what the API tells */
    addrpol_set allowed_cidrs;   /* --allowed-cidrs: when not empty, only endpoints inside pass */
    uint64_t status_interval_ms; /* --status-interval */
    /* Budgets of each link's cache (1..100,000,000). */
    uint64_t max_services_per_link;
    uint64_t max_endpoints_per_link;
} options;

/* Parses argv[1..argc-1] into *out (always initialised, even on error). On OPTIONS_ERROR,
 * err holds a one-line message naming the offending flag or value. */
options_action options_parse(int argc, char *const argv[], options *out, char *err, size_t errlen);

/* A command with flags of its own besides the common ones (svclink mirror). */
typedef struct {
    const char *name; /* "--src-context" */
    bool is_bool;
} options_command_flag;

/* Another spelling of a common flag (k8s-svc-sync's -pod-name for --leader-elect-identity). */
typedef struct {
    const char *name;      /* "--pod-name" */
    const char *common;    /* "--leader-elect-identity" */
} options_alias;

typedef struct {
    const char *program;               /* "svclink mirror", in messages */
    const options_command_flag *flags;
    size_t nflags;
    const options_alias *aliases;      /* errors name the spelling given */
    size_t naliases;
    /* The command's own defaults of two common flags (svclink's: false and no listener). */
    bool leader_elect_default;
    const char *http_address_default;
    const char *const *refused;        /* common flags it does not take; NULL-terminated or NULL */
    /* Applies one of its flags (value borrowed from argv): 0, or -1 with err naming it. */
    int (*apply)(void *arg, const char *flag, const char *value, char *err, size_t errlen);
    void *arg;
} options_command;

/* options_parse for a command: argv[0] is the command's name; its flags go to cmd->apply, the
 * common ones into *out, with the same syntax. lease_name is left NULL for the command. */
options_action options_parse_command(int argc, char *const argv[], const options_command *cmd, options *out, char *err,
                             size_t errlen);

/* The vmware k8s-endpoints-sync-controller's environment variables, read as defaults that
 * the flags override: NSTOWATCH the namespaces watched (--included-namespaces), EXCLUDE
 * those never replicated (--excluded-namespaces). NULL: not set. */
typedef struct {
    const char *nstowatch;
    const char *exclude;
} options_env;

#define OPTIONS_ENV_NSTOWATCH 1u
#define OPTIONS_ENV_EXCLUDE 2u

/* Applies env to opts after options_parse: a variable set and not empty fills its list
 * unless the flag was given (then its bit goes to env_overridden instead of env_used). Names
 * are separated by commas or blanks; each is checked as the flag's are, and EXCLUDE may name
 * kube-system (never synced anyway). 0, or -1 with err naming the variable. */
int options_apply_env(options *opts, const options_env *env, char *err, size_t errlen);

/* Releases what options_parse allocated; safe on a zeroed or already-freed struct. */
void options_free(options *opts);

/* Parses a Go-style duration ("30s", "1m30s", "1.5h", "250ms") into milliseconds.
 * Returns 0 on success, -1 when malformed, zero, or too large. */
int options_parse_duration_ms(const char *text, uint64_t *out_ms);

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" (host "" means every address) into host
 * (brackets removed) and port. Returns 0, or -1 when malformed or the port is > 65535. */
int options_split_host_port(const char *text, char *host, size_t hostlen, uint16_t *port);

/* Adds the names of a comma-separated list to *names (owned copies, in order, without
 * repeats): each must be a valid namespace name and not kube-system, and there may be at
 * most max in all (0: no limit). flag names the option in err. 0, or -1 with err set. */
int options_namespace_list_add(const char *flag, const char *list, size_t max, char ***names, size_t *count, char *err,
                           size_t errlen);
/* Frees what options_namespace_list_add built and empties the list. */
void options_namespace_list_free(char ***names, size_t *count);


/* True when id can be a leader-election identity: 1 to 128 printable characters, no blanks. */
bool options_identity_ok(const char *id);

/* True when flag ("--name", with '-' or '_' between words) is one klog registers. */
bool options_is_klog_flag(const char *flag);

/* Writes the --help text to buf (NUL-terminated, truncated to buflen). */
void options_usage(char *buf, size_t buflen);

#endif
