/* exec_auth: the credential of a cluster whose trusted kubeconfig user is an exec plugin:
 * runs the plugin (exec_plugin) when there is no usable credential, caches what it returns
 * until shortly before its expiry or until the server answers 401 (exec_cred_decide). */
#ifndef SVCLINK_KUBE_EXEC_AUTH_H
#define SVCLINK_KUBE_EXEC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_types.h"
#include "net/loop.h"
#include "net/tls.h"

/* A plugin run is killed after EXEC_AUTH_TIMEOUT_MS; its stdout may hold EXEC_CRED_MAX_OUTPUT
 * bytes. After a failed run the next one waits a backoff from EXEC_AUTH_RETRY_BASE_MS,
 * doubling up to EXEC_AUTH_RETRY_MAX_MS (with jitter); a success resets it. */
#define EXEC_AUTH_TIMEOUT_MS 30000u
#define EXEC_AUTH_RETRY_BASE_MS 1000u
#define EXEC_AUTH_RETRY_MAX_MS 30000u
#define EXEC_AUTH_ERR_MAX 512u

typedef struct exec_auth exec_auth;

/* For cfg's user, whose exec must be set. name labels the log lines. The plugin is first
 * run when a credential is first asked for. NULL with err set when out of memory. The
 * caller owns the result (exec_auth_free); cfg may be freed once this returns. */
exec_auth *exec_auth_new(loop *l, const char *name, const kcfg_config *cfg, char *err, size_t errlen);
/* Kills a run under way and releases everything (secrets wiped). NULL is fine. */
void exec_auth_free(exec_auth *a);

/* changed(arg) runs on the loop after every run, ok or not, so requests that waited can
 * go on; it must not free a. One listener; NULL removes it. */
void exec_auth_listen(exec_auth *a, void (*changed)(void *arg), void *arg);

typedef enum {
    EXEC_AUTH_READY = 0, /* *out holds the credential to send */
    EXEC_AUTH_WAIT,      /* a run is under way: wait for the listener */
    EXEC_AUTH_FAILED     /* no credential: exec_auth_error says why */
} exec_auth_status;

typedef struct {
    const char *token; /* NULL: none; valid until control returns to the loop */
    tls_creds *creds;  /* NULL: no client certificate from the plugin (use the cluster's
                          own); else borrowed: tls_creds_ref to keep it */
    uint64_t gen;      /* which credential this is, for exec_auth_rejected */
} exec_auth_cred;

/* The credential to send a request with now; may start a run (never blocking). waited:
 * this request already waited for a run (see exec_cred_decide). */
exec_auth_status exec_auth_get(exec_auth *a, bool waited, exec_auth_cred *out);
/* Why the last run failed: "exec plugin \"cmd\" exited with status 1 (its stderr is not
 * shown)"; "" when it did not. Never holds the plugin's output or stderr. */
const char *exec_auth_error(const exec_auth *a);
/* The server answered 401 to a request sent with credential gen: unless a newer one has
 * arrived since, it is dropped and the next request runs the plugin again. */
void exec_auth_rejected(exec_auth *a, uint64_t gen);

/* Runs started so far, for metrics and tests. */
uint64_t exec_auth_runs(const exec_auth *a);

#endif
