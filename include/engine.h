/* engine: the svclink controller: ClusterLinks in, one remote view per link, and the
 * EndpointSlices (and, if asked, Namespaces and Services) of the main cluster kept equal to them. */
#ifndef SVCLINK_ENGINE_H
#define SVCLINK_ENGINE_H

#include "cfg.h"

/* Runs until SIGTERM or SIGINT; returns the process exit status (0 after a signal, 1
 * when the main cluster's configuration cannot be loaded). */
int engine_run(const cfg_options *opts);

#endif
