/* exec_plugin: runs one credential plugin as a child process on the loop: posix_spawn in a
 * process group of its own, stdout read non-blocking within a bound, stderr read and thrown
 * away, killed (with its group) past a deadline, and reaped without ever blocking. */
#ifndef SVCLINK_KUBE_EXEC_PLUGIN_H
#define SVCLINK_KUBE_EXEC_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "net/loop.h"

typedef struct exec_plugin exec_plugin;

typedef enum {
    EXEC_PLUGIN_EXITED = 0, /* it exited by itself; code is its exit status */
    EXEC_PLUGIN_SIGNALED,   /* a signal we did not send ended it; code is the signal */
    EXEC_PLUGIN_TIMEOUT,    /* still running (or holding stdout) at the deadline: killed */
    EXEC_PLUGIN_TOO_LARGE,  /* more than max_output bytes on stdout: killed */
    EXEC_PLUGIN_FAILED      /* reading its output failed; code is the errno */
} exec_plugin_end;

typedef struct {
    exec_plugin_end end;
    int code;
    const char *out; /* its stdout, NUL-terminated; valid only during the callback, then
                        wiped (it holds the credential) */
    size_t out_len;
} exec_plugin_result;

typedef void (*exec_plugin_done_cb)(void *arg, const exec_plugin_result *res);

typedef struct {
    const char *command;      /* a path, or a bare name looked up in PATH */
    const char *const *argv;  /* argv[0] first, NULL-terminated */
    const char *const *envp;  /* the whole environment, NULL-terminated */
    uint32_t timeout_ms;      /* from the start to its exit and the end of its output */
    size_t max_output;        /* stdout bytes kept; one more and it is killed */
} exec_plugin_spec;

/* Starts the plugin: stdin at end-of-file, stdout and stderr to pipes, a new process
 * group, default signal dispositions and an empty signal mask. Nothing of svclink's own
 * leaks into it (every descriptor svclink opens is close-on-exec). done runs exactly once,
 * later, on the loop, unless exec_plugin_cancel comes first; the object is freed right
 * after done returns. Returns NULL with *errno_out set when it cannot start (the command
 * cannot be found or run, out of memory). */
exec_plugin *exec_plugin_start(loop *l, const exec_plugin_spec *spec, exec_plugin_done_cb done, void *arg,
                               int *errno_out);

/* Kills the plugin's process group (SIGKILL), closes its pipes and frees it: done never
 * runs. The child is reaped later (see exec_plugin_reap). NULL is fine. */
void exec_plugin_cancel(exec_plugin *p);

/* Collects every exited child (waitpid(-1, WNOHANG)): the plugins', and orphans a plugin
 * left behind when svclink is PID 1 in its container. svclink starts no other children.
 * Runs by itself whenever a plugin starts or is waiting for its exit. */
void exec_plugin_reap(void);

/* "exited with status 3", "did not finish within 30 s and was killed", ...: the end of a
 * run, for the message "exec plugin \"cmd\" <this>". Writes into buf and returns it. */
const char *exec_plugin_describe(const exec_plugin_result *res, uint32_t timeout_ms, size_t max_output, char *buf,
                                 size_t buflen);

#endif
