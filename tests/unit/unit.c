/* unit: runs every registered test in registration order (optionally only those whose
 * name or file contains argv[1]) and exits non-zero when any failed. */
#include "unit.h"

#include <stdarg.h>
#include <stdlib.h>

#define UNIT_MAX_TESTS 1024

static struct {
    const char *name, *file;
    unit_fn fn;
} unit_tests[UNIT_MAX_TESTS];
static size_t unit_count;
static char unit_first_failure[512];
static bool unit_current_failed;
static unsigned long unit_current_checks;

void unit_register(const char *name, const char *file, unit_fn fn)
{
    if (unit_count == UNIT_MAX_TESTS) {
        fprintf(stderr, "unit: more than %d tests; raise UNIT_MAX_TESTS\n", UNIT_MAX_TESTS);
        abort();
    }
    unit_tests[unit_count].name = name;
    unit_tests[unit_count].file = file;
    unit_tests[unit_count].fn = fn;
    unit_count++;
}

void unit_fail(const char *file, int line, const char *what)
{
    if (!unit_current_failed)
        snprintf(unit_first_failure, sizeof unit_first_failure, "%s:%d: %s", file, line, what);
    unit_current_failed = true;
}

void unit_checked(void)
{
    unit_current_checks++;
}

char *unit_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s == NULL)
        abort();
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : NULL;
    size_t failed = 0, ran = 0;
    for (size_t i = 0; i < unit_count; i++) {
        if (filter != NULL && strstr(unit_tests[i].name, filter) == NULL && strstr(unit_tests[i].file, filter) == NULL)
            continue;
        unit_current_failed = false;
        unit_current_checks = 0;
        unit_tests[i].fn();
        ran++;
        if (unit_current_checks == 0 && !unit_current_failed)
            unit_fail("unit.c", __LINE__, "the test made no check");
        if (unit_current_failed) {
            failed++;
            printf("FAIL %s: %s\n", unit_tests[i].name, unit_first_failure);
        } else {
            printf("PASS %s\n", unit_tests[i].name);
        }
        fflush(stdout);
    }
    if (ran == 0) {
        printf("FAIL unit: no test matched\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
