/* kcfg_select: resolving the context of a kubeconfig tree to its cluster and user, with the
 * document-level checks (kind, apiVersion, lists) and "not found" messages that list names. */
#ifndef SVCLINK_KUBECONFIG_KCFG_SELECT_H
#define SVCLINK_KUBECONFIG_KCFG_SELECT_H

#include "kubeconfig/kcfg_node.h"

/* Resolves context_name (NULL: current-context) in the tree of c and fills c->out with
 * the context's namespace and names and, through kcfg_cred, its cluster and user. 0, or -1
 * with c->err set; c->out is then partly filled (the caller frees it). */
int kcfg_select_resolve(const kcfg_node_ctx *c, const char *context_name);

#endif
