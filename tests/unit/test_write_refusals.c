/* Unit tests for write_refusals: a 403 counts until a success of the same verb and resource
 * or until it is no longer seen; a namespace being deleted and other answers do not count. */
#include "write/write_refusals.h"
#include "unit.h"

#define TW_RBAC "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}"
#define TW_TERMINATING                                                                                     \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"details\":{\"causes\":[{\"reason\":" \
    "\"NamespaceTerminating\",\"field\":\"metadata.namespace\"}]},\"code\":403}"

UNIT_TEST(write_refusals_names_verb_resource_and_namespace)
{
    write_refusals r = {0};
    char why[160] = "";
    CHECK(!write_refusals_current(&r, 1000, why, sizeof why));
    CHECK(write_refusals_record(&r, "EndpointSlice", "POST", "demo", 403, TW_RBAC, 1000));
    CHECK(write_refusals_current(&r, 2000, why, sizeof why));
    CHECK_STR_EQ(why, "create endpointslices (403 in namespace demo)");
    /* Another verb's success does not clear it; the same verb's does. */
    CHECK(!write_refusals_record(&r, "EndpointSlice", "PUT", "demo", 200, NULL, 3000));
    CHECK(write_refusals_current(&r, 3000, why, sizeof why));
    CHECK(!write_refusals_record(&r, "EndpointSlice", "POST", "other", 201, NULL, 4000));
    CHECK(!write_refusals_current(&r, 4000, why, sizeof why));
}

UNIT_TEST(write_refusals_describe_one_write)
{
    char what[160];
    CHECK(write_refusals_describe("Service", "PATCH", "demo", what, sizeof what));
    CHECK_STR_EQ(what, "patch services in namespace demo");
    CHECK(write_refusals_describe("Namespace", "POST", "", what, sizeof what));
    CHECK_STR_EQ(what, "create namespaces");
    CHECK(!write_refusals_describe("Event", "POST", "demo", what, sizeof what));
    CHECK(!write_refusals_describe("EndpointSlice", "GET", "demo", what, sizeof what));
}

UNIT_TEST(write_refusals_expire_when_no_longer_seen)
{
    write_refusals r = {0};
    char why[160];
    CHECK(write_refusals_record(&r, "Service", "DELETE", "demo", 403, TW_RBAC, 10000));
    CHECK(write_refusals_current(&r, 10000 + WRITE_REFUSALS_HOLD_MS, why, sizeof why));
    CHECK_STR_EQ(why, "delete services (403 in namespace demo)");
    CHECK(!write_refusals_current(&r, 10001 + WRITE_REFUSALS_HOLD_MS, why, sizeof why));
}

UNIT_TEST(write_refusals_ignore_what_is_not_a_refusal_of_svclink)
{
    write_refusals r = {0};
    char why[160];
    CHECK(!write_refusals_record(&r, "EndpointSlice", "POST", "gone", 403, TW_TERMINATING, 1000));
    CHECK(!write_refusals_record(&r, "EndpointSlice", "POST", "demo", 409, NULL, 1000));
    CHECK(!write_refusals_record(&r, "EndpointSlice", "POST", "demo", 500, NULL, 1000));
    CHECK(!write_refusals_record(&r, "Event", "POST", "demo", 403, TW_RBAC, 1000));
    CHECK(!write_refusals_record(&r, "EndpointSlice", "GET", "demo", 403, TW_RBAC, 1000));
    CHECK(!write_refusals_record(&r, NULL, NULL, NULL, 403, NULL, 1000));
    CHECK(!write_refusals_current(&r, 1000, why, sizeof why));
    /* A cluster-scoped write names no namespace. */
    CHECK(write_refusals_record(&r, "Namespace", "POST", NULL, 403, NULL, 1000));
    CHECK(write_refusals_current(&r, 1000, why, sizeof why));
    CHECK_STR_EQ(why, "create namespaces (403)");
}
