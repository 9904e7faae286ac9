/* mirror_flags: the command line of `svclink mirror` (k8s-svc-sync's flags) parsed and checked
 * into one struct: pure logic, unit-tested; mirror.c turns it into a link and runs the engine. */
#ifndef SVCLINK_CMD_MIRROR_FLAGS_H
#define SVCLINK_CMD_MIRROR_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/options.h"

#define MIRROR_FLAGS_DEFAULT_LINK "mirror"
/* k8s-svc-sync's defaults, taken when a flag is not given (its README's table). */
#define MIRROR_FLAGS_DEFAULT_SRC_CONTEXT "local-cluster"
#define MIRROR_FLAGS_DEFAULT_DST_CONTEXT "external-cluster"
#define MIRROR_FLAGS_DEFAULT_SRC_NS "default"
#define MIRROR_FLAGS_DEFAULT_DST_NS "prod-test"
#define MIRROR_FLAGS_DEFAULT_SYNC_LABEL "sync=true"
#define MIRROR_FLAGS_DEFAULT_LEASE_NS "k8s-sync"
#define MIRROR_FLAGS_DEFAULT_LEASE_NAME "k8s-svc-sync-leader"
/* k8s-svc-sync always elected a leader and served its probes on port 8080. */
#define MIRROR_FLAGS_DEFAULT_HTTP ":8080"
/* k8s-svc-sync labelled what it made KEY=VALUE-external for a --sync-label KEY=VALUE. */
#define MIRROR_FLAGS_COMPAT_SUFFIX "-external"

/* The environment the defaults come from (each NULL when unset). */
typedef struct {
    const char *kubeconfig; /* $KUBECONFIG: --kubeconfig's default; one file, not a list */
    const char *home;       /* $HOME: $HOME/.kube/config when neither of the above, as kubectl */
    const char *hostname;   /* $HOSTNAME: k8s-svc-sync's -pod-name default */
} mirror_flags_env;

typedef struct {
    /* The common flags; kubeconfig_path is --kubeconfig, $KUBECONFIG or kubeconfig_home,
     * kubeconfig_context is the --dst-context, included_namespaces is [src-ns] (it narrows the
     * source's watches), lease_namespace/name/identity k8s-svc-sync's defaults when not given. */
    options common;
    /* Borrowed from argv, or static defaults. */
    const char *src_context, *dst_context, *src_ns, *dst_ns, *sync_label;
    char *selector;          /* owned: the canonical labelSelector; NULL: every Service */
    char *kubeconfig_home;   /* owned: $HOME/.kube/config when that is the kubeconfig */
    char link_name[64];      /* --link-name, else from the source context (a DNS label) */
    /* k8s-svc-sync's label for created Services; both "" when the selector is not KEY=VALUE
     * or the label would be invalid. */
    char compat_key[320];
    char compat_value[64];
} mirror_flags;

/* Parses argv (argv[0] is "mirror"): svclink's flag names and k8s-svc-sync's (one dash or
 * two, "-flag value" or "-flag=value"), with k8s-svc-sync's defaults for what is not given and
 * env for those that come from the environment (env may be NULL). *out is always initialised
 * (mirror_flags_free it). On OPTIONS_ERROR, err names the bad flag. */
options_action mirror_flags_parse(int argc, char *const argv[], const mirror_flags_env *env, mirror_flags *out,
                                  char *err, size_t errlen);
void mirror_flags_free(mirror_flags *m);

/* A link name (a DNS label, so also a label value and part of a Lease name) from a context
 * name: lowercased, runs of other characters made one '-', trimmed to 63 without '-' at
 * either end; MIRROR_FLAGS_DEFAULT_LINK when nothing is left. */
void mirror_flags_link_name(const char *context, char out[64]);

/* The --help text of svclink mirror (NUL-terminated, truncated to buflen). */
void mirror_flags_usage(char *buf, size_t buflen);

#endif
