/* postgres-explain: the plan of a storm's query, for the group's detail
 * (Enter on a ×N row): EXPLAIN, never ANALYZE, of one running session's
 * query text, in a read-only transaction with a statement timeout. Private
 * to the postgres source. */
#ifndef SITREP_POSTGRES_EXPLAIN_H
#define SITREP_POSTGRES_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/dbrows.h"

/* What runs before and after the EXPLAIN, our own constant text. */
#define POSTGRES_EXPLAIN_BEGIN                                                                               \
	"BEGIN READ ONLY; SET LOCAL statement_timeout = 2000; SET LOCAL lock_timeout = 500"
#define POSTGRES_EXPLAIN_ROLLBACK "ROLLBACK"

/* The EXPLAIN statement for a session's raw query text: options first, so
 * the text cannot turn ANALYZE on ("EXPLAIN (ANALYZE false, ...) text"); a
 * text that is not a read statement (SELECT, WITH, VALUES, TABLE) or that
 * holds a second statement is refused with the reason in err. It is sent
 * through the extended protocol (PQsendQueryParams), which takes one
 * statement only. NULL on refusal; caller frees. */
char *postgres_explain_sql(const char *query, char *err, size_t cap);
/* The plan's lines of an EXPLAIN answer (its first column, a row per
 * line), sanitized, one per line. Caller frees. */
char *postgres_explain_text(const struct dbrows *r);

/* The plans found, by group key (a bounded cache: the oldest goes). */
struct postgres_plans;
struct postgres_plans *postgres_plans_new(void);
void postgres_plans_free(struct postgres_plans *p);
/* Whether group needs an EXPLAIN (not asked yet); marks it asked. */
bool postgres_plans_want(struct postgres_plans *p, const char *group);
/* Stores the plan (or why there is none) of group, taken over. */
void postgres_plans_set(struct postgres_plans *p, const char *group, char *text);
/* The plan text of group: the plan, "waiting", or why not; NULL never asked. */
const char *postgres_plans_get(const struct postgres_plans *p, const char *group);

#endif
