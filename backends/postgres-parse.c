/* postgres-parse: see postgres-parse.h. Every string that enters the model
 * passes the sanitizer here; the raw query text is read only to group it. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/dbrows.h"
#include "backends/postgres-parse.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

/* A row's query is drawn on one line; longer text is behind Enter. */
#define POSTGRES_LINE_MAX 512

/* Waiting sessions only call pg_blocking_pids (it takes the lock manager's
 * locks for a moment); query_id exists from 14 on. Another role's session
 * shows no backend_type to a login without pg_read_all_stats: it is kept
 * (and counted as hidden) when it has a user. */
#define POSTGRES_SQL_HEAD                                                                                    \
	"SELECT a.pid, a.usename::text, a.application_name,"                                                 \
	" coalesce(host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local' END),"                     \
	" a.state, a.wait_event_type || ':' || a.wait_event,"                                                \
	" extract(epoch FROM clock_timestamp() - a.query_start),"                                            \
	" extract(epoch FROM clock_timestamp() - a.xact_start),"                                             \
	" floor(extract(epoch FROM a.query_start) * 1000),"                                                  \
	" a.query,"                                                                                          \
	" CASE WHEN a.wait_event_type = 'Lock' THEN pg_blocking_pids(a.pid) END,"
#define POSTGRES_SQL_TAIL                                                                                    \
	", a.backend_start::text, a.query_start::text, a.datname::text"                                      \
	" FROM pg_stat_activity a"                                                                           \
	" WHERE a.pid <> pg_backend_pid()"                                                                   \
	" AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.usesysid IS NOT NULL));\n" \
	"SELECT sum(xact_commit + xact_rollback)::float8, extract(epoch FROM clock_timestamp())"             \
	" FROM pg_stat_database;"

const char *postgres_activity_sql(int server_version)
{
	return server_version >= 140000 ? POSTGRES_SQL_HEAD " a.query_id::text" POSTGRES_SQL_TAIL
	                                : POSTGRES_SQL_HEAD " NULL::text" POSTGRES_SQL_TAIL;
}

bool postgres_valid_pid(const char *text, int *pid)
{
	return dbrows_id(text, pid);
}

bool postgres_valid_query_id(const char *text)
{
	if (text == NULL)
		return false;
	const char *p = text + (*text == '-');
	if (*p == '\0' || strlen(p) > 19)
		return false;
	for (; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	(void)strtoll(text, NULL, 10);
	return errno == 0;
}

int postgres_parse_pids(const char *text, int **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (text == NULL)
		return 0;
	size_t len = strlen(text);
	if (len < 2 || text[0] != '{' || text[len - 1] != '}')
		return -1;
	const char *p = text + 1;
	while (*p != '}') {
		char *end;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (end == p || errno != 0 || v <= 0 || v > INT_MAX || (*end != ',' && *end != '}')) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = (int)v;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

int postgres_parse_session(struct database_data *d, const char *const *v, bool by_query_id)
{
	int pid;
	if (!postgres_valid_pid(v[PG_COL_PID], &pid))
		return -1;
	d->total++;
	const char *query = v[PG_COL_QUERY] != NULL ? v[PG_COL_QUERY] : "";
	if (strcmp(query, POSTGRES_NO_PRIVILEGE) == 0 && v[PG_COL_STATE] == NULL) {
		d->hidden++;
		return 0;
	}
	const char *state = v[PG_COL_STATE] != NULL ? v[PG_COL_STATE] : "";
	if (strcmp(state, "idle") == 0 || *state == '\0')
		return 0;
	d->queries = xrealloc(d->queries, (d->nqueries + 1) * sizeof(*d->queries));
	struct db_query *q = &d->queries[d->nqueries++];
	memset(q, 0, sizeof(*q));
	q->pid = pid;
	q->user = dbrows_text(v[PG_COL_USER]);
	q->application = dbrows_text(v[PG_COL_APP]);
	q->client = dbrows_text(v[PG_COL_CLIENT]);
	q->state = dbrows_text(state);
	q->wait_event = dbrows_text(v[PG_COL_WAIT]);
	q->database = dbrows_text(v[PG_COL_DATABASE]);
	q->query = dbrows_one_line(query, POSTGRES_LINE_MAX);
	q->query_full = dbrows_text(query);
	q->duration_s = dbrows_number(v[PG_COL_DURATION], -1);
	q->xact_s = dbrows_number(v[PG_COL_XACT], -1);
	double start = dbrows_number(v[PG_COL_START_MS], 0);
	q->started_ms =
	    start > 0 && start < 1e16 ? (int64_t)start : 0; /* past 1e16 ms: not a time (and no int64) */
	/* the identity goes back into SQL: kept only when it is a timestamp */
	if (database_valid_timestamp(v[PG_COL_BACKEND_START]))
		q->session_start = xstrdup(v[PG_COL_BACKEND_START]);
	if (database_valid_timestamp(v[PG_COL_QUERY_START]))
		q->query_start = xstrdup(v[PG_COL_QUERY_START]);
	if (postgres_parse_pids(v[PG_COL_BLOCKING], &q->blocked_by, &q->nblocked_by) != 0)
		q->nblocked_by = 0;
	q->waiting = v[PG_COL_WAIT] != NULL && strncmp(v[PG_COL_WAIT], "Lock:", 5) == 0;
	const char *id = v[PG_COL_QUERY_ID];
	if (by_query_id && id != NULL && strcmp(id, "0") != 0 && postgres_valid_query_id(id)) {
		q->group = xstrdup(id);
	} else if (*query != '\0') {
		char *n = database_normalise(query, strlen(query));
		char key[24];
		database_text_group(n, key, sizeof(key));
		q->group = xstrdup(key);
		free(n);
	} else {
		q->group = xstrdup("");
	}
	return 0;
}

char *postgres_signal_sql(const struct db_target *t, size_t n, bool terminate)
{
	const char *fn = terminate ? "pg_terminate_backend" : "pg_cancel_backend";
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		if (t[i].pid <= 0 || !database_valid_timestamp(t[i].session) ||
		    (t[i].query != NULL && !database_valid_timestamp(t[i].query))) {
			free(out);
			return NULL;
		}
		char *query = !terminate && t[i].query != NULL
		                  ? xasprintf(" AND query_start = '%s'", t[i].query)
		                  : xstrdup("");
		char *next = xasprintf("%s%sSELECT pid, %s(pid) FROM pg_stat_activity WHERE pid = %d AND "
		                       "backend_start = '%s'%s;",
		                       out, i > 0 ? "\n" : "", fn, t[i].pid, t[i].session, query);
		free(query);
		free(out);
		out = next;
	}
	return out;
}

char *postgres_lookup_sql(const struct db_target *t, size_t n)
{
	char *list = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%d", list, i > 0 ? ", " : "", t[i].pid);
		free(list);
		list = next;
	}
	char *out =
	    xasprintf("SELECT pid, backend_start::text, query_start::text, state FROM pg_stat_activity "
	              "WHERE pid IN (%s);",
	              list);
	free(list);
	return out;
}

bool postgres_target_running(const struct db_target *t, bool terminate, const char *pid,
                             const char *backend_start, const char *query_start, const char *state)
{
	int p;
	if (!postgres_valid_pid(pid, &p) || p != t->pid || backend_start == NULL ||
	    strcmp(backend_start, t->session) != 0)
		return false; /* another session, maybe on the same pid */
	if (terminate)
		return true;
	if (t->query != NULL && (query_start == NULL || strcmp(query_start, t->query) != 0))
		return false; /* the session runs another query now */
	return state != NULL && strcmp(state, "active") == 0;
}
