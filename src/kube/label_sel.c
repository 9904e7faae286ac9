/* label_sel: label selectors validated the way the API server validates them, so a bad selector
 * is refused with its entry named instead of breaking the remote watch. */
#include "kube/label_sel.h"
#include "base/k8sname.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text.h"

typedef enum { LABEL_SEL_EQ, LABEL_SEL_NE, LABEL_SEL_IN, LABEL_SEL_NOTIN, LABEL_SEL_EXISTS, LABEL_SEL_NOT_EXISTS } label_sel_op;

/* The query as it is built; a bounded buffer, so any input costs at most LABEL_SEL_MAX_QUERY. */
typedef struct {
    char buf[LABEL_SEL_MAX_QUERY];
    size_t len;
    size_t count;
    bool overflow;
} label_sel_out;

static bool label_sel_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
}

static bool label_sel_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int label_sel_valid_value(const char *s, size_t len)
{
    if (len == 0)
        return 1;
    if (len > 63 || !label_sel_alnum(s[0]) || !label_sel_alnum(s[len - 1]))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!label_sel_name_char(s[i]))
            return 0;
    }
    return 1;
}

int label_sel_valid_key(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    if (slash == NULL)
        return len > 0 && label_sel_valid_value(s, len);
    size_t plen = (size_t)(slash - s);
    size_t nlen = len - plen - 1;
    return k8sname_is_dns_subdomain(s, plen, K8SNAME_MAX_SUBDOMAIN) && nlen > 0 && label_sel_valid_value(slash + 1, nlen);
}

