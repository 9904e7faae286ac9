/* Unit tests for exec_plugin with real child processes (/bin/sh): output collected,
 * stderr dropped, exit statuses, the deadline killing a whole process group, the output
 * bound, the environment, and a plugin that cannot start. */
#include "kube/exec_plugin.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct {
    bool done;
    exec_plugin_result res;
    char out[256];
} xp_outcome;

static void xp_done(void *arg, const exec_plugin_result *res)
{
    xp_outcome *o = arg;
    o->done = true;
    o->res = *res;
    snprintf(o->out, sizeof o->out, "%s", res->out);
    o->res.out = NULL;
}

static const char *const xp_env[] = {"PATH=/usr/bin:/bin", "XP_VAR=from-env", NULL};

/* Runs sh -c script to its end (at most 10 s of loop time): the outcome, and how long it
 * took. */
static uint64_t xp_run(const char *script, uint32_t timeout_ms, size_t max_output, xp_outcome *o)
{
    loop *l = loop_new();
    const char *const argv[] = {"sh", "-c", script, NULL};
    exec_plugin_spec spec = {.command = "/bin/sh", .argv = argv, .envp = xp_env, .timeout_ms = timeout_ms,
                             .max_output = max_output};
    memset(o, 0, sizeof *o);
    int e = 0;
    uint64_t start = loop_now_ms();
    exec_plugin *p = exec_plugin_start(l, &spec, xp_done, o, &e);
    CHECK(p != NULL);
    while (p != NULL && !o->done && loop_now_ms() - start < 10000)
        loop_run_once(l, 100);
    CHECK(o->done);
    uint64_t took = loop_now_ms() - start;
    loop_free(l);
    return took;
}

UNIT_TEST(exec_plugin_output_and_status)
{
    xp_outcome o;
    xp_run("echo SECRET-MARKER >&2; printf '%s|' \"$XP_VAR\"; cat; echo done", 5000, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_EXITED && o.res.code == 0);
    /* The environment is exactly the one given; stdin is at end-of-file; stderr is gone. */
    CHECK_STR_EQ(o.out, "from-env|done\n");
    CHECK(o.res.out_len == strlen("from-env|done\n"));
    xp_run("echo partial; exit 3", 5000, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_EXITED && o.res.code == 3);
    CHECK_STR_EQ(o.out, "partial\n");
    xp_run("kill -TERM $$", 5000, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_SIGNALED && o.res.code == SIGTERM);
    char msg[128];
    CHECK_STR_EQ(exec_plugin_describe(&o.res, 30000, 1024, msg, sizeof msg), "was ended by signal 15 (Terminated)");
    xp_run("exit 0", 5000, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_EXITED && o.res.code == 0 && o.res.out_len == 0 && o.out[0] == '\0');
    /* Lots of stderr does not fill anything up. */
    xp_run("i=0; while [ $i -lt 2000 ]; do echo 'noise noise noise noise noise noise' >&2; i=$((i+1)); done; echo ok",
           10000, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_EXITED && o.res.code == 0);
    CHECK_STR_EQ(o.out, "ok\n");
}

static bool xp_group_gone(pid_t pgid)
{
    for (int i = 0; i < 200; i++) {
        exec_plugin_reap();
        if (kill(-pgid, 0) != 0 && errno == ESRCH)
            return true;
        usleep(10000);
    }
    return false;
}

UNIT_TEST(exec_plugin_deadline_kills_the_group)
{
    xp_outcome o;
    /* The plugin and a child of its own that keeps stdout open both hang. */
    char script[200];
    char pidfile[] = "/tmp/exec-plugin-unit-XXXXXX";
    int fd = mkstemp(pidfile);
    CHECK(fd >= 0);
    close(fd);
    snprintf(script, sizeof script, "echo $$ > %s; sleep 30 & sleep 30", pidfile);
    uint64_t took = xp_run(script, 300, 1024, &o);
    CHECK(o.res.end == EXEC_PLUGIN_TIMEOUT);
    CHECK(took >= 300 && took < 3000);
    char msg[128];
    CHECK_STR_EQ(exec_plugin_describe(&o.res, 300, 1024, msg, sizeof msg), "did not finish within 300 ms and was killed");
    CHECK_STR_EQ(exec_plugin_describe(&o.res, 30000, 1024, msg, sizeof msg), "did not finish within 30 s and was killed");
    FILE *f = fopen(pidfile, "r");
    int pid = 0;
    CHECK(f != NULL && fscanf(f, "%d", &pid) == 1 && pid > 1);
    if (f != NULL)
        fclose(f);
    /* The shell led its own group; nothing of that group is left. */
    CHECK(pid > 1 && xp_group_gone((pid_t)pid));
    unlink(pidfile);
}

UNIT_TEST(exec_plugin_output_bound)
{
    xp_outcome o;
    xp_run("head -c 5000 /dev/zero | tr '\\0' a; sleep 30", 5000, 4096, &o);
    CHECK(o.res.end == EXEC_PLUGIN_TOO_LARGE);
    char msg[128];
    CHECK_STR_EQ(exec_plugin_describe(&o.res, 30000, 4096, msg, sizeof msg),
                 "wrote more than 4096 bytes to stdout and was killed");
    /* Exactly the bound is fine. */
    xp_run("head -c 4096 /dev/zero | tr '\\0' a", 5000, 4096, &o);
    CHECK(o.res.end == EXEC_PLUGIN_EXITED && o.res.code == 0 && o.res.out_len == 4096);
}

UNIT_TEST(exec_plugin_cannot_start)
{
    loop *l = loop_new();
    const char *const argv[] = {"no-such-plugin", NULL};
    exec_plugin_spec spec = {.command = "/nonexistent/no-such-plugin", .argv = argv, .envp = xp_env,
                             .timeout_ms = 1000, .max_output = 1024};
    xp_outcome o = {0};
    int e = 0;
    CHECK(exec_plugin_start(l, &spec, xp_done, &o, &e) == NULL);
    CHECK(e == ENOENT);
    spec.command = "no-such-plugin-in-path";
    e = 0;
    CHECK(exec_plugin_start(l, &spec, xp_done, &o, &e) == NULL);
    CHECK(e == ENOENT);
    CHECK(!o.done);
    loop_free(l);
}

UNIT_TEST(exec_plugin_cancel_kills)
{
    loop *l = loop_new();
    char pidfile[] = "/tmp/exec-plugin-unit-XXXXXX";
    int fd = mkstemp(pidfile);
    CHECK(fd >= 0);
    close(fd);
    char script[200];
    snprintf(script, sizeof script, "echo $$ > %s.tmp; mv %s.tmp %s; sleep 30", pidfile, pidfile, pidfile);
    unlink(pidfile);
    const char *const argv[] = {"sh", "-c", script, NULL};
    exec_plugin_spec spec = {.command = "sh", .argv = argv, .envp = xp_env, .timeout_ms = 10000, .max_output = 1024};
    xp_outcome o = {0};
    int e = 0;
    exec_plugin *p = exec_plugin_start(l, &spec, xp_done, &o, &e);
    CHECK(p != NULL);
    int pid = 0;
    for (int i = 0; i < 300 && pid == 0; i++) {
        loop_run_once(l, 10);
        FILE *f = fopen(pidfile, "r");
        if (f != NULL) {
            if (fscanf(f, "%d", &pid) != 1)
                pid = 0;
            fclose(f);
        }
    }
    CHECK(pid > 1);
    exec_plugin_cancel(p);
    CHECK(!o.done);
    CHECK(pid > 1 && xp_group_gone((pid_t)pid));
    unlink(pidfile);
    loop_free(l);
}
