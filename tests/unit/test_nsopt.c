/* Unit tests for nsopt: opt-out by either label, changes reported once, a relist that
 * drops or keeps a namespace, and the two labels' lists overlapping. */
#include "nsopt.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    char log[512];
} ns_rec;

static void ns_changed(void *arg, const char *ns)
{
    ns_rec *r = arg;
    size_t n = strlen(r->log);
    snprintf(r->log + n, sizeof r->log - n, "%s ", ns);
}

static void set(nsopt *o, uint8_t by, const char *ns, bool present)
{
    char text[200];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\"}}", ns);
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    if (json_parse(&doc, text, strlen(text), err, sizeof err) == 0)
        nsopt_set(o, by, &doc, 0, present);
    json_doc_free(&doc);
}

UNIT_TEST(nsopt_watch_events)
{
    ns_rec r = {""};
    nsopt o;
    nsopt_init(&o, ns_changed, &r);
    CHECK(!nsopt_out(&o, "a"));
    CHECK(!nsopt_out(NULL, "a"));
    set(&o, NSOPT_BY_LABEL, "a", true);
    CHECK(nsopt_out(&o, "a"));
    set(&o, NSOPT_BY_ALIAS, "a", true); /* already out: no new report */
    set(&o, NSOPT_BY_LABEL, "a", false);
    CHECK(nsopt_out(&o, "a"));          /* the alias still holds it */
    set(&o, NSOPT_BY_ALIAS, "a", false);
    CHECK(!nsopt_out(&o, "a"));
    CHECK_STR_EQ(r.log, "a a ");
    nsopt_free(&o);
}

UNIT_TEST(nsopt_relist)
{
    ns_rec r = {""};
    nsopt o;
    nsopt_init(&o, ns_changed, &r);
    set(&o, NSOPT_BY_LABEL, "a", true);
    set(&o, NSOPT_BY_LABEL, "b", true);
    r.log[0] = '\0';
    nsopt_list_begin(&o, NSOPT_BY_LABEL);
    set(&o, NSOPT_BY_LABEL, "b", true);
    set(&o, NSOPT_BY_LABEL, "c", true);
    nsopt_list_end(&o, NSOPT_BY_LABEL);
    CHECK(!nsopt_out(&o, "a"));
    CHECK(nsopt_out(&o, "b"));
    CHECK(nsopt_out(&o, "c"));
    CHECK(strstr(r.log, "a ") != NULL);
    CHECK(strstr(r.log, "c ") != NULL);
    CHECK(strstr(r.log, "b ") == NULL);
    /* overlapping lists of both labels: a namespace held by the alias only stays out */
    set(&o, NSOPT_BY_ALIAS, "d", true);
    r.log[0] = '\0';
    nsopt_list_begin(&o, NSOPT_BY_LABEL);
    nsopt_list_begin(&o, NSOPT_BY_ALIAS);
    set(&o, NSOPT_BY_ALIAS, "d", true);
    set(&o, NSOPT_BY_LABEL, "b", true);
    nsopt_list_end(&o, NSOPT_BY_LABEL);
    nsopt_list_end(&o, NSOPT_BY_ALIAS);
    CHECK(nsopt_out(&o, "d"));
    CHECK(nsopt_out(&o, "b"));
    CHECK(!nsopt_out(&o, "c"));
    CHECK_STR_EQ(r.log, "c ");
    nsopt_free(&o);
}
