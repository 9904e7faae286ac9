/* kcfg_exec: the `exec` stanza of a trusted kubeconfig user: command, args, env, apiVersion,
 * interactiveMode and provideClusterInfo, checked and copied into a kcfg_exec. */
#include "kubeconfig/kcfg_exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeconfig/kcfg_err.h"
#include "kubeconfig/kcfg_file.h"

enum { EX_API, EX_COMMAND, EX_ARGS, EX_ENV, EX_CLUSTER_INFO, EX_INTERACTIVE, EX_N };
static const char *const kexec_keys[EX_N] = {
    "apiVersion", "command", "args", "env", "provideClusterInfo", "interactiveMode",
};

void kcfg_exec_free(kcfg_exec *x)
{
    if (x == NULL)
        return;
    free(x->api_version);
    free(x->command);
    for (size_t i = 0; i < x->nargs; i++)
        free(x->args[i]);
    free(x->args);
    for (size_t i = 0; i < x->nenv; i++) {
        free(x->env[i].name);
        free(x->env[i].value);
    }
    free(x->env);
    free(x);
}

/* A list field: null or absent is empty; anything but a list is an error. *n is its length. */
static int kexec_list(const kcfg_node_ctx *c, const char *where, const char *field, uint32_t v, uint32_t *n)
{
    *n = 0;
    if (kcfg_node_is_null(c, v))
        return 0;
    if (kcfg_node_node(c, v)->kind != KCFG_TREE_SEQ)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: exec: %s must be a list, found %s", where, field,
                             kcfg_node_kind_name(c, v));
    *n = kcfg_node_node(c, v)->count;
    return 0;
}

/* A string that may be empty: null and "" both give "" (as a Go string would). */
static int kexec_text(const kcfg_node_ctx *c, uint32_t v, const char *where, const char *field, char **out)
{
    const char *s;
    if (kcfg_node_string(c, v, where, field, &s) != 0)
        return -1;
    *out = strdup(s != NULL ? s : "");
    return *out == NULL ? kcfg_err_nomem(c->err) : 0;
}

static int kexec_api_version(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec *x)
{
    char shown[KCFG_ERR_NAME_BUF];
    const char *api;
    if (kcfg_node_string(c, v, where, "exec: apiVersion", &api) != 0)
        return -1;
    if (api == NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                             "%s: exec: apiVersion is not set (kubectl requires it too); use %s", where,
                             KCFG_EXEC_API_V1);
    if (strcmp(api, KCFG_EXEC_API_V1) != 0 && strcmp(api, KCFG_EXEC_API_V1BETA1) != 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_UNSUPPORTED,
                             "%s: exec: apiVersion \"%s\" is not supported; use %s or %s", where,
                             kcfg_err_show(api, shown), KCFG_EXEC_API_V1, KCFG_EXEC_API_V1BETA1);
    return kcfg_node_dup(c, api, &x->api_version);
}

/* kubectl resolves a relative command that names a directory against the kubeconfig's own
 * directory, and looks a bare name up in PATH. */
static int kexec_command(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec *x)
{
    const char *cmd;
    if (kcfg_node_string(c, v, where, "exec: command", &cmd) != 0)
        return -1;
    if (cmd == NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: exec: command is not set", where);
    if (cmd[0] != '/' && strchr(cmd, '/') != NULL)
        x->command = kcfg_file_join(c->base_dir, cmd);
    else
        x->command = strdup(cmd);
    return x->command == NULL ? kcfg_err_nomem(c->err) : 0;
}

static int kexec_interactive(const kcfg_node_ctx *c, const char *where, uint32_t v)
{
    char shown[KCFG_ERR_NAME_BUF];
    const char *mode;
    if (kcfg_node_string(c, v, where, "exec: interactiveMode", &mode) != 0)
        return -1;
    if (mode == NULL || strcmp(mode, "Never") == 0 || strcmp(mode, "IfAvailable") == 0)
        return 0;
    if (strcmp(mode, "Always") == 0)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_UNSUPPORTED,
                             "%s: exec: interactiveMode Always is not supported (svclink has no terminal to "
                             "give the plugin); use Never or IfAvailable",
                             where);
    return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID,
                         "%s: exec: interactiveMode \"%s\" is not one of Never, IfAvailable, Always", where,
                         kcfg_err_show(mode, shown));
}

