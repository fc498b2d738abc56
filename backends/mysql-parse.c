/* mysql-parse: see mysql-parse.h. Every string that enters the model passes
 * the sanitizer here; the raw statement text is read only to group it.
 *
 * Sessions come from information_schema.PROCESSLIST (both engines have it;
 * MariaDB adds TIME_MS and QUERY_ID), transactions from INNODB_TRX, lock
 * waits from INNODB_LOCK_WAITS (MariaDB) or performance_schema's
 * data_lock_waits (MySQL 8), all of which need PROCESS: without it the
 * login sees its own sessions only, and the lock tables are not asked. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/dbrows.h"
#include "backends/mysql-parse.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

/* A row's statement is drawn on one line; longer text is behind Enter. */
#define MYSQL_LINE_MAX 512

/* The server's start, in seconds, read from its uptime. */
#define MYSQL_BOOT(status)                                                                                   \
	"CAST(UNIX_TIMESTAMP() - (SELECT VARIABLE_VALUE FROM " status " WHERE VARIABLE_NAME = 'Uptime') AS " \
	"SIGNED)"
#define MYSQL_STATUS_MARIADB "information_schema.GLOBAL_STATUS"
#define MYSQL_STATUS_MYSQL   "performance_schema.global_status"

/* Background threads of the server are not sessions. */
#define MYSQL_CLIENTS                                                                                        \
	" WHERE p.ID <> CONNECTION_ID() AND p.COMMAND NOT IN ('Daemon', 'Binlog Dump', 'Binlog Dump GTID')"  \
	" AND p.USER NOT IN ('system user', 'event_scheduler')"

char *mysql_setup_sql(bool mariadb, double statement_timeout_ms)
{
	/* MariaDB bounds every statement (seconds); MySQL bounds SELECTs (ms). */
	char *bound = mariadb
	                  ? xasprintf("SET SESSION max_statement_time = %.3f", statement_timeout_ms / 1000)
	                  : xasprintf("SET SESSION MAX_EXECUTION_TIME = %.0f", statement_timeout_ms);
	char *out =
	    xasprintf("%s;\nSELECT VERSION(), CURRENT_USER(), @@performance_schema, %s,"
	              " (SELECT GROUP_CONCAT(PRIVILEGE_TYPE) FROM information_schema.USER_PRIVILEGES"
	              " WHERE GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',"
	              " SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))",
	              bound, mariadb ? MYSQL_BOOT(MYSQL_STATUS_MARIADB) : MYSQL_BOOT(MYSQL_STATUS_MYSQL));
	free(bound);
	return out;
}

char *mysql_activity_sql(const struct mysql_server *s)
{
	const char *status = s->mariadb ? MYSQL_STATUS_MARIADB : MYSQL_STATUS_MYSQL;
	/* MariaDB times the current command in ms; MySQL in whole seconds. */
	const char *xact = s->process ? "UNIX_TIMESTAMP(NOW(6)) - UNIX_TIMESTAMP(t.trx_started)" : "NULL";
	char *times =
	    s->mariadb
	        ? xasprintf(" p.TIME_MS / 1000, %s, FLOOR(UNIX_TIMESTAMP(NOW(3)) * 1000 - p.TIME_MS),", xact)
	        : xasprintf(" p.TIME, %s, (UNIX_TIMESTAMP() - p.TIME) * 1000,", xact);
	const char *digest = s->digests
	                         ? " (SELECT s.DIGEST FROM performance_schema.events_statements_current s"
	                           " JOIN performance_schema.threads th ON th.THREAD_ID = s.THREAD_ID"
	                           " WHERE th.PROCESSLIST_ID = p.ID ORDER BY s.NESTING_EVENT_LEVEL"
	                           " LIMIT 1),"
	                         : " NULL,";
	const char *trx =
	    s->process ? " LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID" : "";
	const char *edges;
	if (!s->process)
		edges = "SELECT NULL, NULL FROM DUAL WHERE FALSE";
	else if (s->mariadb)
		edges = "SELECT r.trx_mysql_thread_id, b.trx_mysql_thread_id FROM "
		        "information_schema.INNODB_LOCK_WAITS w"
		        " JOIN information_schema.INNODB_TRX r ON r.trx_id = w.requesting_trx_id"
		        " JOIN information_schema.INNODB_TRX b ON b.trx_id = w.blocking_trx_id";
	else
		edges = "SELECT r.PROCESSLIST_ID, b.PROCESSLIST_ID FROM performance_schema.data_lock_waits w"
		        " JOIN performance_schema.threads r ON r.THREAD_ID = w.REQUESTING_THREAD_ID"
		        " JOIN performance_schema.threads b ON b.THREAD_ID = w.BLOCKING_THREAD_ID";
	char *out = xasprintf("SELECT p.ID, p.USER, p.DB, p.HOST, p.COMMAND, p.STATE,%s p.INFO,%s %s"
	                      " FROM information_schema.PROCESSLIST p%s" MYSQL_CLIENTS ";\n"
	                      "%s;\n"
	                      "SELECT (SELECT VARIABLE_VALUE FROM %s WHERE VARIABLE_NAME = 'Questions'),"
	                      " UNIX_TIMESTAMP(NOW(6)),"
	                      " (SELECT VARIABLE_VALUE FROM %s WHERE VARIABLE_NAME = 'Threads_connected')",
	                      times, digest, s->mariadb ? "p.QUERY_ID" : "NULL", trx, edges, status, status);
	free(times);
	return out;
}

