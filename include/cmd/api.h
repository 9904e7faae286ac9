/* api: `svclink api`, a small kubectl-like tool built on svclink's own client, for
 * operators debugging a kubeconfig and for the client's integration tests. */
#ifndef SVCLINK_CMD_API_H
#define SVCLINK_CMD_API_H

/* Runs `svclink api ...` with argv[0] == "api". Returns the process exit status:
 * 0 success, 1 the API call failed, 2 bad usage or kubeconfig. */
int api_main(int argc, char **argv);

#endif
