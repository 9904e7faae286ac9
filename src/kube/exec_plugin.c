/* exec_plugin: one credential plugin process: spawned with posix_spawn (vfork-like, so the
 * loop pauses only for the exec itself), its pipes read from the loop, its deadline a loop
 * timer, its exit collected with waitpid(WNOHANG) on short timers. */
#include "kube/exec_plugin.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/text.h"

/* After its output ended, the exit is looked for after 1 ms, then at doubling intervals
 * up to this (within the deadline). */
#define EXEC_PLUGIN_REAP_MAX_MS 64u
#define EXEC_PLUGIN_CHUNK 4096u

struct exec_plugin {
    struct exec_plugin *next; /* in the list of children not yet reaped */
    loop *l;
    pid_t pid;
    int out_fd, err_fd;       /* -1 once at end-of-file */
    char *out;                /* stdout so far (secret: wiped before it is freed) */
    size_t out_len, out_cap, max_output;
    bool exited;
    int status;               /* waitpid's, once exited */
    loop_timer_id deadline, reap_timer;
    uint32_t reap_ms;
    exec_plugin_done_cb done;
    void *arg;
};

/* Plugins whose child has not been reaped yet, so exec_plugin_reap can match statuses. */
static exec_plugin *exec_plugin_live;

static void exec_plugin_unlist(exec_plugin *p)
{
    for (exec_plugin **i = &exec_plugin_live; *i != NULL; i = &(*i)->next)
        if (*i == p) {
            *i = p->next;
            return;
        }
}

void exec_plugin_reap(void)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (exec_plugin *p = exec_plugin_live; p != NULL; p = p->next)
            if (p->pid == pid) {
                p->exited = true;
                p->status = status;
                exec_plugin_unlist(p);
                break;
            }
    }
}

/* ---- teardown ---- */

static void exec_plugin_close_fd(exec_plugin *p, int *fd)
{
    if (*fd < 0)
        return;
    loop_fd_remove(p->l, *fd);
    close(*fd);
    *fd = -1;
}

/* Kills the whole group (the plugin's own children too) when it still runs. */
static void exec_plugin_kill(exec_plugin *p)
{
    if (p->exited)
        return;
    kill(-p->pid, SIGKILL);
    kill(p->pid, SIGKILL);
}

static void exec_plugin_free(exec_plugin *p)
{
    if (!p->exited)
        exec_plugin_unlist(p);
    exec_plugin_close_fd(p, &p->out_fd);
    exec_plugin_close_fd(p, &p->err_fd);
    if (p->deadline != 0)
        loop_timer_cancel(p->l, p->deadline);
    if (p->reap_timer != 0)
        loop_timer_cancel(p->l, p->reap_timer);
    if (p->out != NULL) {
        text_wipe(p->out, p->out_cap);
        free(p->out);
    }
    free(p);
    /* A killed child usually is gone by now; if not, a later reap collects it. */
    exec_plugin_reap();
}

void exec_plugin_cancel(exec_plugin *p)
{
    if (p == NULL)
        return;
    exec_plugin_kill(p);
    exec_plugin_free(p);
}

static void exec_plugin_finish(exec_plugin *p, exec_plugin_end end, int code)
{
    if (end != EXEC_PLUGIN_EXITED && end != EXEC_PLUGIN_SIGNALED)
        exec_plugin_kill(p);
    exec_plugin_result res = {.end = end, .code = code, .out = p->out != NULL ? p->out : "", .out_len = p->out_len};
    exec_plugin_done_cb done = p->done;
    void *arg = p->arg;
    done(arg, &res);
    exec_plugin_free(p);
}

/* ---- the exit ---- */

static void exec_plugin_check_exit(loop *l, void *arg);

/* Both pipes are at end-of-file: wait for the exit, polling, within the deadline. */
static void exec_plugin_await_exit(exec_plugin *p)
{
    if (p->out_fd >= 0 || p->err_fd >= 0)
        return;
    if (!p->exited)
        exec_plugin_reap();
    if (p->exited) {
        if (WIFEXITED(p->status))
            exec_plugin_finish(p, EXEC_PLUGIN_EXITED, WEXITSTATUS(p->status));
        else
            exec_plugin_finish(p, EXEC_PLUGIN_SIGNALED, WIFSIGNALED(p->status) ? WTERMSIG(p->status) : 0);
        return;
    }
    p->reap_ms = p->reap_ms == 0 ? 1 : (p->reap_ms * 2 > EXEC_PLUGIN_REAP_MAX_MS ? EXEC_PLUGIN_REAP_MAX_MS : p->reap_ms * 2);
    p->reap_timer = loop_timer_add(p->l, p->reap_ms, exec_plugin_check_exit, p);
    if (p->reap_timer == 0)
        exec_plugin_finish(p, EXEC_PLUGIN_FAILED, ENOMEM);
}

