/* link_dir: a directory of kubeconfig files (--kubeconfig-dir), one link per file named after
 * it; a bounded poll sees files added, changed (rotation, Secret volume swaps) and removed. */
#ifndef SVCLINK_LINK_LINK_DIR_H
#define SVCLINK_LINK_LINK_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/cluster_link.h"
#include "net/loop.h"

#define LINK_DIR_MAX_FILES 256u              /* entries looked at per scan; more are refused */
#define LINK_DIR_MAX_FILE_BYTES (1024u * 1024u) /* a kubeconfig larger than this is refused */
#define LINK_DIR_POLL_MS 2000u               /* how often the directory is looked at */

/* What a scan reports. text is only valid during the call. */
typedef struct {
    /* A file is new or its content changed: name is the link name it gives. */
    void (*upsert)(void *arg, const char *name, const char *file, const char *text, size_t len);
    /* The file that gave name is gone (or now refused). */
    void (*remove)(void *arg, const char *name);
    void *arg;
} link_dir_handlers;

typedef struct link_dir link_dir;

/* dir is copied. NULL when out of memory. The caller frees with link_dir_free. */
link_dir *link_dir_new(const char *dir, const link_dir_handlers *h);
void link_dir_free(link_dir *d);

/* Looks at the directory once: upserts for new and changed files, removes for vanished
 * ones. Refused files (bad name, too big, not a regular file, a name already taken) are
 * logged once until they change. 0, or -1 when the directory cannot be read (logged once
 * per failure streak; the links already known are kept). */
int link_dir_scan(link_dir *d);

/* The link name for a file name: the name without a .yaml, .yml, .kubeconfig or .conf
 * ending, lowercased, with '_' and '.' turned into '-'; it must then be a DNS label. 0, or
 * -1 with why set (a phrase for the log). Names beginning with '.' are never links (the
 * ..data and ..TIMESTAMP entries of a Secret volume). Pure. */
int link_dir_link_name(const char *file, char *out, size_t outlen, char *why, size_t whylen);

/* Runs the directory for the engine: the first scan now, then one every LINK_DIR_POLL_MS on l,
 * each file a static link of env (cluster_link_static_upsert). Links of files get createServices
 * from create_services. Returns the link_dir (owned by the caller: link_dir_free after the loop
 * ends) or NULL when out of memory. */
link_dir *link_dir_attach(const char *dir, bool trusted, bool create_services, const cluster_link_env *env, loop *l);

#endif
