/* Unit tests for exec_auth over real plugin runs (/bin/sh scripts): the credential cached,
 * a 401 dropping it for a new run, the environment and KUBERNETES_EXEC_INFO the plugin
 * gets, and failures that say why without the plugin's stderr. */
#include "kube/exec_auth.h"
#include "kubeconfig/kcfg.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    int changes;
} xa_watch;

static void xa_changed(void *arg)
{
    ((xa_watch *)arg)->changes++;
}

/* script written to a new temporary file, run as /bin/sh FILE by the exec of *cfg;
 * path gets the file's name (the caller unlinks it). */
static int xa_config(const char *script, char path[32], kcfg_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(path, 32, "/tmp/exec-auth-unit-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = '\0';
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    fputs(script, f);
    fclose(f);
    char *doc = unit_fmt("current-context: a\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n"
                         "clusters: [{name: c, cluster: {server: 'https://10.0.0.1:6443', insecure-skip-tls-verify: "
                         "true}}]\n"
                         "users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                         "      command: /bin/sh\n      args: ['%s']\n      provideClusterInfo: true\n"
                         "      env: [{name: XA_ONE, value: '1'}, {name: XA_ONE, value: '2'}]\n",
                         path);
    kcfg_error err;
    int rc = kcfg_parse(doc, strlen(doc), NULL, KCFG_TRUSTED, NULL, cfg, &err);
    if (rc != 0)
        fprintf(stderr, "xa_config: %s\n", err.msg);
    free(doc);
    return rc;
}

/* The fixture: a loop, and an exec_auth running script (see xa_config) that reports its
 * runs to *w. NULL when it cannot be made (a check has failed then); *path is the script
 * file to unlink afterwards ("" when none was written). */
static exec_auth *xa_open(const char *script, char path[32], loop **l, xa_watch *w)
{
    kcfg_config cfg;
    path[0] = '\0';
    *l = loop_new();
    int rc = xa_config(script, path, &cfg);
    CHECK(rc == 0);
    char err[256];
    exec_auth *a = rc == 0 ? exec_auth_new(*l, "unit", &cfg, err, sizeof err) : NULL;
    kcfg_free(&cfg);
    CHECK(a != NULL);
    if (a != NULL)
        exec_auth_listen(a, xa_changed, w);
    return a;
}

static void xa_close(exec_auth *a, loop *l, const char *path)
{
    exec_auth_free(a);
    loop_free(l);
    if (path[0] != '\0')
        unlink(path);
}

/* Asks until the answer is not WAIT (running the loop meanwhile). */
static exec_auth_status xa_get(loop *l, exec_auth *a, xa_watch *w, exec_auth_cred *out)
{
    int before = w->changes;
    exec_auth_status st = exec_auth_get(a, false, out);
    if (st != EXEC_AUTH_WAIT)
        return st;
    uint64_t start = loop_now_ms();
    while (w->changes == before && loop_now_ms() - start < 10000)
        loop_run_once(l, 100);
    return exec_auth_get(a, true, out);
}

UNIT_TEST(exec_auth_token_cache_and_401)
{
    char counter[] = "/tmp/exec-auth-unit-XXXXXX";
    int fd = mkstemp(counter);
    CHECK(fd >= 0);
    close(fd);
    /* Counts its runs, checks its environment, prints a token that expires far ahead. */
    char script[1024];
    snprintf(script, sizeof script,
             "echo run >> %s\necho SECRET-MARKER >&2\n"
             "case \"$KUBERNETES_EXEC_INFO\" in\n"
             "  *'\"interactive\":false,\"cluster\":{\"server\":\"https://10.0.0.1:6443\",\"insecure-skip-tls-verify\":true}'*) ;;\n"
             "  *) exit 7;;\nesac\n"
             "[ \"$XA_ONE\" = 2 ] || exit 8\n"
             "n=$(wc -l < %s)\n"
             "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",'\n"
             "printf '\"status\":{\"token\":\"tok-%%s\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}' $n\n",
             counter, counter);
    char path[32];
    loop *l;
    xa_watch w = {0};
    exec_auth *a = xa_open(script, path, &l, &w);
    exec_auth_cred cred;
    if (a == NULL) {
        xa_close(a, l, path);
        unlink(counter);
        return;
    }
    CHECK(xa_get(l, a, &w, &cred) == EXEC_AUTH_READY);
    CHECK(cred.token != NULL && strcmp(cred.token, "tok-1") == 0);
    CHECK(cred.creds == NULL);
    CHECK(exec_auth_runs(a) == 1);
    /* Cached: no second run. */
    uint64_t gen = cred.gen;
    CHECK(exec_auth_get(a, false, &cred) == EXEC_AUTH_READY && cred.gen == gen);
    CHECK(exec_auth_runs(a) == 1);
    /* A 401 for an older credential changes nothing; for this one, a new run. */
    exec_auth_rejected(a, gen - 1);
    CHECK(exec_auth_get(a, false, &cred) == EXEC_AUTH_READY);
    exec_auth_rejected(a, gen);
    CHECK(xa_get(l, a, &w, &cred) == EXEC_AUTH_READY);
    CHECK(cred.token != NULL && strcmp(cred.token, "tok-2") == 0 && cred.gen == gen + 1);
    CHECK(exec_auth_runs(a) == 2);
    CHECK_STR_EQ(exec_auth_error(a), "");
    xa_close(a, l, path);
    unlink(counter);
}

UNIT_TEST(exec_auth_failures_say_why_without_stderr)
{
    static const struct {
        const char *script, *says;
    } cases[] = {
        {"echo SECRET-MARKER >&2; exit 4", "exec plugin \"/bin/sh\" exited with status 4 (its stderr is not shown)"},
        {"echo SECRET-MARKER; echo SECRET-MARKER >&2",
         "exec plugin \"/bin/sh\": its output is not a usable ExecCredential: the output is not a JSON ExecCredential"},
        {"echo {}", "its output is not a usable ExecCredential: kind is not set"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[32];
        loop *l;
        xa_watch w = {0};
        exec_auth *a = xa_open(cases[i].script, path, &l, &w);
        exec_auth_cred cred;
        if (a == NULL) {
            xa_close(a, l, path);
            continue;
        }
        CHECK(xa_get(l, a, &w, &cred) == EXEC_AUTH_FAILED);
        CHECK_MSG(strstr(exec_auth_error(a), cases[i].says) != NULL, exec_auth_error(a));
        CHECK(strstr(exec_auth_error(a), "SECRET-MARKER") == NULL);
        /* Backing off: the next request fails at once, without a run. */
        CHECK(exec_auth_get(a, false, &cred) == EXEC_AUTH_FAILED);
        CHECK(exec_auth_runs(a) == 1);
        xa_close(a, l, path);
    }
}