static void exec_plugin_check_exit(loop *l, void *arg)
{
    (void)l;
    exec_plugin *p = arg;
    p->reap_timer = 0;
    exec_plugin_await_exit(p);
}

static void exec_plugin_on_deadline(loop *l, void *arg)
{
    (void)l;
    exec_plugin *p = arg;
    p->deadline = 0;
    exec_plugin_finish(p, EXEC_PLUGIN_TIMEOUT, 0);
}

/* ---- the pipes ---- */

/* Makes room for one more chunk, without realloc (which could leave a copy of the
 * credential in freed memory). The buffer never exceeds max_output + 2 bytes: one byte
 * past the bound, so "too much" is seen, and the NUL. */
static int exec_plugin_grow(exec_plugin *p)
{
    size_t limit = p->max_output + 2, need = p->out_len + EXEC_PLUGIN_CHUNK + 1;
    if (need > limit)
        need = limit;
    if (need <= p->out_cap)
        return 0;
    size_t cap = p->out_cap ? p->out_cap : EXEC_PLUGIN_CHUNK;
    while (cap < need)
        cap *= 2;
    if (cap > limit)
        cap = limit;
    char *grown = malloc(cap);
    if (grown == NULL)
        return -1;
    if (p->out == NULL) {
        grown[0] = '\0';
    } else {
        memcpy(grown, p->out, p->out_len + 1);
        text_wipe(p->out, p->out_cap);
        free(p->out);
    }
    p->out = grown;
    p->out_cap = cap;
    return 0;
}

static void exec_plugin_on_out(loop *l, int fd, short revents, void *arg)
{
    (void)l;
    (void)fd;
    (void)revents;
    exec_plugin *p = arg;
    for (;;) {
        if (exec_plugin_grow(p) != 0) {
            exec_plugin_finish(p, EXEC_PLUGIN_FAILED, ENOMEM);
            return;
        }
        ssize_t n = read(p->out_fd, p->out + p->out_len, p->out_cap - 1 - p->out_len);
        if (n > 0) {
            p->out_len += (size_t)n;
            p->out[p->out_len] = '\0';
            if (p->out_len > p->max_output) {
                exec_plugin_finish(p, EXEC_PLUGIN_TOO_LARGE, 0);
                return;
            }
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            exec_plugin_finish(p, EXEC_PLUGIN_FAILED, errno);
            return;
        }
        exec_plugin_close_fd(p, &p->out_fd);
        exec_plugin_await_exit(p);
        return;
    }
}

/* stderr may hold secrets (plugins print tokens when debugging): read and forgotten. */
static void exec_plugin_on_err(loop *l, int fd, short revents, void *arg)
{
    (void)l;
    (void)fd;
    (void)revents;
    exec_plugin *p = arg;
    char scratch[EXEC_PLUGIN_CHUNK];
    for (;;) {
        ssize_t n = read(p->err_fd, scratch, sizeof scratch);
        if (n > 0)
            continue;
        if (n < 0 && errno == EINTR)
            continue;
        text_wipe(scratch, sizeof scratch);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        exec_plugin_close_fd(p, &p->err_fd);
        exec_plugin_await_exit(p);
        return;
    }
}

/* ---- spawning ---- */

/* A pipe with both ends close-on-exec and at 3 or above, so the child's dup2 onto 0, 1 and
 * 2 can never overwrite one of them (svclink may run with a standard descriptor closed).
 * Only the loop's thread starts processes, so setting the flag after pipe() leaves no
 * window in which another spawn could inherit the pipe. */
static int exec_plugin_pipe(int fds[2])
{
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 3) {
            if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) == 0)
                continue;
        }
        int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        int saved = errno;
        close(fds[i]);
        fds[i] = moved;
        if (moved < 0) {
            if (fds[1 - i] >= 0)
                close(fds[1 - i]);
            fds[1 - i] = -1;
            errno = saved;
            return -1;
        }
    }
    return 0;
}

static void exec_plugin_close_all(int *fds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (fds[i] >= 0) {
            close(fds[i]);
            fds[i] = -1;
        }
}

