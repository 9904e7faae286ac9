/* kerr: the messages of kubeconfig errors (kcfg_error): the one-statement failure, and
 * names shown escaped and cut so a hostile document cannot forge log lines. */
#ifndef SVCLINK_KERR_H
#define SVCLINK_KERR_H

#include "kcfg.h"
#include "txt.h"

/* Bytes of one name a message shows. */
#define KERR_NAME_SHOW 64u
#define KERR_NAME_BUF (KERR_NAME_SHOW * 4u + 4u)
#define KERR_WHERE_BUF (KERR_NAME_BUF + 32u)

/* Sets the kind and message and evaluates to -1, so each error path stays one statement. */
#define KERR_FAIL(err, k, ...) ((err)->kind = (k), txt_errorf((err)->msg, sizeof(err)->msg, __VA_ARGS__), -1)

/* KCFG_ERR_NOMEM with its message; -1. */
int kerr_nomem(kcfg_error *err);

/* A name from the document (or a path) as a message shows it: bytes outside printable
 * ASCII, quotes and backslashes escaped as \xHH, so a name cannot forge log lines or
 * break the quoting; cut after KERR_NAME_SHOW bytes. Writes into buf and returns it. */
const char *kerr_show(const char *s, char buf[KERR_NAME_BUF]);

/* "cluster \"name\"": the prefix of every message about one entry. */
void kerr_where(char where[KERR_WHERE_BUF], const char *what, const char *name);

#endif
