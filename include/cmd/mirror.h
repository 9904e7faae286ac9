/* mirror: runs `svclink mirror`: one link, with no ClusterLink object, from the source context
 * of the operator's kubeconfig into the destination (the engine's main cluster). */
#ifndef SVCLINK_CMD_MIRROR_H
#define SVCLINK_CMD_MIRROR_H

#include "cmd/mirror_flags.h"

/* How often the kubeconfig file is looked at for changes (the source side is then reloaded). */
#define MIRROR_KUBECONFIG_POLL_MS 5000u

/* Checks that both contexts of the kubeconfig can be used, then runs the engine until
 * SIGTERM or SIGINT. Returns the exit status: 2 when a context cannot be used (the message,
 * on stderr, names the flag), else what engine_run_with returns. */
int mirror_run(const mirror_flags *m);

#endif
