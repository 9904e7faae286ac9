/* exec_auth: one cluster's exec credential: the plugin's command line and environment built
 * once from the kubeconfig, one run at a time, the result parsed, turned into a token and
 * TLS credentials, and kept while exec_cred_decide says it may be used. */
#include "kube/exec_auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/backoff.h"
#include "base/log.h"
#include "base/text.h"
#include "kube/exec_cred.h"
#include "kube/exec_plugin.h"
#include "kubeconfig/kcfg_err.h"

extern char **environ;

#define EXEC_AUTH_INFO_VAR "KUBERNETES_EXEC_INFO"

struct exec_auth {
    loop *l;
    char name[64];
    char shown[KCFG_ERR_NAME_BUF]; /* the command as messages show it */
    char *command;                 /* owned */
    char **argv;                   /* owned, NULL-terminated: command, args */
    char **env;                    /* owned "name=value" of the kubeconfig, then the info */
    size_t nenv;
    uint8_t *ca_pem;               /* the cluster's CA, for certificate credentials */
    size_t ca_len;
    bool insecure;
    char *api_version;
    exec_plugin *run;              /* the run under way, or NULL */
    exec_cred_state state;
    char *token;                   /* the cached credential (secret) */
    tls_creds *creds;              /* the plugin's certificate and key, or NULL */
    uint64_t gen, runs;
    backoff retry;
    char error[EXEC_AUTH_ERR_MAX];
    void (*changed)(void *arg);
    void *changed_arg;
};

static int64_t exec_auth_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- building the command ---- */

static char *exec_auth_pair(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 2;
    char *s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s=%s", name, value);
    return s;
}

static int exec_auth_argv(exec_auth *a, const kcfg_exec *x)
{
    if ((a->argv = calloc(x->nargs + 2, sizeof *a->argv)) == NULL || (a->argv[0] = strdup(x->command)) == NULL)
        return -1;
    for (size_t i = 0; i < x->nargs; i++)
        if ((a->argv[i + 1] = strdup(x->args[i])) == NULL)
            return -1;
    return 0;
}

/* The kubeconfig's variables, a later one of a name winning (as client-go's exec.Cmd
 * does), then KUBERNETES_EXEC_INFO. */
static int exec_auth_env(exec_auth *a, const kcfg_config *cfg)
{
    const kcfg_exec *x = cfg->exec;
    if ((a->env = calloc(x->nenv + 1, sizeof *a->env)) == NULL)
        return -1;
    for (size_t i = 0; i < x->nenv; i++) {
        bool later = false;
        for (size_t j = i + 1; j < x->nenv && !later; j++)
            later = strcmp(x->env[i].name, x->env[j].name) == 0;
        if (later || strcmp(x->env[i].name, EXEC_AUTH_INFO_VAR) == 0)
            continue;
        if ((a->env[a->nenv] = exec_auth_pair(x->env[i].name, x->env[i].value)) == NULL)
            return -1;
        a->nenv++;
    }
    exec_cred_cluster cl = {.server = cfg->server, .tls_server_name = cfg->tls_server_name,
                            .insecure_skip_tls_verify = cfg->insecure_skip_tls_verify,
                            .ca_pem = cfg->ca_pem, .ca_len = cfg->ca_pem_len};
    char *info = exec_cred_info_json(x->api_version, x->provide_cluster_info ? &cl : NULL);
    if (info == NULL)
        return -1;
    a->env[a->nenv] = exec_auth_pair(EXEC_AUTH_INFO_VAR, info);
    free(info);
    if (a->env[a->nenv] == NULL)
        return -1;
    a->nenv++;
    return 0;
}

/* True when "name=..." entry e names one of ours (which then replaces it). */
static bool exec_auth_overridden(const exec_auth *a, const char *e)
{
    const char *eq = strchr(e, '=');
    size_t n = eq != NULL ? (size_t)(eq - e) : strlen(e);
    for (size_t i = 0; i < a->nenv; i++)
        if (strncmp(a->env[i], e, n) == 0 && a->env[i][n] == '=')
            return true;
    return false;
}

/* The whole environment of a run: svclink's own (read now), minus the names ours replace,
 * then ours. The strings are borrowed; free only the array. */
