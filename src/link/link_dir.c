/* link_dir: polls a directory of kubeconfig files and turns each into a static link; stat
 * signatures decide when a file is read again, a content hash when its link is told. */
#include "link/link_dir.h"
#include "base/k8sname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/strmap.h"
#include "base/text.h"

#define LINK_DIR_FILE_MAX 256

typedef struct {
    char file[LINK_DIR_FILE_MAX];
    char name[64];          /* the link it gives ("" while refused) */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    bool have_sig;
    uint64_t hash;          /* of the content last handed over */
    bool live;              /* its link exists (upsert called, no remove since) */
    bool seen;              /* in the current scan */
    char refused[160];      /* why it is refused, "" when not: logged when it changes */
} link_dir_entry;

struct link_dir {
    char *dir;
    link_dir_handlers h;
    link_dir_entry *entries;    /* owned */
    size_t n, cap;
    bool failing;           /* the directory could not be read last time */
    bool too_many;
};

link_dir *link_dir_new(const char *dir, const link_dir_handlers *h)
{
    link_dir *d = calloc(1, sizeof *d);
    if (d == NULL || (d->dir = strdup(dir)) == NULL) {
        free(d);
        return NULL;
    }
    d->h = *h;
    return d;
}

void link_dir_free(link_dir *d)
{
    if (d == NULL)
        return;
    free(d->entries);
    free(d->dir);
    free(d);
}

static bool link_dir_ends_with(const char *s, size_t len, const char *suffix, size_t *stem)
{
    size_t n = strlen(suffix);
    if (len <= n || strcmp(s + len - n, suffix) != 0)
        return false;
    *stem = len - n;
    return true;
}

int link_dir_link_name(const char *file, char *out, size_t outlen, char *why, size_t whylen)
{
    static const char *const endings[] = {".yaml", ".yml", ".kubeconfig", ".conf"};
    size_t len = strlen(file);
    if (len == 0 || file[0] == '.') {
        text_errorf(why, whylen, "hidden file");
        return -1;
    }
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
        if (link_dir_ends_with(file, len, endings[i], &len))
            break;
    }
    if (len > 63 || len >= outlen) {
        text_errorf(why, whylen, "the link name would be longer than 63 characters");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        char c = file[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == '_' || c == '.')
            c = '-';
        out[i] = c;
    }
    out[len] = '\0';
    if (!k8sname_is_dns_label(out, len)) {
        text_errorf(why, whylen, "\"%s\" is not a DNS label (letters, digits and '-', not at the ends)", out);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static link_dir_entry *link_dir_entry_get(link_dir *d, const char *file)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->entries[i].file, file) == 0)
            return &d->entries[i];
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        link_dir_entry *grown = realloc(d->entries, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        d->entries = grown;
        d->cap = cap;
    }
    link_dir_entry *e = &d->entries[d->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", file);
    return e;
}

static bool link_dir_name_taken(const link_dir *d, const link_dir_entry *self, const char *name, const char **by);

static void link_dir_unlive(link_dir *d, link_dir_entry *e)
{
    const char *by = NULL;
    /* A file earlier by name that took the link name over keeps the link. */
    if (e->live && !link_dir_name_taken(d, e, e->name, &by))
        d->h.remove(d->h.arg, e->name);
    e->live = false;
    e->hash = 0;
    e->have_sig = false;
}

static void link_dir_refuse(link_dir *d, link_dir_entry *e, const char *why)
{
    if (strcmp(e->refused, why) != 0)
        log_kv(LOG_WARN, "kubeconfig file refused", "dir", d->dir, "file", e->file, "error", why, NULL);
    snprintf(e->refused, sizeof e->refused, "%s", why);
    link_dir_unlive(d, e);
    e->name[0] = '\0';
}

