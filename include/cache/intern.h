/* intern: interned, reference-counted strings for the caches: port names and app protocols
 * repeat across thousands of Services and EndpointSlices, so each distinct one is held once. */
#ifndef SVCLINK_CACHE_INTERN_H
#define SVCLINK_CACHE_INTERN_H

#include <stddef.h>

#include "json/json.h"

/* Longest string interned (without its NUL); longer ones are refused. Port names are DNS
 * labels and app protocols qualified names, both far shorter. */
#define INTERN_MAX 320

/* The shared copy of s[0..len) (which may hold no NUL), one reference more; NULL when len
 * is over INTERN_MAX or memory ran out. Release each with intern_put. */
const char *intern_get(const char *s, size_t len);
/* The decoded JSON string at tok, interned; NULL when tok is not a string, is longer than
 * INTERN_MAX, or memory ran out. */
const char *intern_json(const json_doc *doc, int tok);
/* Drops one reference of a string intern_get returned; the last frees it. NULL is ignored. */
void intern_put(const char *s);
/* Distinct strings held, for tests and the footprint figures. */
size_t intern_count(void);

#endif
