/* log: formats a whole line in a stack buffer and writes it with one write(2), so lines
 * from one process never interleave; values are quoted/escaped as the format needs. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level log_min = LOG_INFO;
static bool log_json;

static const char *const log_names[] = {"debug", "info", "warn", "error"};

void log_setup(log_level min, bool json)
{
    log_min = min;
    log_json = json;
}

int log_level_parse(const char *text)
{
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, log_names[i]) == 0)
            return i;
    }
    return -1;
}

typedef struct {
    char buf[4096];
    size_t len;
} log_line;

static void log_put(log_line *l, const char *s, size_t n)
{
    if (l->len + n > sizeof l->buf - 2)
        n = sizeof l->buf - 2 - l->len; /* over-long lines are cut, never overflowed */
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void log_puts(log_line *l, const char *s)
{
    log_put(l, s, strlen(s));
}

/* key=value needs quotes around spaces, quotes, '=' and empty values; JSON always quotes. */
static void log_value(log_line *l, const char *v)
{
    bool quote = log_json || v[0] == '\0' || strpbrk(v, " \"=\\\t") != NULL;
    if (quote)
        log_put(l, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            log_put(l, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", *p);
            log_puts(l, esc);
        } else {
            log_put(l, (const char *)p, 1);
        }
    }
    if (quote)
        log_put(l, "\"", 1);
}

static void log_field(log_line *l, const char *key, const char *value, bool first)
{
    if (log_json) {
        log_puts(l, first ? "{\"" : ",\"");
        log_puts(l, key);
        log_puts(l, "\":");
    } else {
        if (!first)
            log_put(l, " ", 1);
        log_puts(l, key);
        log_put(l, "=", 1);
    }
    log_value(l, value != NULL ? value : "");
}

void log_kv(log_level level, const char *msg, ...)
{
    if (level < log_min)
        return;
    log_line l = {.len = 0};
    char ts[40];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    size_t n = strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof ts - n, ".%03ldZ", now.tv_nsec / 1000000);
    log_field(&l, "ts", ts, true);
    log_field(&l, "level", log_names[level], false);
    log_field(&l, "msg", msg, false);
    va_list ap;
    va_start(ap, msg);
    const char *key;
    while ((key = va_arg(ap, const char *)) != NULL) {
        const char *value = va_arg(ap, const char *);
        log_field(&l, key, value, false);
    }
    va_end(ap);
    if (log_json)
        log_put(&l, "}", 1);
    l.buf[l.len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, l.buf, l.len);
    (void)ignored;
}