static int kexec_args(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec *x)
{
    uint32_t n;
    if (kexec_list(c, where, "args", v, &n) != 0)
        return -1;
    if (n == 0)
        return 0;
    if ((x->args = calloc(n, sizeof *x->args)) == NULL)
        return kcfg_err_nomem(c->err);
    for (uint32_t i = 0; i < n; i++) {
        char field[32];
        snprintf(field, sizeof field, "exec: args[%u]", i);
        if (kexec_text(c, kcfg_node_kid(c, v, i), where, field, &x->args[i]) != 0)
            return -1;
        x->nargs++;
    }
    return 0;
}

static int kexec_env_entry(const kcfg_node_ctx *c, const char *where, uint32_t item, uint32_t i, kcfg_exec_env *e)
{
    static const char *const keys[] = {"name", "value"};
    char at[KCFG_ERR_WHERE_BUF + 32];
    uint32_t v[2];
    const char *name;
    snprintf(at, sizeof at, "%s: exec: env[%u]", where, i);
    if (kcfg_node_is_null(c, item) || kcfg_node_node(c, item)->kind != KCFG_TREE_MAP)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: expected a mapping with name and value, found %s", at,
                             kcfg_node_is_null(c, item) ? "null" : kcfg_node_kind_name(c, item));
    if (kcfg_node_fields(c, item, at, keys, 2, v) != 0 || kcfg_node_string(c, v[0], at, "name", &name) != 0)
        return -1;
    if (name == NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: name is not set", at);
    if (strchr(name, '=') != NULL)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: name must not contain '='", at);
    if ((e->name = strdup(name)) == NULL)
        return kcfg_err_nomem(c->err);
    return kexec_text(c, v[1], at, "value", &e->value);
}

static int kexec_env(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec *x)
{
    uint32_t n;
    if (kexec_list(c, where, "env", v, &n) != 0)
        return -1;
    if (n == 0)
        return 0;
    if ((x->env = calloc(n, sizeof *x->env)) == NULL)
        return kcfg_err_nomem(c->err);
    for (uint32_t i = 0; i < n; i++) {
        /* Counted first, so a half-filled entry is still freed. */
        x->nenv++;
        if (kexec_env_entry(c, where, kcfg_node_kid(c, v, i), i, &x->env[i]) != 0)
            return -1;
    }
    return 0;
}

int kcfg_exec_parse(const kcfg_node_ctx *c, const char *where, uint32_t v, kcfg_exec **out)
{
    uint32_t f[EX_N];
    char at[KCFG_ERR_WHERE_BUF + 8];
    *out = NULL;
    snprintf(at, sizeof at, "%s: exec", where);
    if (kcfg_node_node(c, v)->kind != KCFG_TREE_MAP)
        return KCFG_ERR_FAIL(c->err, KCFG_ERR_INVALID, "%s: expected a mapping, found %s", at, kcfg_node_kind_name(c, v));
    if (kcfg_node_fields(c, v, at, kexec_keys, EX_N, f) != 0)
        return -1;
    kcfg_exec *x = calloc(1, sizeof *x);
    if (x == NULL)
        return kcfg_err_nomem(c->err);
    if (kexec_api_version(c, where, f[EX_API], x) != 0 || kexec_command(c, where, f[EX_COMMAND], x) != 0 ||
        kexec_interactive(c, where, f[EX_INTERACTIVE]) != 0 || kexec_args(c, where, f[EX_ARGS], x) != 0 ||
        kexec_env(c, where, f[EX_ENV], x) != 0 ||
        kcfg_node_bool(c, f[EX_CLUSTER_INFO], at, kexec_keys[EX_CLUSTER_INFO], &x->provide_cluster_info) != 0) {
        kcfg_exec_free(x);
        return -1;
    }
    *out = x;
    return 0;
}
