/* Unit tests for label_sel: selectors from JSON and from kubectl's text form, rendered the same
 * canonical way, and every malformed entry refused with its place named. */
#include "kube/label_sel.h"
#include "unit.h"

#include <stdlib.h>

static int ls_json(const char *text, char **q, char *err, size_t errlen)
{
    json_doc doc;
    char perr[64];
    json_doc_init(&doc);
    int rc = json_parse(&doc, text, strlen(text), perr, sizeof perr);
    if (rc == 0)
        rc = label_sel_from_json(&doc, 0, "spec.serviceSelector", q, err, errlen);
    json_doc_free(&doc);
    return rc;
}

UNIT_TEST(v5_label_sel_json_renders_every_operator)
{
    char *q = NULL, err[300];
    CHECK(ls_json("{\"matchLabels\":{\"app\":\"web\",\"example.com/tier\":\"front\"},\"matchExpressions\":["
                  "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"stage\"]},"
                  "{\"key\":\"zone\",\"operator\":\"NotIn\",\"values\":[\"x\"]},"
                  "{\"key\":\"mirror\",\"operator\":\"Exists\"},"
                  "{\"key\":\"legacy\",\"operator\":\"DoesNotExist\",\"values\":[]}]}",
                  &q, err, sizeof err) == 0);
    CHECK_STR_EQ(q, "app=web,example.com/tier=front,env in (prod,stage),zone notin (x),mirror,!legacy");
    free(q);
    /* Empty selects everything: no query at all. */
    CHECK(ls_json("{}", &q, err, sizeof err) == 0 && q == NULL);
    CHECK(ls_json("{\"matchLabels\":{\"app\":\"\"}}", &q, err, sizeof err) == 0);
    CHECK_STR_EQ(q, "app=");
    free(q);
}

UNIT_TEST(v5_label_sel_json_refuses_with_the_place_named)
{
    char *q = NULL, err[300];
    CHECK(ls_json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Gt\",\"values\":[\"1\"]}]}", &q, err,
                  sizeof err) != 0 && q == NULL);
    CHECK(strstr(err, "matchExpressions[0]") != NULL && strstr(err, "operator") != NULL);
    CHECK(ls_json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}", &q, err,
                  sizeof err) != 0);
    CHECK(strstr(err, "needs 1") != NULL);
    CHECK(ls_json("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}", &q, err,
                  sizeof err) != 0);
    CHECK(ls_json("{\"matchLabels\":{\"-bad\":\"x\"}}", &q, err, sizeof err) != 0);
    CHECK(strstr(err, "matchLabels[-bad]") != NULL);
    CHECK(ls_json("{\"matchLabels\":{\"a\":\"has space\"}}", &q, err, sizeof err) != 0);
    CHECK(ls_json("{\"matchLabels\":{\"a\":1}}", &q, err, sizeof err) != 0);
    CHECK(ls_json("{\"matchLabels\":[]}", &q, err, sizeof err) != 0);
    CHECK(ls_json("[]", &q, err, sizeof err) != 0);
    CHECK(ls_json("{\"matchLabels\":{\"UPPER.example.com/x\":\"y\"}}", &q, err, sizeof err) != 0);
    CHECK(ls_json("{\"matchLabels\":{\"a/b/c\":\"y\"}}", &q, err, sizeof err) != 0);
}

UNIT_TEST(label_sel_text_parses_kubectl_syntax)
{
    char *q = NULL, err[300];
    CHECK(label_sel_from_text("sync=true", &q, err, sizeof err) == 0);
    CHECK_STR_EQ(q, "sync=true");
    free(q);
    CHECK(label_sel_from_text(" app == web , tier!=db,env in (a, b),x notin(c),has ,!not", &q, err, sizeof err) == 0);
    CHECK_STR_EQ(q, "app=web,tier!=db,env in (a,b),x notin (c),has,!not");
    free(q);
    /* A key that merely starts with "in" is a key. */
    CHECK(label_sel_from_text("index=1,inner", &q, err, sizeof err) == 0);
    CHECK_STR_EQ(q, "index=1,inner");
    free(q);
}

UNIT_TEST(label_sel_text_refuses_garbage)
{
    static const char *const bad[] = {"", "   ", "=x", "a=b=c", "a in (", "a in ()", "a in (b", "a,,b", "a=b,",
                                      "!", "a b", "a=(b)", "a notin x", "a=b c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *q = NULL, err[300] = "";
        CHECK(label_sel_from_text(bad[i], &q, err, sizeof err) != 0 && q == NULL && err[0] != '\0');
    }
    /* Bounded: many requirements are refused, not grown without end. */
    char big[4096] = "";
    for (int i = 0; i < 100; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%sk%d", i ? "," : "", i);
    char *q = NULL, err[300];
    CHECK(label_sel_from_text(big, &q, err, sizeof err) != 0 && strstr(err, "more than 64") != NULL);
}
