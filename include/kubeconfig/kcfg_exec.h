/* kcfg_exec: a trusted kubeconfig user's `exec` stanza (a client-go credential plugin) read
 * into kcfg_exec, with kubectl's rules and the few svclink cannot follow refused. */
#ifndef SVCLINK_KUBECONFIG_KCFG_EXEC_H
#define SVCLINK_KUBECONFIG_KCFG_EXEC_H

#include <stdint.h>

#include "kubeconfig/kcfg_node.h"

/* Reads the exec mapping v of the user named in where into a new *out (the caller owns it:
 * kcfg_exec_free). Fields: apiVersion (required: KCFG_EXEC_API_V1 or _V1BETA1), command
 * (required), args (a list of strings), env (a list of {name, value}; name required,
 * without '='), provideClusterInfo (a boolean), interactiveMode (Never, IfAvailable or
 * absent; Always is KCFG_ERR_UNSUPPORTED: svclink has no terminal), installHint (ignored).
 * Unknown fields are ignored, as kubectl does. The trust rules are the caller's: this is
 * only reached for a trusted kubeconfig. 0, or -1 with c->err set and *out NULL. */
int kcfg_exec_parse(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec **out);

/* Releases x and everything it owns; NULL is fine. */
void kcfg_exec_free(kcfg_exec *x);

#endif
