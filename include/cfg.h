/* cfg: the command line of svclink, parsed and validated into one struct.
 * Pure logic (no I/O) so every rule is unit-tested; main.c only prints what it returns. */
#ifndef SVCLINK_CFG_H
#define SVCLINK_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_DEFAULT_SYNC_INTERVAL_MS 30000u
/* client-go's leader-election defaults, which operators already know. */
#define CFG_DEFAULT_LEASE_DURATION_MS 15000u
#define CFG_DEFAULT_RENEW_DEADLINE_MS 10000u
#define CFG_DEFAULT_RETRY_PERIOD_MS 2000u

typedef enum {
    CFG_RUN = 0,     /* run the controller with the parsed settings */
    CFG_HELP,        /* --help was asked for */
    CFG_VERSION,     /* --version was asked for */
    CFG_ERROR        /* the command line is wrong; the error buffer says why */
} cfg_action;

typedef struct {
    uint64_t sync_interval_ms;
    /* Borrowed from argv (lives as long as the process); NULL means in-cluster. */
    const char *kubeconfig_path;
    /* Owned by this struct (cfg_free): sorted, de-duplicated namespace names. */
    char **included_namespaces;
    size_t included_namespace_count;
    bool sync_services_to_local_cluster;
    bool sync_services_given;  /* --sync-services-to-local-cluster was on the command line */
    /* Owned (cfg_free): --excluded-namespaces, sorted, de-duplicated; never synced from any link. */
    char **excluded_namespaces;
    size_t excluded_namespace_count;
    /* --kubeconfig-dir: one link per file (borrowed from argv; NULL: none). */
    const char *kubeconfig_dir;
    bool trusted_kubeconfig_dir; /* read those files as the operator's own (exec, file paths) */
    bool no_clusterlinks;        /* do not watch ClusterLinks (no CRD needed) */
    /* Leader election on a coordination.k8s.io/v1 Lease. Strings borrowed from argv;
     * NULL namespace/identity are resolved at run time (pod namespace, POD_NAME). */
    bool leader_elect;
    const char *lease_namespace;
    const char *lease_name;
    const char *lease_identity;
    uint64_t lease_duration_ms;
    uint64_t renew_deadline_ms;
    uint64_t retry_period_ms;
    /* "HOST:PORT" of the health/metrics listener, borrowed from argv; NULL: none. */
    const char *http_address;
    int log_level;  /* a log_level value */
    bool log_json;
} cfg_options;

/* Parses argv[1..argc-1] into *out (always initialised, even on error). On CFG_ERROR,
 * err holds a one-line message naming the offending flag or value. */
cfg_action cfg_parse(int argc, char *const argv[], cfg_options *out, char *err, size_t errlen);

/* Releases what cfg_parse allocated; safe on a zeroed or already-freed struct. */
void cfg_free(cfg_options *opts);

/* Parses a Go-style duration ("30s", "1m30s", "1.5h", "250ms") into milliseconds.
 * Returns 0 on success, -1 when malformed, zero, or too large. */
int cfg_parse_duration_ms(const char *text, uint64_t *out_ms);

/* Splits "HOST:PORT", "[V6]:PORT" or ":PORT" (host "" means every address) into host
 * (brackets removed) and port. Returns 0, or -1 when malformed or the port is > 65535. */
int cfg_split_host_port(const char *text, char *host, size_t hostlen, uint16_t *port);

/* Adds the names of a comma-separated list to *names (owned copies, in order, without
 * repeats): each must be a valid namespace name and not kube-system, and there may be at
 * most max in all (0: no limit). flag names the option in err. 0, or -1 with err set. */
int cfg_namespace_list_add(const char *flag, const char *list, size_t max, char ***names, size_t *count, char *err,
                           size_t errlen);
/* Frees what cfg_namespace_list_add built and empties the list. */
void cfg_namespace_list_free(char ***names, size_t *count);

/* True when name is a valid Kubernetes namespace name (an RFC 1123 DNS label). */
bool cfg_is_dns_label(const char *name, size_t len);

/* Writes the --help text to buf (NUL-terminated, truncated to buflen). */
void cfg_usage(char *buf, size_t buflen);

#endif
