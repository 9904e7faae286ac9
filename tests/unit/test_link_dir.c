/* Unit tests for link_dir: link names from file names, and scans of a real temporary directory
 * (added, unchanged, rewritten, Secret-volume symlink swap, refused, duplicate, removed). */
#include "link/link_dir.h"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int name_of(const char *file, char *out)
{
    char why[160];
    return link_dir_link_name(file, out, 64, why, sizeof why);
}

UNIT_TEST(d1_link_dir_link_names)
{
    char n[64];
    CHECK(name_of("cluster-a", n) == 0);
    CHECK_STR_EQ(n, "cluster-a");
    CHECK(name_of("cluster-b.yaml", n) == 0);
    CHECK_STR_EQ(n, "cluster-b");
    CHECK(name_of("East_1.kubeconfig", n) == 0);
    CHECK_STR_EQ(n, "east-1");
    CHECK(name_of("eu.west.conf", n) == 0);
    CHECK_STR_EQ(n, "eu-west");
    CHECK(name_of("x.yml", n) == 0);
    CHECK_STR_EQ(n, "x");
    /* only one ending is taken off */
    CHECK(name_of("a.yaml.yaml", n) == 0);
    CHECK_STR_EQ(n, "a-yaml");
}

UNIT_TEST(d1_link_dir_link_names_refused)
{
    char n[64], why[160];
    CHECK(name_of("..data", n) != 0);
    CHECK(name_of(".hidden", n) != 0);
    CHECK(name_of("", n) != 0);
    CHECK(name_of("-a", n) != 0);
    CHECK(name_of("a-.yaml", n) != 0);
    CHECK(name_of(".yaml", n) != 0);
    CHECK(name_of("caf\xc3\xa9", n) != 0);
    CHECK(name_of("a b", n) != 0);
    CHECK(link_dir_link_name("with space", n, sizeof n, why, sizeof why) != 0);
    CHECK(strstr(why, "not a DNS label") != NULL);
    char longname[80];
    memset(longname, 'a', 64);
    longname[64] = '\0';
    CHECK(link_dir_link_name(longname, n, sizeof n, why, sizeof why) != 0);
    CHECK(strstr(why, "63") != NULL);
    memset(longname, 'a', 63);
    strcpy(longname + 63, ".yaml");
    CHECK(name_of(longname, n) == 0);
    CHECK(strlen(n) == 63);
}

/* What a scan reported, in order: "+name:len" and "-name". */
typedef struct {
    char log[2048];
} link_dir_rec;

static void rec_upsert(void *arg, const char *name, const char *file, const char *text, size_t len)
{
    link_dir_rec *r = arg;
    (void)file;
    (void)text;
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof r->log - n, "+%s:%zu ", name, len);
}

static void rec_remove(void *arg, const char *name)
{
    link_dir_rec *r = arg;
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof r->log - n, "-%s ", name);
}

static void put(const char *dir, const char *file, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fputs(text, f);
        fclose(f);
    }
}

static const char *scan(link_dir *d, link_dir_rec *r)
{
    r->log[0] = '\0';
    link_dir_scan(d);
    return r->log;
}

UNIT_TEST(d2_link_dir_scan_lifecycle)
{
    char dir[] = "/tmp/link_dir-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    link_dir_rec r;
    link_dir_handlers h = {rec_upsert, rec_remove, &r};
    link_dir *d = link_dir_new(dir, &h);
    CHECK(d != NULL);
    CHECK_STR_EQ(scan(d, &r), "");
    put(dir, "b.yaml", "bb");
    put(dir, "a", "a");
    CHECK_STR_EQ(scan(d, &r), "+a:1 +b:2 ");
    CHECK_STR_EQ(scan(d, &r), ""); /* nothing changed */
    put(dir, "a", "a-rotated");
    CHECK_STR_EQ(scan(d, &r), "+a:9 ");
    /* the same name from a second file: the file that gave the link keeps it */
    put(dir, "b", "other");
    CHECK_STR_EQ(scan(d, &r), "");
    CHECK_STR_EQ(scan(d, &r), "");
    char path[512];
    snprintf(path, sizeof path, "%s/b.yaml", dir);
    unlink(path);
    CHECK_STR_EQ(scan(d, &r), "-b ");
    CHECK_STR_EQ(scan(d, &r), "+b:5 "); /* now b comes from "b" */
    snprintf(path, sizeof path, "%s/b", dir);
    unlink(path);
    CHECK_STR_EQ(scan(d, &r), "-b ");
    /* a bad name is refused, a directory is not a link */
    put(dir, "Bad Name", "x");
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0700);
    CHECK_STR_EQ(scan(d, &r), "");
    rmdir(path);
    snprintf(path, sizeof path, "%s/Bad Name", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/a", dir);
    unlink(path);
    CHECK_STR_EQ(scan(d, &r), "-a ");
    link_dir_free(d);
    rmdir(dir);
}

/* A Secret volume: DIR/c -> ..data/c, ..data -> ..v1; an update swaps ..data to ..v2. */
UNIT_TEST(d2_link_dir_scan_secret_volume_swap)
{
    char dir[] = "/tmp/link_dir-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[512], q[512];
    snprintf(p, sizeof p, "%s/..v1", dir);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/..v2", dir);
    mkdir(p, 0700);
    put(dir, "..v1/c", "one");
    put(dir, "..v2/c", "second");
    snprintf(p, sizeof p, "%s/..data", dir);
    CHECK(symlink("..v1", p) == 0);
    snprintf(p, sizeof p, "%s/c", dir);
    CHECK(symlink("..data/c", p) == 0);
    link_dir_rec r;
    link_dir_handlers h = {rec_upsert, rec_remove, &r};
    link_dir *d = link_dir_new(dir, &h);
    CHECK_STR_EQ(scan(d, &r), "+c:3 ");
    snprintf(p, sizeof p, "%s/..tmp", dir);
    snprintf(q, sizeof q, "%s/..data", dir);
    CHECK(symlink("..v2", p) == 0);
    CHECK(rename(p, q) == 0);
    CHECK_STR_EQ(scan(d, &r), "+c:6 ");
    CHECK_STR_EQ(scan(d, &r), "");
    link_dir_free(d);
    const char *rm[] = {"c", "..data", "..v1/c", "..v2/c", "..v1", "..v2"};
    for (size_t i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, rm[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
    rmdir(dir);
}

UNIT_TEST(d1_link_dir_scan_too_big_and_missing_dir)
{
    char dir[] = "/tmp/link_dir-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[512];
    snprintf(p, sizeof p, "%s/big", dir);
    FILE *f = fopen(p, "w");
    if (f != NULL) {
        CHECK(fseek(f, LINK_DIR_MAX_FILE_BYTES, SEEK_SET) == 0);
        fputc('x', f);
        fclose(f);
    }
    link_dir_rec r;
    link_dir_handlers h = {rec_upsert, rec_remove, &r};
    link_dir *d = link_dir_new(dir, &h);
    CHECK_STR_EQ(scan(d, &r), "");
    unlink(p);
    rmdir(dir);
    r.log[0] = '\0';
    CHECK(link_dir_scan(d) == -1);
    CHECK_STR_EQ(r.log, "");
    link_dir_free(d);
}
