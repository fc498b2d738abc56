/* mysql-parse: what the mysql source sends to MariaDB or MySQL and how it
 * reads the answers into the database model: the activity statements for
 * what the server has (MariaDB or MySQL 8, the PROCESS privilege,
 * performance_schema), a session row, a lock-wait edge, the status counter,
 * the KILL statements that re-check a session's identity in the step that
 * acts, and the read that verifies. Pure functions on text as Connector/C
 * returns it (NULL for SQL NULL): unit-tested and fuzzed without a server. */
#ifndef SITREP_MYSQL_PARSE_H
#define SITREP_MYSQL_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "backends/dbrows.h"
#include "backends/dbtarget.h"
#include "sitrep/kinds/database.h"

/* What the setup found out about the server and the login. */
struct mysql_server {
	bool mariadb;     /* MariaDB (else MySQL): QUERY_ID, TIME_MS, KILL QUERY ID, compound statements */
	bool process;     /* PROCESS: every user's sessions, InnoDB's lock waits */
	bool kill_admin;  /* CONNECTION ADMIN or SUPER: may kill other users' sessions */
	bool digests;     /* performance_schema on: group by statement digest */
	const char *boot; /* the server's start, seconds since the epoch (digits): a session's stamp */
};

/* The columns of the sessions statement, in order. */
enum mysql_col {
	MY_COL_ID,
	MY_COL_USER,
	MY_COL_DB,
	MY_COL_HOST,
	MY_COL_COMMAND,
	MY_COL_STATE,
	MY_COL_DURATION, /* seconds the current command has run */
	MY_COL_XACT,     /* seconds since the InnoDB transaction started, NULL none */
	MY_COL_START_MS, /* when the current command started, wall clock ms */
	MY_COL_INFO,     /* the statement's text */
	MY_COL_DIGEST,   /* performance_schema's digest, NULL when off */
	MY_COL_QUERY_ID, /* MariaDB's query id, NULL on MySQL */
	MY_NCOLS
};

/* The refresh: sessions (MY_NCOLS columns), the lock-wait edges (waiting
 * id, blocking id), then the counter (Questions, the server's clock in
 * seconds, Threads_connected). Caller frees. */
char *mysql_activity_sql(const struct mysql_server *s);
/* The setup after connecting: bounds sitrep's statements, then one row:
 * VERSION(), CURRENT_USER(), @@performance_schema, the server's start (s),
 * the login's global privileges (comma-separated). Caller frees. */
char *mysql_setup_sql(bool mariadb, double statement_timeout_ms);

/* Adds one session row (values[MY_NCOLS]) to d: counted in total; a
 * sleeping one outside a transaction is counted only; the rest become
 * queries. 0, or -1 when the row is malformed (no id). */
int mysql_parse_session(struct database_data *d, const char *const *values, const struct mysql_server *s);
/* Adds the edge "waiter waits for blocker" to the waiter's session. 0, or
 * -1 when either is not a connection id. */
int mysql_parse_edge(struct database_data *d, const char *waiter, const char *blocker);
/* The note on what the login cannot see or do, with the GRANT that fixes
 * it; NULL when nothing is missing. hidden: sessions the login cannot see.
 * Caller frees. */
char *mysql_privilege_note(const struct mysql_server *s, const char *user, size_t hidden,
                           bool others_visible);
/* 'user'@'host' for CURRENT_USER()'s "user@host" (sanitized). Caller frees. */
char *mysql_grantee(const char *current_user);

/* A connection id as typed or read: digits, no overflow. */
bool mysql_valid_id(const char *text, int *id);

/* The statements that kill each target, one per line, MariaDB only: a
 * compound statement that kills only when the session (id and the
 * server's start) and, for a cancel, its query (KILL QUERY ID: the query
 * id is never reused while the server runs) are still the ones named, and
 * answers one row (id, 0 ended / 1 killed / 2 refused). NULL when a stamp
 * is not one. Caller frees. */
char *mysql_signal_sql(const struct db_target *t, size_t n, bool terminate);
/* Each target's fate from that answer; -1 when it is not its shape. */
int mysql_fates(struct dbrows **res, size_t nres, size_t n, enum db_fate *fates);
/* The read that finds the targets again: id, the server's start, query
 * id, command. Caller frees. */
char *mysql_lookup_sql(const struct db_target *t, size_t n);
/* Whether a row of that read is the target still doing what it was asked
 * to stop. */
bool mysql_target_running(const struct db_target *t, bool terminate, const char *const *row);
/* Two server starts name the same run: read by two statements, they may
 * differ by the second that ticked between them. */
bool mysql_same_boot(const char *a, const char *b);

#endif
