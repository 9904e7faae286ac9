/* main: svclink's entry point; turns the command line into an action and runs it.
 * Everything it decides comes from cfg; the version string is baked in at build time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "apicmd.h"
#include "cfg.h"
#include "check.h"
#include "engine.h"
#include "kdir.h"
#include "version.h"

static void main_print_version(void)
{
    /* libyaml reports its own version, which also proves it is linked in statically. */
    printf("svclink %s (BearSSL %s, libyaml %s, jsmn %s)\n", SVCLINK_VERSION, SVCLINK_BEARSSL_VERSION,
           yaml_get_version_string(), SVCLINK_JSMN_VERSION);
}

/* --kubeconfig-dir: its links are added when the engine's environment exists. */
typedef struct {
    const cfg_options *opts;
    kdir *dir;
} main_links;

static int main_add_links(void *arg, const clink_env *env, loop *l)
{
    main_links *ml = arg;
    const cfg_options *o = ml->opts;
    /* Peer mode (the vmware controller's shape) creates Services that exist only remotely,
     * unless the flag says otherwise. */
    bool create = o->sync_services_given ? o->sync_services_to_local_cluster : true;
    ml->dir = kdir_attach(o->kubeconfig_dir, o->trusted_kubeconfig_dir, create, env, l);
    return ml->dir != NULL ? 0 : -1;
}

static int main_run(const cfg_options *opts)
{
    if (opts->kubeconfig_dir == NULL)
        return engine_run(opts);
    main_links ml = {.opts = opts};
    engine_hooks hooks = {.no_clusterlinks = opts->no_clusterlinks, .add_links = main_add_links, .arg = &ml};
    int status = engine_run_with(opts, &hooks);
    kdir_free(ml.dir);
    return status;
}

int main(int argc, char **argv)
{
    cfg_options opts;
    char err[256];
    char usage[4096];
    int status = 0;

    if (argc > 1 && strcmp(argv[1], "api") == 0)
        return apicmd_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "check") == 0)
        return check_main(argc - 1, argv + 1);
    switch (cfg_parse(argc, argv, &opts, err, sizeof err)) {
    case CFG_HELP:
        cfg_usage(usage, sizeof usage);
        fputs(usage, stdout);
        break;
    case CFG_VERSION:
        main_print_version();
        break;
    case CFG_ERROR:
        fprintf(stderr, "svclink: %s\n", err);
        status = 2;
        break;
    case CFG_RUN:
        status = main_run(&opts);
        break;
    }
    cfg_free(&opts);
    return status;
}
