/* ksel: resolving the context of a kubeconfig tree to its cluster and user, with the
 * document-level checks (kind, apiVersion, lists) and "not found" messages that list names. */
#ifndef SVCLINK_KSEL_H
#define SVCLINK_KSEL_H

#include "knode.h"

/* Resolves context_name (NULL: current-context) in the tree of c and fills c->out with
 * the context's namespace and names and, through kcred, its cluster and user. 0, or -1
 * with c->err set; c->out is then partly filled (the caller frees it). */
int ksel_resolve(const kn_ctx *c, const char *context_name);

#endif
