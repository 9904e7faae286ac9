/* kdir: polls a directory of kubeconfig files and turns each into a static link; stat
 * signatures decide when a file is read again, a content hash when its link is told. */
#include "kdir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "smap.h"
#include "txt.h"

#define KDIR_FILE_MAX 256

typedef struct {
    char file[KDIR_FILE_MAX];
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
} kdir_entry;

struct kdir {
    char *dir;
    kdir_handlers h;
    kdir_entry *entries;    /* owned */
    size_t n, cap;
    bool failing;           /* the directory could not be read last time */
    bool too_many;
};

kdir *kdir_new(const char *dir, const kdir_handlers *h)
{
    kdir *d = calloc(1, sizeof *d);
    if (d == NULL || (d->dir = strdup(dir)) == NULL) {
        free(d);
        return NULL;
    }
    d->h = *h;
    return d;
}

void kdir_free(kdir *d)
{
    if (d == NULL)
        return;
    free(d->entries);
    free(d->dir);
    free(d);
}

static bool kdir_ends_with(const char *s, size_t len, const char *suffix, size_t *stem)
{
    size_t n = strlen(suffix);
    if (len <= n || strcmp(s + len - n, suffix) != 0)
        return false;
    *stem = len - n;
    return true;
}

int kdir_link_name(const char *file, char *out, size_t outlen, char *why, size_t whylen)
{
    static const char *const endings[] = {".yaml", ".yml", ".kubeconfig", ".conf"};
    size_t len = strlen(file);
    if (len == 0 || file[0] == '.') {
        txt_errorf(why, whylen, "hidden file");
        return -1;
    }
    for (size_t i = 0; i < sizeof endings / sizeof endings[0]; i++) {
        if (kdir_ends_with(file, len, endings[i], &len))
            break;
    }
    if (len > 63 || len >= outlen) {
        txt_errorf(why, whylen, "the link name would be longer than 63 characters");
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
    if (!cfg_is_dns_label(out, len)) {
        txt_errorf(why, whylen, "\"%s\" is not a DNS label (letters, digits and '-', not at the ends)", out);
        out[0] = '\0';
        return -1;
    }
    return 0;
}

static kdir_entry *kdir_entry_get(kdir *d, const char *file)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->entries[i].file, file) == 0)
            return &d->entries[i];
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        kdir_entry *grown = realloc(d->entries, cap * sizeof *grown);
        if (grown == NULL)
            return NULL;
        d->entries = grown;
        d->cap = cap;
    }
    kdir_entry *e = &d->entries[d->n++];
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", file);
    return e;
}

static bool kdir_name_taken(const kdir *d, const kdir_entry *self, const char *name, const char **by);

static void kdir_unlive(kdir *d, kdir_entry *e)
{
    const char *by = NULL;
    /* A file earlier by name that took the link name over keeps the link. */
    if (e->live && !kdir_name_taken(d, e, e->name, &by))
        d->h.remove(d->h.arg, e->name);
    e->live = false;
    e->hash = 0;
    e->have_sig = false;
}

static void kdir_refuse(kdir *d, kdir_entry *e, const char *why)
{
    if (strcmp(e->refused, why) != 0)
        log_kv(LOG_WARN, "kubeconfig file refused", "dir", d->dir, "file", e->file, "error", why, NULL);
    snprintf(e->refused, sizeof e->refused, "%s", why);
    kdir_unlive(d, e);
    e->name[0] = '\0';
}

