/* unit: a tiny test harness; each UNIT_TEST registers itself and reports one line,
 * "PASS name" or "FAIL name: file:line: what", which tests/run.sh counts. */
#ifndef SVCLINK_UNIT_H
#define SVCLINK_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*unit_fn)(void);

/* file is the test's source file: a filter matches it as well as the name. */
void unit_register(const char *name, const char *file, unit_fn fn);
/* Records a failed check; the first failure of a test is the one reported. */
void unit_fail(const char *file, int line, const char *what);
/* Counts a check made; a test that makes none fails, so it cannot pass by asserting nothing. */
void unit_checked(void);
/* printf into a new heap string (the test frees it); aborts when out of memory. */
char *unit_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define UNIT_TEST(name)                                                                        \
    static void unit_test_##name(void);                                                        \
    __attribute__((constructor)) static void unit_register_##name(void)                        \
    {                                                                                           \
        unit_register(#name, __FILE__, unit_test_##name);                                       \
    }                                                                                           \
    static void unit_test_##name(void)

#define CHECK(cond)                                                                             \
    do {                                                                                        \
        unit_checked();                                                                         \
        if (!(cond))                                                                            \
            unit_fail(__FILE__, __LINE__, #cond);                                               \
    } while (0)

/* CHECK with the message to report instead of the condition (a table case's name, say). */
#define CHECK_MSG(cond, what)                                                                   \
    do {                                                                                        \
        unit_checked();                                                                         \
        if (!(cond))                                                                            \
            unit_fail(__FILE__, __LINE__, (what));                                              \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                                      \
    do {                                                                                        \
        const char *unit_a_ = (a), *unit_b_ = (b);                                              \
        unit_checked();                                                                         \
        if (unit_a_ == NULL || unit_b_ == NULL || strcmp(unit_a_, unit_b_) != 0)                \
            unit_fail(__FILE__, __LINE__, #a " == " #b);                                        \
    } while (0)

#endif
