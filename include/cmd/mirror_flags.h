/* mirror_flags: the command line of `svclink mirror` (k8s-svc-sync's flags) parsed and checked
 * into one struct: pure logic, unit-tested; mirror.c turns it into a link and runs the engine. */
#ifndef SVCLINK_CMD_MIRROR_FLAGS_H
#define SVCLINK_CMD_MIRROR_FLAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/options.h"

#define MIRROR_FLAGS_DEFAULT_LINK "mirror"
#define MIRROR_FLAGS_LEASE_PREFIX "svclink-mirror-"
/* k8s-svc-sync labelled what it made KEY=VALUE-external for a --sync-label KEY=VALUE. */
#define MIRROR_FLAGS_COMPAT_SUFFIX "-external"

typedef struct {
    /* The common flags; kubeconfig_path is required (or $KUBECONFIG), kubeconfig_context is
     * the --dst-context, included_namespaces is [src-ns] (it narrows the source's watches),
     * lease_name is --leader-elect-name or lease_name below. */
    options common;
    /* Borrowed from argv. */
    const char *src_context, *dst_context, *src_ns, *dst_ns, *sync_label;
    char *selector;          /* owned: the canonical labelSelector; NULL: every Service */
    char link_name[64];      /* --link-name, else from the source context (a DNS label) */
    char lease_name[80];     /* MIRROR_FLAGS_LEASE_PREFIX + link name, cut to a DNS label */
    /* k8s-svc-sync's label for created Services; both "" when the selector is not KEY=VALUE
     * or the label would be invalid. */
    char compat_key[320];
    char compat_value[64];
} mirror_flags;

/* Parses argv (argv[0] is "mirror"). kubeconfig_env is $KUBECONFIG (or NULL), used when
 * --kubeconfig is not given. *out is always initialised (mirror_flags_free it). On OPTIONS_ERROR,
 * err names the missing or bad flag. */
options_action mirror_flags_parse(int argc, char *const argv[], const char *kubeconfig_env, mirror_flags *out, char *err,
                           size_t errlen);
void mirror_flags_free(mirror_flags *m);

/* A link name (a DNS label, so also a label value and part of a Lease name) from a context
 * name: lowercased, runs of other characters made one '-', trimmed to 63 without '-' at
 * either end; MIRROR_FLAGS_DEFAULT_LINK when nothing is left. */
void mirror_flags_link_name(const char *context, char out[64]);

/* The --help text of svclink mirror (NUL-terminated, truncated to buflen). */
void mirror_flags_usage(char *buf, size_t buflen);

#endif