/* Reads at most KDIR_MAX_FILE_BYTES; the buffer is owned by the caller (wipe, free). */
static int kdir_read(const char *path, char **text, size_t *len, char *why, size_t whylen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        txt_errorf(why, whylen, "cannot read it: %s", fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char *buf = malloc(KDIR_MAX_FILE_BYTES + 1);
    size_t got = 0;
    while (buf != NULL && got <= KDIR_MAX_FILE_BYTES) {
        ssize_t r = read(fd, buf + got, KDIR_MAX_FILE_BYTES + 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (buf == NULL || got > KDIR_MAX_FILE_BYTES) {
        txt_errorf(why, whylen, buf == NULL ? "out of memory" : "larger than %u bytes", KDIR_MAX_FILE_BYTES);
        if (buf != NULL)
            txt_wipe(buf, got > KDIR_MAX_FILE_BYTES ? KDIR_MAX_FILE_BYTES + 1 : got);
        free(buf);
        return -1;
    }
    buf[got] = '\0';
    *text = buf;
    *len = got;
    return 0;
}

static bool kdir_name_taken(const kdir *d, const kdir_entry *self, const char *name, const char **by)
{
    for (size_t i = 0; i < d->n; i++) {
        const kdir_entry *o = &d->entries[i];
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
static void kdir_visit(kdir *d, kdir_entry *e)
{
    char name[64], why[160], path[4096];
    e->seen = true;
    if (kdir_link_name(e->file, name, sizeof name, why, sizeof why) != 0) {
        kdir_refuse(d, e, why);
        return;
    }
    const char *by = NULL;
    if (kdir_name_taken(d, e, name, &by)) {
        txt_errorf(why, sizeof why, "link name %s is already given by file %s", name, by);
        kdir_refuse(d, e, why);
        return;
    }
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", d->dir, e->file);
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) { /* ENOENT: removed since readdir; the next scan says so */
            txt_errorf(why, sizeof why, "cannot stat it: %s", strerror(errno));
            kdir_refuse(d, e, why);
        }
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        kdir_refuse(d, e, "not a regular file");
        return;
    }
    if (st.st_size > (off_t)KDIR_MAX_FILE_BYTES) {
        txt_errorf(why, sizeof why, "larger than %u bytes", KDIR_MAX_FILE_BYTES);
        kdir_refuse(d, e, why);
        return;
    }
    if (e->have_sig && e->live && e->dev == st.st_dev && e->ino == st.st_ino && e->size == st.st_size &&
        e->mtime.tv_sec == st.st_mtim.tv_sec && e->mtime.tv_nsec == st.st_mtim.tv_nsec)
        return;
    char *text = NULL;
    size_t len = 0;
    if (kdir_read(path, &text, &len, why, sizeof why) != 0) {
        kdir_refuse(d, e, why);
        return;
    }
    e->refused[0] = '\0';
    e->dev = st.st_dev;
    e->ino = st.st_ino;
    e->size = st.st_size;
    e->mtime = st.st_mtim;
    e->have_sig = true;
    uint64_t h = smap_fnv(SMAP_FNV_OFFSET, text, len) | 1u;
    if (!e->live || h != e->hash || strcmp(e->name, name) != 0) {
        snprintf(e->name, sizeof e->name, "%s", name);
        e->hash = h;
        e->live = true;
        d->h.upsert(d->h.arg, name, e->file, text, len);
    }
    txt_wipe(text, len);
    free(text);
}

static int kdir_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The directory's visible names, sorted; at most KDIR_MAX_FILES. Owned by the caller. */
static int kdir_list(kdir *d, char ***names, size_t *count)
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
    char **list = calloc(KDIR_MAX_FILES, sizeof *list);
    size_t n = 0;
    bool more = false;
    for (struct dirent *de; list != NULL && (de = readdir(dir)) != NULL;) {
        if (de->d_name[0] == '.' || strlen(de->d_name) >= KDIR_FILE_MAX)
            continue;
        if (n == KDIR_MAX_FILES) {
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
    qsort(list, n, sizeof *list, kdir_cmp_names);
    *names = list;
    *count = n;
    return 0;
}

int kdir_scan(kdir *d)
{
    char **names;
    size_t count;
    if (kdir_list(d, &names, &count) != 0)
        return -1;
    for (size_t i = 0; i < d->n; i++)
        d->entries[i].seen = false;
    for (size_t i = 0; i < count; i++) {
        kdir_entry *e = kdir_entry_get(d, names[i]);
        if (e != NULL)
            kdir_visit(d, e);
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
            kdir_unlive(d, &d->entries[r]);
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
    kdir *d;
    const clink_env *env;
    loop *l;
    bool trusted;
    bool create_services;
} kdir_glue;

/* One glue per process (there is one --kubeconfig-dir); it outlives the loop's timer. */
static kdir_glue kdir_the_glue;

static void kdir_on_upsert(void *arg, const char *name, const char *file, const char *text, size_t len)
{
    kdir_glue *g = arg;
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
    clink_source src = {.kubeconfig = text, .kubeconfig_len = len,
                        .trust = g->trusted ? KCFG_TRUSTED : KCFG_UNTRUSTED,
                        .base_dir = g->trusted ? g->d->dir : NULL};
    log_kv(LOG_INFO, "kubeconfig file loaded", "dir", g->d->dir, "file", file, "link", name, NULL);
    clink_static_upsert(g->env, name, &spec, &src);
}

static void kdir_on_remove(void *arg, const char *name)
{
    kdir_glue *g = arg;
    clink *lk = smap_get(g->env->links, name);
    if (lk != NULL && lk->is_static)
        clink_static_remove(lk);
}

static void kdir_on_timer(loop *l, void *arg)
{
    kdir_glue *g = arg;
    kdir_scan(g->d);
    loop_timer_add(l, KDIR_POLL_MS, kdir_on_timer, g);
}

kdir *kdir_attach(const char *dir, bool trusted, bool create_services, const clink_env *env, loop *l)
{
    kdir_glue *g = &kdir_the_glue;
    kdir_handlers h = {.upsert = kdir_on_upsert, .remove = kdir_on_remove, .arg = g};
    *g = (kdir_glue){.env = env, .l = l, .trusted = trusted, .create_services = create_services};
    g->d = kdir_new(dir, &h);
    if (g->d == NULL)
        return NULL;
    kdir_scan(g->d);
    loop_timer_add(l, KDIR_POLL_MS, kdir_on_timer, g);
    return g->d;
}
