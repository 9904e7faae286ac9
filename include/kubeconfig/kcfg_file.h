/* kcfg_file: reading the files of a trusted kubeconfig (CA, certificate, key, token) and
 * of the in-cluster config, within KCFG_MAX_DOC_BYTES. */
#ifndef SVCLINK_KUBECONFIG_KCFG_FILE_H
#define SVCLINK_KUBECONFIG_KCFG_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "kubeconfig/kcfg_types.h"

/* base_dir/path unless path is absolute or there is no base_dir; caller frees. NULL when
 * out of memory. */
char *kcfg_file_join(const char *base_dir, const char *path);

/* Reads a whole regular file of at most KCFG_MAX_DOC_BYTES into a NUL-terminated buffer
 * (caller frees). where (may be NULL) and what name it in messages: "where: cannot read
 * what \"path\": why". 0, or -1 with *err set (KCFG_ERR_IO, _LIMIT or _NOMEM). */
int kcfg_file_read(const char *path, const char *where, const char *what, uint8_t **out, size_t *out_len,
               kcfg_error *err);

/* Checks that path can be opened for reading; 0, or -1 with *err set (KCFG_ERR_IO). */
int kcfg_file_check(const char *path, const char *where, const char *what, kcfg_error *err);

#endif
