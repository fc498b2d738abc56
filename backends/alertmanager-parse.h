/* alertmanager-parse: Alertmanager API v2 answers into the alerts model, and
 * the silence request body. The cJSON tree never leaves alertmanager-parse.c.
 * Raw label values are kept apart from the (sanitized) model because a silence
 * must match the exact bytes Alertmanager holds. Pure functions, unit-tested
 * on responses captured from a real Alertmanager. */
#ifndef SITREP_ALERTMANAGER_PARSE_H
#define SITREP_ALERTMANAGER_PARSE_H

#include <stddef.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/alerts.h"

/* The raw labels of one alert, by fingerprint. */
struct am_raw {
	char *fingerprint;
	struct action_param *labels; /* raw, unsanitized; never drawn */
	size_t nlabels;
};

/* Parses GET /api/v2/alerts. Returns 0 with *out (sorted) and raw[0..*nraw)
 * set, or -1 with *error (sanitized, caller frees). raw may be NULL. */
int am_parse_alerts(const char *body, size_t len, long http_status, struct alerts_data **out,
                    struct am_raw **raw, size_t *nraw, char **error);
void am_raw_free(struct am_raw *raw, size_t n);

/* The JSON body of POST /api/v2/silences with equality matchers. Caller frees. */
char *am_silence_body(const struct action_param *matchers, size_t n, time_t start, time_t end,
                      const char *created_by, const char *comment);
/* Parses the answer to POST /api/v2/silences: 0 with *id, or -1 with *error
 * (both sanitized, caller frees). */
int am_parse_silence_reply(const char *body, size_t len, long http_status, char **id, char **error);

/* "2026-11-22T01:45:42.117Z" (or with +hh:mm) -> time_t; 0 when malformed. */
time_t am_parse_time(const char *text);

#endif