bool mysql_valid_id(const char *text, int *id)
{
	return dbrows_id(text, id);
}

static bool mysql_digits(const char *text, size_t max)
{
	size_t n = text != NULL ? strlen(text) : 0;
	return n > 0 && n <= max && strspn(text, "0123456789") == n;
}

int mysql_parse_session(struct database_data *d, const char *const *v, const struct mysql_server *s)
{
	int id;
	if (!mysql_valid_id(v[MY_COL_ID], &id))
		return -1;
	d->total++;
	const char *command = v[MY_COL_COMMAND] != NULL ? v[MY_COL_COMMAND] : "";
	bool in_xact = v[MY_COL_XACT] != NULL;
	/* A session between statements is "Sleep"; inside a transaction it
	 * holds what the transaction locked, as PostgreSQL's "idle in
	 * transaction" does. */
	const char *state = strcmp(command, "Sleep") != 0 ? "active" : in_xact ? "idle in transaction" : NULL;
	if (state == NULL)
		return 0;
	d->queries = xrealloc(d->queries, (d->nqueries + 1) * sizeof(*d->queries));
	struct db_query *q = &d->queries[d->nqueries++];
	memset(q, 0, sizeof(*q));
	q->pid = id;
	q->user = dbrows_text(v[MY_COL_USER]);
	q->application = dbrows_text(v[MY_COL_DB]);
	q->database = dbrows_text(v[MY_COL_DB]); /* "" when the session has none (USE) */
	q->client = dbrows_text(v[MY_COL_HOST]);
	q->state = xstrdup(state);
	q->wait_event = dbrows_text(v[MY_COL_STATE]);
	const char *info = v[MY_COL_INFO] != NULL ? v[MY_COL_INFO] : "";
	q->query = dbrows_one_line(info, MYSQL_LINE_MAX);
	q->query_full = dbrows_text(info);
	bool active = strcmp(state, "active") == 0;
	q->duration_s = active ? dbrows_number(v[MY_COL_DURATION], -1) : -1;
	q->xact_s = dbrows_number(v[MY_COL_XACT], -1);
	double start = active ? dbrows_number(v[MY_COL_START_MS], 0) : 0;
	q->started_ms =
	    start > 0 && start < 1e16 ? (int64_t)start : 0; /* past 1e16 ms: not a time (and no int64) */
	/* The identity goes back into SQL: digits only. The server's start
	 * names the run (ids restart with it); the query id names the query. */
	if (s->mariadb && mysql_digits(s->boot, 20)) {
		q->session_start = xstrdup(s->boot);
		if (active && mysql_digits(v[MY_COL_QUERY_ID], 20))
			q->query_start = xstrdup(v[MY_COL_QUERY_ID]);
	}
	const char *digest = v[MY_COL_DIGEST];
	if (digest != NULL && *digest != '\0' && strlen(digest) <= 64 &&
	    strspn(digest, "0123456789abcdef") == strlen(digest)) {
		q->group = xstrdup(digest);
	} else if (*info != '\0') {
		char *n = database_normalise(info, strlen(info));
		char key[24];
		database_text_group(n, key, sizeof(key));
		q->group = xstrdup(key);
		free(n);
	} else {
		q->group = xstrdup("");
	}
	return 0;
}

int mysql_parse_edge(struct database_data *d, const char *waiter, const char *blocker)
{
	int w, b;
	if (!mysql_valid_id(waiter, &w) || !mysql_valid_id(blocker, &b) || w == b)
		return -1;
	for (size_t i = 0; i < d->nqueries; i++) {
		struct db_query *q = &d->queries[i];
		if (q->pid != w)
			continue;
		for (size_t k = 0; k < q->nblocked_by; k++)
			if (q->blocked_by[k] == b)
				return 0;
		q->blocked_by = xrealloc(q->blocked_by, (q->nblocked_by + 1) * sizeof(*q->blocked_by));
		q->blocked_by[q->nblocked_by++] = b;
		q->waiting = true;
		return 0;
	}
	return 0; /* a waiter this login does not see */
}

char *mysql_grantee(const char *current_user)
{
	const char *cu = current_user != NULL ? current_user : "";
	const char *at = strrchr(cu, '@');
	char *user = xstrndup(cu, at != NULL ? (size_t)(at - cu) : strlen(cu));
	char *u = sanitize_str(user);
	char *h = sanitize_str(at != NULL ? at + 1 : "%");
	char *out = xasprintf("'%s'@'%s'", u, h);
	free(user);
	free(u);
	free(h);
	return out;
}