static void label_sel_put(label_sel_out *o, const char *s, size_t n)
{
    if (o->overflow || o->len + n >= sizeof o->buf) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void label_sel_puts(label_sel_out *o, const char *s)
{
    label_sel_put(o, s, strlen(s));
}

/* Starts one requirement: checks the count and the key, writes "key" (with '!' for
 * DoesNotExist). */
static int label_sel_begin(label_sel_out *o, label_sel_op op, const char *key, size_t klen, const char *where, char *err,
                      size_t errlen)
{
    if (o->count >= LABEL_SEL_MAX_REQUIREMENTS) {
        text_errorf(err, errlen, "%s: more than %u requirements", where, LABEL_SEL_MAX_REQUIREMENTS);
        return -1;
    }
    if (!label_sel_valid_key(key, klen)) {
        text_errorf(err, errlen, "%s: \"%.*s\" is not a valid label key (an optional DNS prefix and '/', then at most "
                                "63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)",
                   where, (int)(klen > 80 ? 80 : klen), key);
        return -1;
    }
    if (o->count++ > 0)
        label_sel_puts(o, ",");
    if (op == LABEL_SEL_NOT_EXISTS)
        label_sel_puts(o, "!");
    label_sel_put(o, key, klen);
    static const char *const ops[] = {"=", "!=", " in (", " notin (", "", ""};
    label_sel_puts(o, ops[op]);
    return 0;
}

static int label_sel_value(label_sel_out *o, size_t index, const char *v, size_t vlen, const char *where, char *err,
                      size_t errlen)
{
    if (!label_sel_valid_value(v, vlen)) {
        text_errorf(err, errlen, "%s: \"%.*s\" is not a valid label value (at most 63 letters, digits, '-', '_' or "
                                "'.', starting and ending alphanumeric)",
                   where, (int)(vlen > 80 ? 80 : vlen), v);
        return -1;
    }
    if (index > 0)
        label_sel_puts(o, ",");
    label_sel_put(o, v, vlen);
    return 0;
}

static int label_sel_finish(label_sel_out *o, char **query, const char *field, char *err, size_t errlen)
{
    *query = NULL;
    if (o->overflow) {
        text_errorf(err, errlen, "%s: longer than %u characters", field, LABEL_SEL_MAX_QUERY);
        return -1;
    }
    if (o->count == 0)
        return 0;
    *query = strdup(o->buf);
    if (*query == NULL) {
        text_errorf(err, errlen, "%s: out of memory", field);
        return -1;
    }
    return 0;
}

/* ---- the JSON form ---- */

static int label_sel_json_string(const json_doc *doc, int tok, char *buf, size_t cap, size_t *len)
{
    return json_is_string(doc, tok) && json_str_copy(doc, tok, buf, cap, len) == JSON_OK ? 0 : -1;
}

static int label_sel_match_labels(const json_doc *doc, int ml, const char *field, label_sel_out *o, char *err, size_t errlen)
{
    if (ml < 0 || json_is_null(doc, ml))
        return 0;
    if (!json_is_object(doc, ml)) {
        text_errorf(err, errlen, "%s.matchLabels: not an object", field);
        return -1;
    }
    for (int k = json_obj_first(doc, ml); k >= 0; k = json_next(doc, k)) {
        char key[320], val[80], where[400];
        size_t klen = 0, vlen = 0;
        if (label_sel_json_string(doc, k, key, sizeof key, &klen) != 0) {
            text_errorf(err, errlen, "%s.matchLabels: a key is too long or not text", field);
            return -1;
        }
        snprintf(where, sizeof where, "%s.matchLabels[%s]", field, key);
        if (label_sel_json_string(doc, json_obj_value(doc, k), val, sizeof val, &vlen) != 0) {
            text_errorf(err, errlen, "%s: the value is not a string of at most 63 characters", where);
            return -1;
        }
        if (label_sel_begin(o, LABEL_SEL_EQ, key, klen, where, err, errlen) != 0 ||
            label_sel_value(o, 0, val, vlen, where, err, errlen) != 0)
            return -1;
    }
    return 0;
}

static int label_sel_operator(const json_doc *doc, int tok, label_sel_op *op)
{
    static const struct {
        const char *name;
        label_sel_op op;
    } ops[] = {{"In", LABEL_SEL_IN}, {"NotIn", LABEL_SEL_NOTIN}, {"Exists", LABEL_SEL_EXISTS}, {"DoesNotExist", LABEL_SEL_NOT_EXISTS}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (json_str_eq(doc, tok, ops[i].name)) {
            *op = ops[i].op;
            return 0;
        }
    }
    return -1;
}

static int label_sel_expression(const json_doc *doc, int ex, const char *where, label_sel_out *o, char *err, size_t errlen)
{
    char key[320];
    size_t klen = 0;
    label_sel_op op;
    if (!json_is_object(doc, ex) || label_sel_json_string(doc, json_obj_get(doc, ex, "key"), key, sizeof key, &klen) != 0) {
        text_errorf(err, errlen, "%s: needs a string key", where);
        return -1;
    }
    if (label_sel_operator(doc, json_obj_get(doc, ex, "operator"), &op) != 0) {
        text_errorf(err, errlen, "%s: operator must be In, NotIn, Exists or DoesNotExist", where);
        return -1;
    }
    int vals = json_obj_get(doc, ex, "values");
    int n = vals >= 0 && !json_is_null(doc, vals) ? json_len(doc, vals) : 0;
    if (vals >= 0 && !json_is_null(doc, vals) && !json_is_array(doc, vals)) {
        text_errorf(err, errlen, "%s.values: not a list", where);
        return -1;
    }
    bool set = op == LABEL_SEL_IN || op == LABEL_SEL_NOTIN;
    if (set && (n < 1 || (size_t)n > LABEL_SEL_MAX_VALUES)) {
        text_errorf(err, errlen, "%s: %s needs 1 to %u values", where, op == LABEL_SEL_IN ? "In" : "NotIn", LABEL_SEL_MAX_VALUES);
        return -1;
    }
    if (!set && n > 0) {
        text_errorf(err, errlen, "%s: %s takes no values", where, op == LABEL_SEL_EXISTS ? "Exists" : "DoesNotExist");
        return -1;
    }
    if (label_sel_begin(o, op, key, klen, where, err, errlen) != 0)
        return -1;
    size_t i = 0;
    for (int v = json_arr_first(doc, vals); set && v >= 0; v = json_next(doc, v), i++) {
        char val[80];
        size_t vlen = 0;
        if (label_sel_json_string(doc, v, val, sizeof val, &vlen) != 0) {
            text_errorf(err, errlen, "%s.values[%zu]: not a string of at most 63 characters", where, i);
            return -1;
        }
        if (label_sel_value(o, i, val, vlen, where, err, errlen) != 0)
            return -1;
    }
    if (set)
        label_sel_puts(o, ")");
    return 0;
}

int label_sel_from_json(const json_doc *doc, int tok, const char *field, char **query, char *err, size_t errlen)
{
    *query = NULL;
    if (tok < 0 || json_is_null(doc, tok))
        return 0;
    if (!json_is_object(doc, tok)) {
        text_errorf(err, errlen, "%s: not an object (give matchLabels and/or matchExpressions)", field);
        return -1;
    }
    label_sel_out *o = calloc(1, sizeof *o);
    if (o == NULL) {
        text_errorf(err, errlen, "%s: out of memory", field);
        return -1;
    }
    int rc = label_sel_match_labels(doc, json_obj_get(doc, tok, "matchLabels"), field, o, err, errlen);
    int exprs = json_obj_get(doc, tok, "matchExpressions");
    if (rc == 0 && exprs >= 0 && !json_is_null(doc, exprs) && !json_is_array(doc, exprs)) {
        text_errorf(err, errlen, "%s.matchExpressions: not a list", field);
        rc = -1;
    }
    size_t i = 0;
    for (int ex = json_arr_first(doc, exprs); rc == 0 && ex >= 0; ex = json_next(doc, ex), i++) {
        char where[120];
        snprintf(where, sizeof where, "%s.matchExpressions[%zu]", field, i);
        rc = label_sel_expression(doc, ex, where, o, err, errlen);
    }
    if (rc == 0)
        rc = label_sel_finish(o, query, field, err, errlen);
    free(o);
    return rc;
}

/* ---- the text form ---- */

typedef struct {
    const char *s;
    size_t pos, len;
} label_sel_lex;

static void label_sel_skip_space(label_sel_lex *x)
{
    while (x->pos < x->len && (x->s[x->pos] == ' ' || x->s[x->pos] == '\t'))
        x->pos++;
}

/* A run of name characters (keys may hold '/'). */
static size_t label_sel_word(label_sel_lex *x, bool key, const char **start)
{
    label_sel_skip_space(x);
    *start = x->s + x->pos;
    size_t n = 0;
    while (x->pos < x->len && (label_sel_name_char(x->s[x->pos]) || (key && x->s[x->pos] == '/'))) {
        x->pos++;
        n++;
    }
    return n;
}

static bool label_sel_accept(label_sel_lex *x, const char *tok)
{
    label_sel_skip_space(x);
    size_t n = strlen(tok);
    if (x->len - x->pos >= n && memcmp(x->s + x->pos, tok, n) == 0) {
        x->pos += n;
        return true;
    }
    return false;
}

/* "in (" or "notin (" after a key: the keyword must stand alone. */
static bool label_sel_keyword(label_sel_lex *x, const char *kw)
{
    size_t save = x->pos;
    const char *w;
    size_t n = label_sel_word(x, false, &w);
    if (n == strlen(kw) && memcmp(w, kw, n) == 0 && label_sel_accept(x, "("))
        return true;
    x->pos = save;
    return false;
}

static int label_sel_text_set(label_sel_lex *x, label_sel_out *o, const char *where, char *err, size_t errlen)
{
    for (size_t i = 0;; i++) {
        if (i >= LABEL_SEL_MAX_VALUES) {
            text_errorf(err, errlen, "%s: more than %u values", where, LABEL_SEL_MAX_VALUES);
            return -1;
        }
        const char *v;
        size_t vlen = label_sel_word(x, false, &v);
        if (vlen == 0 && i == 0 && label_sel_accept(x, ")")) {
            text_errorf(err, errlen, "%s: an empty set of values", where);
            return -1;
        }
        if (label_sel_value(o, i, v, vlen, where, err, errlen) != 0)
            return -1;
        if (label_sel_accept(x, ")")) {
            label_sel_puts(o, ")");
            return 0;
        }
        if (!label_sel_accept(x, ",")) {
            text_errorf(err, errlen, "%s: expected ',' or ')' at character %zu", where, x->pos + 1);
            return -1;
        }
    }
}

static int label_sel_text_requirement(label_sel_lex *x, label_sel_out *o, char *err, size_t errlen)
{
    char where[64];
    snprintf(where, sizeof where, "selector requirement %zu", o->count + 1);
    bool negated = label_sel_accept(x, "!");
    const char *key;
    size_t klen = label_sel_word(x, true, &key);
    if (klen == 0) {
        text_errorf(err, errlen, "%s: expected a label key at character %zu", where, x->pos + 1);
        return -1;
    }
    if (negated)
        return label_sel_begin(o, LABEL_SEL_NOT_EXISTS, key, klen, where, err, errlen);
    label_sel_op op = LABEL_SEL_EXISTS;
    if (label_sel_accept(x, "!="))
        op = LABEL_SEL_NE;
    else if (label_sel_accept(x, "==") || label_sel_accept(x, "="))
        op = LABEL_SEL_EQ;
    else if (label_sel_keyword(x, "notin"))
        op = LABEL_SEL_NOTIN;
    else if (label_sel_keyword(x, "in"))
        op = LABEL_SEL_IN;
    if (label_sel_begin(o, op, key, klen, where, err, errlen) != 0)
        return -1;
    if (op == LABEL_SEL_IN || op == LABEL_SEL_NOTIN)
        return label_sel_text_set(x, o, where, err, errlen);
    if (op == LABEL_SEL_EQ || op == LABEL_SEL_NE) {
        const char *v;
        size_t vlen = label_sel_word(x, false, &v);
        return label_sel_value(o, 0, v, vlen, where, err, errlen);
    }
    return 0;
}

int label_sel_from_text(const char *text, char **query, char *err, size_t errlen)
{
    *query = NULL;
    label_sel_lex x = {text, 0, strlen(text)};
    label_sel_out *o = calloc(1, sizeof *o);
    if (o == NULL) {
        text_errorf(err, errlen, "label selector: out of memory");
        return -1;
    }
    int rc = 0;
    label_sel_skip_space(&x);
    if (x.pos == x.len) {
        text_errorf(err, errlen, "label selector: empty");
        rc = -1;
    }
    while (rc == 0 && x.pos < x.len) {
        rc = label_sel_text_requirement(&x, o, err, errlen);
        label_sel_skip_space(&x);
        if (rc == 0 && x.pos < x.len && !label_sel_accept(&x, ",")) {
            text_errorf(err, errlen, "label selector: unexpected '%c' at character %zu", x.s[x.pos], x.pos + 1);
            rc = -1;
        } else if (rc == 0 && x.pos == x.len && x.len > 0 && x.s[x.len - 1] == ',') {
            text_errorf(err, errlen, "label selector: a requirement is missing after the last ','");
            rc = -1;
        }
    }
    if (rc == 0)
        rc = label_sel_finish(o, query, "label selector", err, errlen);
    free(o);
    return rc;
}
