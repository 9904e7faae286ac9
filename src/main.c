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
#include "version.h"

static void main_print_version(void)
{
    /* libyaml reports its own version, which also proves it is linked in statically. */
    printf("svclink %s (BearSSL %s, libyaml %s, jsmn %s)\n", SVCLINK_VERSION, SVCLINK_BEARSSL_VERSION,
           yaml_get_version_string(), SVCLINK_JSMN_VERSION);
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
        status = engine_run(&opts);
        break;
    }
    cfg_free(&opts);
    return status;
}