char *mysql_privilege_note(const struct mysql_server *s, const char *user, size_t hidden, bool others_visible)
{
	char *who = mysql_grantee(user);
	char *out = NULL;
	if (!s->process)
		out =
		    hidden > 0
		        ? xasprintf("%zu session%s of other users hidden: GRANT PROCESS ON *.* TO %s", hidden,
		                    hidden == 1 ? "" : "s", who)
		        : xasprintf("other users' sessions are not visible: GRANT PROCESS ON *.* TO %s", who);
	else if (!s->kill_admin && others_visible)
		out = xasprintf("other users' queries cannot be stopped by this login: GRANT %s ON *.* TO %s",
		                s->mariadb ? "CONNECTION ADMIN" : "CONNECTION_ADMIN", who);
	free(who);
	return out;
}

/* The check that the server has not restarted since the identity was read
 * (connection ids and query ids start again at 1 with it). */
static char *mysql_boot_check(const char *boot)
{
	return xasprintf("(SELECT ABS(UNIX_TIMESTAMP() - VARIABLE_VALUE - %s) <= 2 FROM " MYSQL_STATUS_MARIADB
	                 " WHERE VARIABLE_NAME = 'Uptime')",
	                 boot);
}

char *mysql_signal_sql(const struct db_target *t, size_t n, bool terminate)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		if (t[i].pid <= 0 || !mysql_digits(t[i].session, 20) ||
		    (t[i].query != NULL && !mysql_digits(t[i].query, 20))) {
			free(out);
			return NULL;
		}
		bool by_query = !terminate && t[i].query != NULL;
		char *query = by_query ? xasprintf(" AND QUERY_ID = %s", t[i].query) : xstrdup("");
		char *kill = terminate  ? xasprintf("KILL CONNECTION %d", t[i].pid)
		             : by_query ? xasprintf("KILL QUERY ID %s", t[i].query)
		                        : xasprintf("KILL QUERY %d", t[i].pid);
		char *boot = mysql_boot_check(t[i].session);
		/* 1094: no such thread, 1957: no such query (it ended between the
		 * check and the kill); any other error is the server refusing. */
		char *next = xasprintf(
		    "%s%sBEGIN NOT ATOMIC DECLARE r INT DEFAULT 0;"
		    " DECLARE CONTINUE HANDLER FOR 1094, 1957 SET r = 0;"
		    " DECLARE CONTINUE HANDLER FOR SQLEXCEPTION SET r = 2;"
		    " IF EXISTS (SELECT 1 FROM information_schema.PROCESSLIST WHERE ID = %d%s) AND %s THEN"
		    " SET r = 1; %s; END IF; SELECT %d, r; END;",
		    out, i > 0 ? "\n" : "", t[i].pid, query, boot, kill, t[i].pid);
		free(query);
		free(kill);
		free(boot);
		free(out);
		out = next;
	}
	return out;
}

int mysql_fates(struct dbrows **res, size_t nres, size_t n, enum db_fate *fates)
{
	/* A compound statement answers its SELECT's rows, then an empty OK. */
	size_t k = 0;
	for (size_t i = 0; i < nres; i++) {
		if (res[i]->ncols == 0)
			continue;
		if (k >= n || res[i]->ncols != 2 || res[i]->nrows != 1)
			return -1;
		const char *r = dbrows_get(res[i], 0, 1);
		fates[k++] = r != NULL && strcmp(r, "1") == 0   ? DB_FATE_SENT
		             : r != NULL && strcmp(r, "0") == 0 ? DB_FATE_ENDED
		                                                : DB_FATE_REFUSED;
	}
	return k == n ? 0 : -1;
}

char *mysql_lookup_sql(const struct db_target *t, size_t n)
{
	char *list = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%d", list, i > 0 ? ", " : "", t[i].pid);
		free(list);
		list = next;
	}
	char *out =
	    xasprintf("SELECT ID, " MYSQL_BOOT(
	                  MYSQL_STATUS_MARIADB) ", QUERY_ID, COMMAND"
	                                        " FROM information_schema.PROCESSLIST WHERE ID IN (%s)",
	              list);
	free(list);
	return out;
}

bool mysql_same_boot(const char *a, const char *b)
{
	if (!mysql_digits(a, 20) || !mysql_digits(b, 20))
		return false;
	double x = strtod(a, NULL), y = strtod(b, NULL);
	return fabs(x - y) <= 2;
}

bool mysql_target_running(const struct db_target *t, bool terminate, const char *const *row)
{
	int id;
	if (!mysql_valid_id(row[0], &id) || id != t->pid || !mysql_same_boot(row[1], t->session))
		return false; /* another session (after a restart), maybe on the same id */
	if (terminate)
		return true;
	if (t->query != NULL && (row[2] == NULL || strcmp(row[2], t->query) != 0))
		return false; /* the session runs another query now */
	return row[3] != NULL && strcmp(row[3], "Sleep") != 0;
}
