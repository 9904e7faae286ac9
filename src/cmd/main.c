/* main: svclink's entry point; turns the command line into an action and runs it.
 * Everything it decides comes from options; the version string is baked in at build time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <yaml.h>

#include "cmd/api.h"
#include "controller/options.h"
#include "cmd/check.h"
#include "controller/engine.h"
#include "base/log.h"
#include "cmd/mirror.h"
#include "cmd/mirror_flags.h"
#include "link/link_dir.h"
#include "version.h"

static void main_print_version(void)
{
    /* libyaml reports its own version, which also proves it is linked in statically. */
    printf("svclink %s (BearSSL %s, libyaml %s, jsmn %s)\n", SVCLINK_VERSION, SVCLINK_BEARSSL_VERSION,
           yaml_get_version_string(), SVCLINK_JSMN_VERSION);
}

/* A Deployment carried over from svclink (Go) may pass klog flags: they start svclink
 * but change nothing, and the log says so once per flag. */
static void main_warn_klog(const options *opts)
{
    if (opts->klog_flag_count == 0)
        return;
    log_setup((log_level)opts->log_level, opts->log_json);
    for (size_t i = 0; i < opts->klog_flag_count && i < OPTIONS_MAX_KLOG_FLAGS; i++) {
        char shown[160];
        const char *arg = opts->klog_flags[i].arg, *value = opts->klog_flags[i].value;
        if (value != NULL && strchr(arg, '=') == NULL)
            snprintf(shown, sizeof shown, "%s %s", arg, value);
        else
            snprintf(shown, sizeof shown, "%s", arg);
        log_kv(LOG_WARN, "ignoring a klog flag (from svclink (Go)): svclink logs by --log-level and --log-format",
               "flag", shown, NULL);
    }
    if (opts->klog_flag_count > OPTIONS_MAX_KLOG_FLAGS) {
        char more[32];
        snprintf(more, sizeof more, "%zu", opts->klog_flag_count - OPTIONS_MAX_KLOG_FLAGS);
        log_kv(LOG_WARN, "ignoring more klog flags", "count", more, NULL);
    }
}

/* The answer to a command line that does not run anything: help, version or a usage
 * error (exit 2); -1 when the command is to run. */
static int main_act(options_action action, const char *prog, void (*usage_fn)(char *, size_t), const char *err)
{
    char usage[4096];
    switch (action) {
    case OPTIONS_HELP:
        usage_fn(usage, sizeof usage);
        fputs(usage, stdout);
        return 0;
    case OPTIONS_VERSION:
        main_print_version();
        return 0;
    case OPTIONS_ERROR:
        fprintf(stderr, "%s: %s\n", prog, err);
        return 2;
    case OPTIONS_RUN:
        break;
    }
    return -1;
}

/* svclink mirror: k8s-svc-sync's command line. */
static int main_mirror(int argc, char **argv)
{
    mirror_flags m;
    char err[400];
    mirror_flags_env env = {.kubeconfig = getenv("KUBECONFIG"), .home = getenv("HOME"), .hostname = getenv("HOSTNAME")};
    int status = main_act(mirror_flags_parse(argc, argv, &env, &m, err, sizeof err), "svclink mirror",
                          mirror_flags_usage, err);
    if (status < 0)
        status = mirror_run(&m);
    mirror_flags_free(&m);
    return status;
}

/* --kubeconfig-dir: its links are added when the engine's environment exists. */
typedef struct {
    const options *opts;
    link_dir *dir;
} main_links;

static int main_add_links(void *arg, const cluster_link_env *env, loop *l)
{
    main_links *ml = arg;
    const options *o = ml->opts;
    /* Peer mode (the vmware controller's shape) creates Services that exist only remotely,
     * unless the flag says otherwise. */
    bool create = o->sync_services_given ? o->sync_services_to_local_cluster : true;
    ml->dir = link_dir_attach(o->kubeconfig_dir, o->trusted_kubeconfig_dir, create, env, l);
    return ml->dir != NULL ? 0 : -1;
}

static int main_run(const options *opts)
{
    if (opts->kubeconfig_dir == NULL)
        return engine_run(opts);
    main_links ml = {.opts = opts};
    engine_hooks hooks = {.no_clusterlinks = opts->no_clusterlinks, .add_links = main_add_links, .arg = &ml};
    int status = engine_run_with(opts, &hooks);
    link_dir_free(ml.dir);
    return status;
}

/* The vmware controller's NSTOWATCH and EXCLUDE: the log says what was taken, and what a
 * flag overrode, once each. */
static void main_note_env(const options *opts, const options_env *env)
{
    static const struct {
        unsigned bit;
        const char *var, *flag;
    } vars[] = {{OPTIONS_ENV_NSTOWATCH, "NSTOWATCH", "--included-namespaces"},
                {OPTIONS_ENV_EXCLUDE, "EXCLUDE", "--excluded-namespaces"}};
    if ((opts->env_used | opts->env_overridden) == 0)
        return;
    log_setup((log_level)opts->log_level, opts->log_json);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *value = vars[i].bit == OPTIONS_ENV_NSTOWATCH ? env->nstowatch : env->exclude;
        if (opts->env_used & vars[i].bit)
            log_kv(LOG_INFO, "reading a vmware controller variable as its flag", "variable", vars[i].var, "value",
                   value, "flag", vars[i].flag, NULL);
        else if (opts->env_overridden & vars[i].bit)
            log_kv(LOG_WARN, "a vmware controller variable is set but the flag wins", "variable", vars[i].var,
                   "value", value, "flag", vars[i].flag, NULL);
    }
}

/* The vmware controller read its kubeconfigs from this directory without being told; svclink
 * reads one only when --kubeconfig-dir names it, and says so rather than skip them unseen. */
#define MAIN_VMWARE_KUBECONFIGS "/etc/kubeconfigs"

static void main_note_kubeconfigs(const options *opts)
{
    struct stat st;
    if (opts->kubeconfig_dir != NULL || stat(MAIN_VMWARE_KUBECONFIGS, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    log_setup((log_level)opts->log_level, opts->log_json);
    log_kv(LOG_WARN, "the vmware controller's kubeconfig directory exists but is not used: pass --kubeconfig-dir "
           MAIN_VMWARE_KUBECONFIGS " to link its clusters", "directory", MAIN_VMWARE_KUBECONFIGS, NULL);
}

int main(int argc, char **argv)
{
    options opts;
    char err[256];

    if (argc > 1 && strcmp(argv[1], "api") == 0)
        return api_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return check_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "mirror") == 0)
        return main_mirror(argc - 1, argv + 1);
    options_action action = options_parse(argc, argv, &opts, err, sizeof err);
    options_env env = {.nstowatch = getenv("NSTOWATCH"), .exclude = getenv("EXCLUDE")};
    if (action == OPTIONS_RUN && options_apply_env(&opts, &env, err, sizeof err) != 0)
        action = OPTIONS_ERROR;
    int status = main_act(action, "svclink", options_usage, err);
    if (status < 0) {
        main_warn_klog(&opts);
        main_note_env(&opts, &env);
        main_note_kubeconfigs(&opts);
        status = main_run(&opts);
    }
    options_free(&opts);
    return status;
}
