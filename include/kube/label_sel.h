/* label_sel: Kubernetes label selectors: a ClusterLink's spec.serviceSelector (matchLabels,
 * matchExpressions) or kubectl's text form, validated and rendered as one labelSelector query. */
#ifndef SVCLINK_KUBE_LABEL_SEL_H
#define SVCLINK_KUBE_LABEL_SEL_H

#include <stddef.h>

#include "json/json.h"

#define LABEL_SEL_MAX_REQUIREMENTS 64u
#define LABEL_SEL_MAX_VALUES 64u     /* per In / NotIn requirement */
#define LABEL_SEL_MAX_QUERY 16384u

/* Decodes the selector object at tok (field names the path in messages, e.g.
 * "spec.serviceSelector"). 0 with *query a malloc'd canonical query ("app=web,tier in (a,b)")
 * or NULL when the selector selects everything (empty); -1 with err naming the entry. */
int label_sel_from_json(const json_doc *doc, int tok, const char *field, char **query, char *err, size_t errlen);
/* The same from kubectl's syntax: "k=v", "k==v", "k!=v", "k in (a,b)", "k notin (a,b)", "k",
 * "!k", comma-separated. */
int label_sel_from_text(const char *text, char **query, char *err, size_t errlen);

/* A label key: an optional DNS-subdomain prefix and '/', then a name of at most 63
 * characters ([A-Za-z0-9] at both ends, '-', '_', '.' inside). */
int label_sel_valid_key(const char *s, size_t len);
/* A label value: empty, or like a key's name part. */
int label_sel_valid_value(const char *s, size_t len);

#endif
