/* log: one line per event on stderr, key=value (or JSON), with a level; fields are passed
 * as NULL-terminated key, value pairs. Never give it a token, key or kubeconfig. */
#ifndef SVCLINK_BASE_LOG_H
#define SVCLINK_BASE_LOG_H

#include <stdbool.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level;

/* Lines below min are dropped; json selects {"ts":..,"level":..,"msg":..,...}. */
void log_setup(log_level min, bool json);
/* Parses "debug", "info", "warn", "error"; -1 when unknown. */
int log_level_parse(const char *text);

/* log_kv(LOG_INFO, "write", "verb", "POST", "ns", ns, NULL). A NULL value prints as "". */
void log_kv(log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
