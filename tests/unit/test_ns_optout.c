/* Unit tests for ns_optout: opt-out by either label, changes reported once, namespaces without
 * a label never kept, a relist that drops or keeps a namespace, and overlapping relists. */
#include "cache/ns_optout.h"
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

/* A Namespace event: labels is "" or JSON members such as "\"replicated\":\"false\"". */
static void set(ns_optout *o, const char *ns, const char *labels, bool present)
{
    char text[300];
    snprintf(text, sizeof text, "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}}}", ns, labels);
    json_doc doc;
    json_doc_init(&doc);
    char err[64];
    if (json_parse(&doc, text, strlen(text), err, sizeof err) == 0)
        ns_optout_set(o, &doc, 0, present);
    json_doc_free(&doc);
}

#define SYNC_FALSE "\"" NS_OPTOUT_LABEL "\":\"false\""
#define ALIAS_FALSE "\"" NS_OPTOUT_ALIAS_LABEL "\":\"false\""
#define BOTH_FALSE SYNC_FALSE "," ALIAS_FALSE

UNIT_TEST(ns_optout_watch_events)
{
    ns_rec r = {""};
    ns_optout o;
    ns_optout_init(&o, ns_changed, &r);
    CHECK(!ns_optout_out(&o, "a"));
    CHECK(!ns_optout_out(NULL, "a"));
    set(&o, "a", SYNC_FALSE, true);
    CHECK(ns_optout_out(&o, "a"));
    set(&o, "a", BOTH_FALSE, true); /* already out: no new report */
    set(&o, "a", ALIAS_FALSE, true);
    CHECK(ns_optout_out(&o, "a"));          /* the alias still holds it */
    set(&o, "a", "\"" NS_OPTOUT_LABEL "\":\"true\"", true);
    CHECK(!ns_optout_out(&o, "a"));
    CHECK_STR_EQ(r.log, "a a ");
    /* Namespaces without an opt-out label pass by and are not kept. */
    set(&o, "plain", "", true);
    set(&o, "other", "\"team\":\"x\"", true);
    CHECK(strmap_count(&o.ns) == 0);
    set(&o, "b", ALIAS_FALSE, true);
    set(&o, "b", ALIAS_FALSE, false); /* deleted */
    CHECK(!ns_optout_out(&o, "b") && strmap_count(&o.ns) == 0);
    ns_optout_free(&o);
}

UNIT_TEST(ns_optout_relist)
{
    ns_rec r = {""};
    ns_optout o;
    ns_optout_init(&o, ns_changed, &r);
    set(&o, "a", SYNC_FALSE, true);
    set(&o, "b", SYNC_FALSE, true);
    r.log[0] = '\0';
    ns_optout_list_begin(&o);
    set(&o, "a", "", true); /* restated without its label */
    set(&o, "b", ALIAS_FALSE, true);
    set(&o, "c", SYNC_FALSE, true);
    set(&o, "d", "", true);
    ns_optout_list_end(&o);
    CHECK(!ns_optout_out(&o, "a"));
    CHECK(ns_optout_out(&o, "b"));
    CHECK(ns_optout_out(&o, "c"));
    CHECK(!ns_optout_out(&o, "d"));
    CHECK(strstr(r.log, "a ") != NULL);
    CHECK(strstr(r.log, "c ") != NULL);
    CHECK(strstr(r.log, "b ") == NULL);
    CHECK(strmap_count(&o.ns) == 2);
    /* A relist begun over an unfinished one reports against the state before both. */
    r.log[0] = '\0';
    ns_optout_list_begin(&o);
    set(&o, "b", "", true);
    ns_optout_list_begin(&o);
    set(&o, "b", SYNC_FALSE, true);
    ns_optout_list_end(&o);
    CHECK(ns_optout_out(&o, "b"));
    CHECK(!ns_optout_out(&o, "c")); /* not restated by the list that finished */
    CHECK_STR_EQ(r.log, "c ");
    ns_optout_free(&o);
}
