/* kcfg_err: the messages of kubeconfig errors (kcfg_error): the one-statement failure, and
 * names shown escaped and cut so a hostile document cannot forge log lines. */
#ifndef SVCLINK_KUBECONFIG_KCFG_ERR_H
#define SVCLINK_KUBECONFIG_KCFG_ERR_H

#include "kubeconfig/kcfg_types.h"
#include "base/text.h"

/* Bytes of one name a message shows. */
#define KCFG_ERR_NAME_SHOW 64u
#define KCFG_ERR_NAME_BUF (KCFG_ERR_NAME_SHOW * 4u + 4u)
#define KCFG_ERR_WHERE_BUF (KCFG_ERR_NAME_BUF + 32u)

/* Sets the kind and message and evaluates to -1, so each error path stays one statement. */
#define KCFG_ERR_FAIL(err, k, ...) ((err)->kind = (k), text_errorf((err)->msg, sizeof(err)->msg, __VA_ARGS__), -1)

/* KCFG_ERR_NOMEM with its message; -1. */
int kcfg_err_nomem(kcfg_error *err);

/* A name from the document (or a path) as a message shows it: bytes outside printable
 * ASCII, quotes and backslashes escaped as \xHH, so a name cannot forge log lines or
 * break the quoting; cut after KCFG_ERR_NAME_SHOW bytes. Writes into buf and returns it. */
const char *kcfg_err_show(const char *s, char buf[KCFG_ERR_NAME_BUF]);

/* "cluster \"name\"": the prefix of every message about one entry. */
void kcfg_err_where(char where[KCFG_ERR_WHERE_BUF], const char *what, const char *name);

#endif