/* The attributes: own process group (to kill its children with it), empty mask, and
 * default dispositions for what svclink ignores or handles (ignored ones survive exec). */
static int exec_plugin_attrs(posix_spawnattr_t *attr)
{
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    static const int sigs[] = {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&defaults, sigs[i]);
    int rc = posix_spawnattr_init(attr);
    if (rc != 0)
        return rc;
    rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(attr, 0);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(attr, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(attr, &defaults);
    if (rc != 0)
        posix_spawnattr_destroy(attr);
    return rc;
}

/* Spawns with in[0], out[1] and err[1] as the child's 0, 1 and 2. 0 or an errno. */
static int exec_plugin_spawn(const exec_plugin_spec *spec, pid_t *pid, int in_fd, int out_fd, int err_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc != 0)
        return rc;
    rc = posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
    if (rc == 0 && (rc = exec_plugin_attrs(&attr)) == 0) {
        char *const *argv = (char *const *)(uintptr_t)spec->argv;
        char *const *envp = (char *const *)(uintptr_t)spec->envp;
        if (strchr(spec->command, '/') != NULL)
            rc = posix_spawn(pid, spec->command, &fa, &attr, argv, envp);
        else
            rc = posix_spawnp(pid, spec->command, &fa, &attr, argv, envp);
        posix_spawnattr_destroy(&attr);
    }
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

exec_plugin *exec_plugin_start(loop *l, const exec_plugin_spec *spec, exec_plugin_done_cb done, void *arg,
                               int *errno_out)
{
    /* in, out, err: [0] read end, [1] write end. */
    int fds[6] = {-1, -1, -1, -1, -1, -1};
    exec_plugin *p = calloc(1, sizeof *p);
    exec_plugin_reap();
    if (p == NULL) {
        *errno_out = ENOMEM;
        return NULL;
    }
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = exec_plugin_pipe(fds + 2 * i) != 0 ? errno : 0;
    if (rc == 0)
        rc = exec_plugin_spawn(spec, &p->pid, fds[0], fds[3], fds[5]);
    /* The child has its ends; ours of stdin closes too, so the plugin reads end-of-file. */
    exec_plugin_close_all(fds, 2);
    exec_plugin_close_all(fds + 3, 1);
    exec_plugin_close_all(fds + 5, 1);
    p->l = l;
    p->out_fd = fds[2];
    p->err_fd = fds[4];
    p->max_output = spec->max_output;
    p->done = done;
    p->arg = arg;
    if (rc != 0) {
        exec_plugin_close_all(fds + 2, 1);
        exec_plugin_close_all(fds + 4, 1);
        free(p);
        *errno_out = rc;
        return NULL;
    }
    p->next = exec_plugin_live;
    exec_plugin_live = p;
    if (fcntl(p->out_fd, F_SETFL, O_NONBLOCK) != 0 || fcntl(p->err_fd, F_SETFL, O_NONBLOCK) != 0 ||
        loop_fd_add(l, p->out_fd, POLLIN, exec_plugin_on_out, p) != 0 ||
        loop_fd_add(l, p->err_fd, POLLIN, exec_plugin_on_err, p) != 0 ||
        (p->deadline = loop_timer_add(l, spec->timeout_ms, exec_plugin_on_deadline, p)) == 0) {
        exec_plugin_cancel(p);
        *errno_out = ENOMEM;
        return NULL;
    }
    return p;
}

const char *exec_plugin_describe(const exec_plugin_result *res, uint32_t timeout_ms, size_t max_output, char *buf,
                                 size_t buflen)
{
    switch (res->end) {
    case EXEC_PLUGIN_EXITED:
        text_errorf(buf, buflen, "exited with status %d", res->code);
        break;
    case EXEC_PLUGIN_SIGNALED:
        text_errorf(buf, buflen, "was ended by signal %d (%s)", res->code, strsignal(res->code));
        break;
    case EXEC_PLUGIN_TIMEOUT:
        if (timeout_ms % 1000 == 0)
            text_errorf(buf, buflen, "did not finish within %u s and was killed", (unsigned)(timeout_ms / 1000));
        else
            text_errorf(buf, buflen, "did not finish within %u ms and was killed", (unsigned)timeout_ms);
        break;
    case EXEC_PLUGIN_TOO_LARGE:
        text_errorf(buf, buflen, "wrote more than %zu bytes to stdout and was killed", max_output);
        break;
    case EXEC_PLUGIN_FAILED:
        text_errorf(buf, buflen, "could not be read: %s", strerror(res->code));
        break;
    }
    return buf;
}
