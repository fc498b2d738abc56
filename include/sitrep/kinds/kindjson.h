/* kindjson: reading a kind's --once JSON back into its model (the kinds'
 * from_json). That JSON comes from a stream, a recording or a fuzzer, so it
 * is outside input: every member is type-checked, a missing or mistyped one
 * takes its default, and every string is sanitized again on the way in
 * (text that already passed the sanitizer comes out the same). */
#ifndef SITREP_KINDJSON_H
#define SITREP_KINDJSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* The longest string any member becomes (a log line, a query). */
#define KINDJSON_STR_MAX 65536

/* A sanitized copy of the string member key, or a copy of def (NULL def and
 * no string member: NULL). Caller frees. */
char *kindjson_str(const cJSON *o, const char *key, const char *def);
/* The number member key; def when absent, null or not a number. */
double kindjson_num(const cJSON *o, const char *key, double def);
bool kindjson_bool(const cJSON *o, const char *key, bool def);
/* An RFC 3339 member ("2026-12-07T22:14:00Z", UTC as --once writes it) in
 * unix seconds; 0 when absent, null or not such a time. */
int64_t kindjson_time(const cJSON *o, const char *key);
/* The array member key, or NULL. */
const cJSON *kindjson_array(const cJSON *o, const char *key);
/* The object member key, or NULL. */
const cJSON *kindjson_object(const cJSON *o, const char *key);
/* An array of numbers (null: NaN) as a new array of *n doubles, at most max;
 * NULL with *n 0 when absent or empty. Caller frees. */
double *kindjson_doubles(const cJSON *o, const char *key, size_t max, size_t *n);

#endif