static const char **exec_auth_envp(const exec_auth *a)
{
    size_t n = 0;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        n++;
    const char **envp = calloc(n + a->nenv + 1, sizeof *envp);
    if (envp == NULL)
        return NULL;
    size_t k = 0;
    for (char **e = environ; e != NULL && *e != NULL; e++)
        if (!exec_auth_overridden(a, *e))
            envp[k++] = *e;
    for (size_t i = 0; i < a->nenv; i++)
        envp[k++] = a->env[i];
    return envp;
}

exec_auth *exec_auth_new(loop *l, const char *name, const kcfg_config *cfg, char *err, size_t errlen)
{
    exec_auth *a = calloc(1, sizeof *a);
    if (a == NULL || cfg->exec == NULL) {
        free(a);
        text_errorf(err, errlen, "%s: %s", name, a == NULL ? "out of memory" : "the user has no exec plugin");
        return NULL;
    }
    a->l = l;
    snprintf(a->name, sizeof a->name, "%s", name);
    kcfg_err_show(cfg->exec->command, a->shown);
    a->insecure = cfg->insecure_skip_tls_verify;
    backoff_init(&a->retry, EXEC_AUTH_RETRY_BASE_MS, EXEC_AUTH_RETRY_MAX_MS, (uint32_t)exec_auth_wall_ms() | 1u);
    bool ok = (a->command = strdup(cfg->exec->command)) != NULL &&
              (a->api_version = strdup(cfg->exec->api_version)) != NULL && exec_auth_argv(a, cfg->exec) == 0 &&
              exec_auth_env(a, cfg) == 0;
    if (ok && cfg->ca_pem != NULL) {
        ok = (a->ca_pem = malloc(cfg->ca_pem_len + 1)) != NULL;
        if (ok) {
            memcpy(a->ca_pem, cfg->ca_pem, cfg->ca_pem_len);
            a->ca_pem[cfg->ca_pem_len] = '\0';
            a->ca_len = cfg->ca_pem_len;
        }
    }
    if (!ok) {
        exec_auth_free(a);
        text_errorf(err, errlen, "%s: out of memory", name);
        return NULL;
    }
    return a;
}

static void exec_auth_drop(exec_auth *a)
{
    if (a->token != NULL) {
        text_wipe(a->token, strlen(a->token));
        free(a->token);
        a->token = NULL;
    }
    tls_creds_free(a->creds);
    a->creds = NULL;
    a->state.have = false;
}

void exec_auth_free(exec_auth *a)
{
    if (a == NULL)
        return;
    exec_plugin_cancel(a->run);
    exec_auth_drop(a);
    free(a->command);
    free(a->api_version);
    for (size_t i = 0; a->argv != NULL && a->argv[i] != NULL; i++)
        free(a->argv[i]);
    free(a->argv);
    for (size_t i = 0; i < a->nenv; i++)
        free(a->env[i]);
    free(a->env);
    free(a->ca_pem);
    free(a);
}

void exec_auth_listen(exec_auth *a, void (*changed)(void *arg), void *arg)
{
    a->changed = changed;
    a->changed_arg = arg;
}

const char *exec_auth_error(const exec_auth *a)
{
    return a->error;
}

uint64_t exec_auth_runs(const exec_auth *a)
{
    return a->runs;
}

/* ---- a run's end ---- */

static void exec_auth_failed(exec_auth *a, int64_t now)
{
    a->state.retry_at_ms = now + backoff_next(&a->retry, -1);
    log_kv(LOG_WARN, "exec credential plugin failed", "cluster", a->name, "error", a->error, NULL);
}

/* Takes the parsed credential: the token as it is, a certificate and key as TLS
 * credentials with the cluster's CA. 0, or -1 with a->error set. */
