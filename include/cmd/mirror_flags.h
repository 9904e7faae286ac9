/* mirrorcfg: the command line of `svclink mirror` (k8s-svc-sync's flags) parsed and checked
 * into one struct: pure logic, unit-tested; mirror.c turns it into a link and runs the engine. */
#ifndef SVCLINK_MIRRORCFG_H
#define SVCLINK_MIRRORCFG_H

#include <stdbool.h>
#include <stddef.h>

#include "cfg.h"

#define MIRRORCFG_DEFAULT_LINK "mirror"
#define MIRRORCFG_LEASE_PREFIX "svclink-mirror-"
/* k8s-svc-sync labelled what it made KEY=VALUE-external for a --sync-label KEY=VALUE. */
#define MIRRORCFG_COMPAT_SUFFIX "-external"

typedef struct {
    /* The common flags; kubeconfig_path is required (or $KUBECONFIG), kubeconfig_context is
     * the --dst-context, included_namespaces is [src-ns] (it narrows the source's watches),
     * lease_name is --leader-elect-name or lease_name below. */
    cfg_options common;
    /* Borrowed from argv. */
    const char *src_context, *dst_context, *src_ns, *dst_ns, *sync_label;
    char *selector;          /* owned: the canonical labelSelector; NULL: every Service */
    char link_name[64];      /* --link-name, else from the source context (a DNS label) */
    char lease_name[80];     /* MIRRORCFG_LEASE_PREFIX + link name, cut to a DNS label */
    /* k8s-svc-sync's label for created Services; both "" when the selector is not KEY=VALUE
     * or the label would be invalid. */
    char compat_key[320];
    char compat_value[64];
} mirrorcfg;

/* Parses argv (argv[0] is "mirror"). kubeconfig_env is $KUBECONFIG (or NULL), used when
 * --kubeconfig is not given. *out is always initialised (mirrorcfg_free it). On CFG_ERROR,
 * err names the missing or bad flag. */
cfg_action mirrorcfg_parse(int argc, char *const argv[], const char *kubeconfig_env, mirrorcfg *out, char *err,
                           size_t errlen);
void mirrorcfg_free(mirrorcfg *m);

/* A link name (a DNS label, so also a label value and part of a Lease name) from a context
 * name: lowercased, runs of other characters made one '-', trimmed to 63 without '-' at
 * either end; MIRRORCFG_DEFAULT_LINK when nothing is left. */
void mirrorcfg_link_name(const char *context, char out[64]);

/* The --help text of svclink mirror (NUL-terminated, truncated to buflen). */
void mirrorcfg_usage(char *buf, size_t buflen);

#endif
