/* postgres-parse: rows of sitrep's pg_stat_activity query into the database
 * model, and the SQL sitrep sends (the activity query for a server version,
 * the cancel and terminate statements). Pure functions on text as libpq
 * returns it (NULL for SQL NULL), unit-tested and fuzzed without a server. */
#ifndef SITREP_POSTGRES_PARSE_H
#define SITREP_POSTGRES_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/dbtarget.h"
#include "sitrep/kinds/database.h"
#include "sitrep/kinds/database.h"

/* The columns of postgres_activity_sql, in order. */
enum postgres_col {
	PG_COL_PID,
	PG_COL_USER,
	PG_COL_APP,
	PG_COL_CLIENT,
	PG_COL_STATE,
	PG_COL_WAIT,
	PG_COL_DURATION,
	PG_COL_XACT,
	PG_COL_START_MS,
	PG_COL_QUERY,
	PG_COL_BLOCKING,
	PG_COL_QUERY_ID,
	PG_COL_BACKEND_START, /* exact text (ISO, UTC: the setup pins DateStyle and TimeZone) */
	PG_COL_QUERY_START,
	PG_COL_DATABASE, /* datname: for the dialogs, which say where a query runs */
	PG_NCOLS
};

/* What the server shows in place of another role's query. */
#define POSTGRES_NO_PRIVILEGE "<insufficient privilege>"

/* The activity query (sessions but sitrep's own, client backends only) for
 * a server_version_num; then the transaction counter query. Static text. */
const char *postgres_activity_sql(int server_version);

/* Adds one row (values[PG_NCOLS], NULL for SQL NULL) to d: counts it in
 * total, and in hidden when its query is another role's; idle sessions are
 * counted only; the rest become queries. by_query_id: group by the query_id
 * column when it is set. 0, or -1 when the row is malformed (no pid). */
int postgres_parse_session(struct database_data *d, const char *const *values, bool by_query_id);

/* A PostgreSQL int array "{1,2,3}" into *out (caller frees); 0, or -1. */
int postgres_parse_pids(const char *text, int **out, size_t *n);
/* A pid or query_id as the user typed it: digits only (query_id: an
 * optional '-'), no overflow. */
bool postgres_valid_pid(const char *text, int *pid);
bool postgres_valid_query_id(const char *text);

/* A target (dbengine.h) is a session an action names: a pid alone can be
 * reused (the next backend may get it); pid + backend_start cannot, and a
 * cancel also names the query by its query_start. The timestamps are the
 * exact text the server gave, checked by database_valid_timestamp before
 * they reach SQL. */

/* The statements that cancel (or terminate) each target, one per line. Each
 * re-checks the identity in the statement that acts, so a session that
 * ended meanwhile (and a new one that got its pid) is not touched:
 *   SELECT pid, pg_cancel_backend(pid) FROM pg_stat_activity
 *    WHERE pid = 4242 AND backend_start = '...' AND query_start = '...';
 * One answer per statement: a row (pid, t/f) when it matched, none when the
 * target had ended. Caller frees; NULL when a timestamp is not one. */
char *postgres_signal_sql(const struct db_target *t, size_t n, bool terminate);
/* The read that finds the targets again after the signal (verification):
 * pid, backend_start, query_start, state. Caller frees. */
char *postgres_lookup_sql(const struct db_target *t, size_t n);
/* Whether a row of that read (text, NULL for SQL NULL) is the target still
 * doing what it was asked to stop: the same session (terminate), or the same
 * session still running the same query (cancel). */
bool postgres_target_running(const struct db_target *t, bool terminate, const char *pid,
                             const char *backend_start, const char *query_start, const char *state);

#endif