static int exec_auth_take(exec_auth *a, exec_cred *cred, int64_t now)
{
    tls_creds *creds = NULL;
    if (cred->cert_pem != NULL) {
        char why[384];
        tls_creds_input in = {.ca_pem = a->ca_pem, .ca_len = a->ca_len, .cert_pem = cred->cert_pem,
                              .cert_len = cred->cert_len, .key_pem = cred->key_pem, .key_len = cred->key_len,
                              .insecure_skip_verify = a->insecure};
        if (tls_creds_new(&in, &creds, why, sizeof why) != 0) {
            text_errorf(a->error, sizeof a->error, "exec plugin \"%s\" returned a certificate that cannot be used: %s",
                        a->shown, why);
            return -1;
        }
    }
    exec_auth_drop(a);
    a->token = cred->token;
    cred->token = NULL;
    a->creds = creds;
    a->gen++;
    a->state.have = true;
    a->state.has_expiry = cred->has_expiry;
    a->state.expiry_ms = cred->expiry_ms;
    a->state.obtained_ms = now;
    a->state.retry_at_ms = 0;
    backoff_reset(&a->retry);
    a->error[0] = '\0';
    char expires[32] = "never";
    if (cred->has_expiry) {
        time_t t = (time_t)(cred->expiry_ms / 1000);
        struct tm tm;
        if (gmtime_r(&t, &tm) != NULL)
            strftime(expires, sizeof expires, "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    log_kv(LOG_INFO, "exec credential obtained", "cluster", a->name, "kind",
           a->token != NULL ? (creds != NULL ? "token+certificate" : "token") : "certificate", "expires", expires,
           NULL);
    return 0;
}

static void exec_auth_done(void *arg, const exec_plugin_result *res)
{
    exec_auth *a = arg;
    int64_t now = exec_auth_wall_ms();
    a->run = NULL;
    a->state.running = false;
    if (res->end != EXEC_PLUGIN_EXITED || res->code != 0) {
        char how[128];
        exec_plugin_describe(res, EXEC_AUTH_TIMEOUT_MS, EXEC_CRED_MAX_OUTPUT, how, sizeof how);
        text_errorf(a->error, sizeof a->error, "exec plugin \"%s\" %s (its stderr is not shown)", a->shown, how);
        exec_auth_failed(a, now);
    } else {
        exec_cred cred;
        char why[EXEC_CRED_ERR_MAX];
        if (exec_cred_parse(res->out, res->out_len, a->api_version, &cred, why, sizeof why) != 0) {
            text_errorf(a->error, sizeof a->error, "exec plugin \"%s\": its output is not a usable ExecCredential: %s",
                        a->shown, why);
            exec_auth_failed(a, now);
        } else if (exec_auth_take(a, &cred, now) != 0) {
            exec_auth_failed(a, now);
        }
        exec_cred_free(&cred);
    }
    if (a->changed != NULL)
        a->changed(a->changed_arg);
}

/* Starts a run; 0, or -1 with the failure recorded. */
static int exec_auth_start(exec_auth *a, int64_t now)
{
    const char **envp = exec_auth_envp(a);
    int e = ENOMEM;
    exec_plugin_spec spec = {.command = a->command, .argv = (const char *const *)a->argv, .envp = envp,
                             .timeout_ms = EXEC_AUTH_TIMEOUT_MS, .max_output = EXEC_CRED_MAX_OUTPUT};
    a->runs++;
    a->run = envp != NULL ? exec_plugin_start(a->l, &spec, exec_auth_done, a, &e) : NULL;
    free(envp);
    if (a->run == NULL) {
        text_errorf(a->error, sizeof a->error, "exec plugin \"%s\" could not be started: %s", a->shown, strerror(e));
        exec_auth_failed(a, now);
        return -1;
    }
    a->state.running = true;
    return 0;
}

/* ---- asking ---- */

exec_auth_status exec_auth_get(exec_auth *a, bool waited, exec_auth_cred *out)
{
    int64_t now = exec_auth_wall_ms();
    memset(out, 0, sizeof *out);
    switch (exec_cred_decide(&a->state, now, waited)) {
    case EXEC_CRED_USE_REFRESH:
        exec_auth_start(a, now); /* a failure is only logged: the credential still works */
        break;
    case EXEC_CRED_USE:
        break;
    case EXEC_CRED_WAIT:
        return EXEC_AUTH_WAIT;
    case EXEC_CRED_RUN_WAIT:
        return exec_auth_start(a, now) == 0 ? EXEC_AUTH_WAIT : EXEC_AUTH_FAILED;
    case EXEC_CRED_FAIL:
        return EXEC_AUTH_FAILED;
    }
    out->token = a->token;
    out->creds = a->creds;
    out->gen = a->gen;
    return EXEC_AUTH_READY;
}

void exec_auth_rejected(exec_auth *a, uint64_t gen)
{
    if (gen != a->gen || !a->state.have)
        return;
    log_kv(LOG_INFO, "exec credential rejected (401): running the plugin again", "cluster", a->name, NULL);
    exec_auth_drop(a);
}
