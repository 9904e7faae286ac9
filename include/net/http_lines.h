/* http_lines: splits the decoded body of a line-delimited HTTP stream (a watch) into
 * lines as pieces arrive, holding only the unfinished last line, within a bound. */
#ifndef SVCLINK_NET_HTTP_LINES_H
#define SVCLINK_NET_HTTP_LINES_H

#include <stddef.h>

/* The partial line between pieces. Owns buf (plain memory: stream lines are not secret). */
typedef struct {
    char *buf;
    size_t len, cap;
    size_t max;  /* the longest line accepted, without its newline */
    size_t keep; /* a buffer grown past this for one long line is released after it */
} http_lines;

typedef enum {
    HTTP_LINES_OK,
    HTTP_LINES_STOPPED,  /* the callback asked to stop: nothing more was touched */
    HTTP_LINES_TOO_LONG, /* a line passed max */
    HTTP_LINES_NOMEM,
} http_lines_status;

/* One complete line, without "\n" or a "\r" before it; never empty. Valid only during
 * the call. Return 0 to go on, anything else to stop (the splitter is then not touched
 * again in this call, so the callback may free it). */
typedef int (*http_lines_cb)(void *arg, const char *line, size_t len);

void http_lines_init(http_lines *s, size_t max, size_t keep);
/* Forgets the partial line (a new response on the same request). */
void http_lines_reset(http_lines *s);
/* Hands every line completed by data to cb, and keeps the rest. */
http_lines_status http_lines_feed(http_lines *s, const char *data, size_t len, http_lines_cb cb, void *arg);
/* The stream ended: a last line without its newline is still a line. */
http_lines_status http_lines_finish(http_lines *s, http_lines_cb cb, void *arg);
void http_lines_free(http_lines *s);

#endif