/* Reads at most LINK_DIR_MAX_FILE_BYTES; the buffer is owned by the caller (wipe, free). */
static int link_dir_read(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        text_errorf(why, whylen, "cannot read it: %s", fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *buf = malloc(LINK_DIR_MAX_FILE_BYTES + 1);
    size_t got = 0;
    while (buf != NULL && got <= LINK_DIR_MAX_FILE_BYTES) {
        ssize_t r = read(fd, buf + got, LINK_DIR_MAX_FILE_BYTES + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got > LINK_DIR_MAX_FILE_BYTES) {
        text_errorf(why, whylen, buf == NULL ? "out of memory" : "larger than %u bytes", LINK_DIR_MAX_FILE_BYTES);
        if (buf != NULL)
            text_wipe(buf, got > LINK_DIR_MAX_FILE_BYTES ? LINK_DIR_MAX_FILE_BYTES + 1 : got);
        free(buf);
        return -1;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

static bool link_dir_name_taken(const link_dir *d, const link_dir_entry *self, const char *name, const char **by)
{
    for (size_t i = 0; i < d->n; i++) {
        const link_dir_entry *o = &d->entries[i];
        /* A file that already gives the link keeps it; a new file wanting it is refused. */
        if (o != self && (o->seen || o->live) && o->refused[0] == '\0' && strcmp(o->name, name) == 0) {
            *by = o->file;
            return true;
        }
    }
    return false;
}

/* One file of the directory, in name order (of two new files giving one link name, the
 * first by name gets it; a link already given by a file stays with it). */
static void link_dir_visit(link_dir *d, link_dir_entry *e)
{
    char name[64], why[160], path[4096];
    e->seen = true;
    if (link_dir_link_name(e->file, name, sizeof name, why, sizeof why) != 0) {
        link_dir_refuse(d, e, why);
        return;
    }
    const char *by = NULL;
    if (link_dir_name_taken(d, e, name, &by)) {
        text_errorf(why, sizeof why, "link name %s is already given by file %s", name, by);
        link_dir_refuse(d, e, why);
        return;
    }
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", d->dir, e->file);
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) { /* ENOENT: removed since readdir; the next scan says so */
            text_errorf(why, sizeof why, "cannot stat it: %s", strerror(errno));
            link_dir_refuse(d, e, why);
        }
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        link_dir_refuse(d, e, "not a regular file");
        return;
    }
    if (st.st_size > (off_t)LINK_DIR_MAX_FILE_BYTES) {
        text_errorf(why, sizeof why, "larger than %u bytes", LINK_DIR_MAX_FILE_BYTES);
        link_dir_refuse(d, e, why);
        return;
    }
    if (e->have_sig && e->live && e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
        e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
        return;
    char *text = NULL;
    size_t len = 0;
    if (link_dir_read(path, &text, &len, why, sizeof why) != 0) {
        link_dir_refuse(d, e, why);
        return;
    }
    e->refused[0] = '\0';
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->size = st.st_size;
    e->mtime = st.st_mtim;
    e->have_sig = true;
    uint64_t h = strmap_fnv(STRMAP_FNV_OFFSET, text, len) | 1u;
    if (!e->live || h != e->hash || strcmp(e->name, name) != 0) {
        snprintf(e->name, sizeof e->name, "%s", name);
        e->hash = h;
        e->live = true;
        d->h.upsert(d->h.arg, name, e->file, text, len);
    }
    text_wipe(text, len);
    free(text);
}

static int link_dir_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's visible names, sorted; at most LINK_DIR_MAX_FILES. Owned by the caller. */
static int link_dir_list(link_dir *d, char ***names, size_t *count)
{
    DIR *dir = opendir(d->dir);
    *names = NULL;
    *count = 0;
    if (dir == NULL) {
        if (!d->failing)
            log_kv(LOG_ERROR, "cannot read the kubeconfig directory (its links are kept)", "dir", d->dir, "error",
                   strerror(errno), NULL);
        d->failing = true;
        return -1;
    }
    d->failing = false;
    char **list = calloc(LINK_DIR_MAX_FILES, sizeof *list);
    size_t n = 0;
    bool more = false;
    for (struct dirent *de; list != NULL && (de = readdir(dir)) != NULL;) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= LINK_DIR_FILE_MAX)
            continue;
        if (n == LINK_DIR_MAX_FILES) {
            more = true;
            break;
        }
        if ((list[n] = strdup(de->d_name)) == NULL)
            break;
        n++;
    }
    closedir(dir);
    if (more && !d->too_many)
        log_kv(LOG_WARN, "more kubeconfig files than the limit: only the first by name are used", "dir", d->dir,
               NULL);
    d->too_many = more;
    if (list == NULL)
        return -1;
    qsort(list, n, sizeof *list, link_dir_cmp_names);
    *names = list;
    *count = n;
    return 0;
}

int link_dir_scan(link_dir *d)
{
    char **names;
    size_t count;
    if (link_dir_list(d, &names, &count) != 0)
        return -1;
    for (size_t i = 0; i < d->n; i++)
        d->entries[i].seen = false;
    for (size_t i = 0; i < count; i++) {
        link_dir_entry *e = link_dir_entry_get(d, names[i]);
        if (e != NULL)
            link_dir_visit(d, e);
        free(names[i]);
    }
    free(names);
    /* Vanished files: their links go, and the entries are dropped. */
    size_t w = 0;
    for (size_t r = 0; r < d->n; r++) {
        if (!d->entries[r].seen) {
            if (d->entries[r].live)
                log_kv(LOG_INFO, "kubeconfig file removed", "dir", d->dir, "file", d->entries[r].file, "link",
                       d->entries[r].name, NULL);
            link_dir_unlive(d, &d->entries[r]);
            continue;
        }
        if (w != r)
            d->entries[w] = d->entries[r];
        w++;
    }
    d->n = w;
    return 0;
}

/* ---- the engine's links ---- */

typedef struct {
    link_dir *d;
    const cluster_link_env *env;
    loop *l;
    bool trusted;
    bool create_services;
} link_dir_glue;

/* One glue per process (there is one --kubeconfig-dir); it outlives the loop's timer. */
static link_dir_glue link_dir_the_glue;

static void link_dir_on_upsert(void *arg, const char *name, const char *file, const char *text, size_t len)
{
    link_dir_glue *g = arg;
    linkspec spec;
    memset(&spec, 0, sizeof spec);
    spec.uid = strdup("");
    spec.resource_version = strdup("");
    spec.enabled = true;
    spec.stale_timeout_s = LINKSPEC_DEFAULT_STALE_TIMEOUT_S;
    spec.create_services = g->create_services ? 1 : 0;
    if (spec.uid == NULL || spec.resource_version == NULL) {
        linkspec_free(&spec);
        log_kv(LOG_ERROR, "out of memory adding a kubeconfig file's link", "file", file, "link", name, NULL);
        return;
    }
    cluster_link_source src = {.kubeconfig = text, .kubeconfig_len = len,
                        .trust = g->trusted ? KCFG_TRUSTED : KCFG_UNTRUSTED,
                        .base_dir = g->trusted ? g->d->dir : NULL};
    log_kv(LOG_INFO, "kubeconfig file loaded", "dir", g->d->dir, "file", file, "link", name, NULL);
    cluster_link_static_upsert(g->env, name, &spec, &src);
}

static void link_dir_on_remove(void *arg, const char *name)
{
    link_dir_glue *g = arg;
    cluster_link *lk = strmap_get(g->env->links, name);
    if (lk != NULL && lk->is_static)
        cluster_link_static_remove(lk);
}

static void link_dir_on_timer(loop *l, void *arg)
{
    link_dir_glue *g = arg;
    link_dir_scan(g->d);
    loop_timer_add(l, LINK_DIR_POLL_MS, link_dir_on_timer, g);
}

link_dir *link_dir_attach(const char *dir, bool trusted, bool create_services, const cluster_link_env *env, loop *l)
{
    link_dir_glue *g = &link_dir_the_glue;
    link_dir_handlers h = {.upsert = link_dir_on_upsert, .remove = link_dir_on_remove, .arg = g};
    *g = (link_dir_glue){.env = env, .l = l, .trusted = trusted, .create_services = create_services};
    g->d = link_dir_new(dir, &h);
    if (g->d == NULL)
        return NULL;
    link_dir_scan(g->d);
    loop_timer_add(l, LINK_DIR_POLL_MS, link_dir_on_timer, g);
    return g->d;
}
