/* database: the data model of a database pane (kind "database"), the same
 * for every engine (the postgres and mysql sources fill it). What an
 * on-call needs from the server's session list at a glance: sessions by
 * state, the queries running longest first, the same query grouped (the
 * storm), who blocks whom as a tree of edges (root blocker first) and
 * transactions per second; what the login cannot see is the engine's own
 * note. Every string is sanitized and one line; the full query text is kept
 * beside it for Enter. */
#ifndef SITREP_DATABASE_H
#define SITREP_DATABASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kind_ops;
struct pane_ops;

/* A session that is doing something (not idle): active, idle in
 * transaction, or waiting. */
struct db_query {
	int pid; /* the engine's session number: PostgreSQL's backend pid, MySQL's connection id */
	char *user, *application, *client;
	char *database;     /* the database it runs in ("" unknown), sanitized */
	char *state;        /* "active", "idle in transaction", ... (the engine's words mapped to these) */
	char *wait_event;   /* what it waits on ("Lock:transactionid", "User sleep"), "" when nothing */
	char *query;        /* one line (whitespace collapsed), sanitized */
	char *query_full;   /* as the server has it, sanitized */
	char *group;        /* the group key: the server's query id or digest, or "t" + text hash */
	double duration_s;  /* since the query started (-1 unknown) */
	double xact_s;      /* since the transaction started (-1 none) */
	int64_t started_ms; /* query_start, wall clock ms (0 unknown) */
	/* What names this session and its query for an action, as the server
	 * wrote them (never parsed or rounded: they go back into SQL), each
	 * passing database_valid_stamp; NULL unknown. PostgreSQL: backend_start
	 * and query_start; MariaDB: the server's start and the query id. */
	char *session_start, *query_start;
	bool waiting;    /* waits on a lock another session holds */
	int *blocked_by; /* the blocking edges: the sessions it waits for */
	size_t nblocked_by;
};

/* Active queries with the same group key. */
struct db_group {
	char *group;
	char *query; /* the normalised text, sanitized, one line */
	size_t count;
	double longest_s;
	int64_t first_started_ms; /* the oldest query_start of the group */
	size_t after_deploy;      /* how many started after the last deploy seen */
	int *pids;                /* longest first */
	size_t npids;
	char *plan; /* EXPLAIN of one session's query (storm groups, postgres), sanitized; NULL none */
};

/* One row of the blocking tree, in drawing order: a root blocker (depth 0),
 * then those it blocks, depth first. */
struct db_block {
	int pid;
	int depth;
	int *blocked_by; /* empty for a root */
	size_t nblocked_by;
	size_t blocks; /* how many sessions wait behind it, transitively */
};

struct database_data {
	size_t active, idle_in_transaction, waiting, total;
	size_t hidden;            /* sessions of other roles the login cannot see */
	double oldest_xact_s;     /* the oldest open transaction, -1 none */
	double tps;               /* transactions per second, NAN before the second sample */
	const char *engine;       /* "postgresql", "mariadb", "mysql" (static text) */
	int server_version;       /* the engine's version number: 150004, 101119, 80036 */
	char *role;               /* the login */
	char *privilege;          /* the engine's own note on what the login cannot see or do
	                             and the GRANT that fixes it; NULL: nothing hidden */
	bool by_query_id;         /* groups use the server's query id (or digest) */
	struct db_query *queries; /* longest first */
	size_t nqueries;
	struct db_group *groups; /* largest first, then longest */
	size_t ngroups;
	struct db_block *blocking;
	size_t nblocking;
	size_t storm_min;  /* a group this large is a storm (the pane's "storm_count") */
	char *deploy;      /* the last deploy seen on the bus, NULL none */
	int64_t deploy_ms; /* its wall-clock time */
};

/* Allocates an empty model (tps NAN); free with database_data_free. */
struct database_data *database_data_new(void);
void database_data_free(void *data);
/* Fills groups, the blocking tree and the counts from queries (sorting them
 * longest first). The deploy fields and storm_min must be set before. */
void database_build(struct database_data *d);
/* The normalised form of a query: literals, numbers and IN lists become ?,
 * comments go, whitespace collapses. Caller frees. */
char *database_normalise(const char *query, size_t len);
/* "t" and 16 hex digits of the normalised text's hash, into buf (>= 18). */
void database_text_group(const char *normalised, char *buf, size_t cap);
/* The group with this key, or NULL. */
const struct db_group *database_group(const struct database_data *d, const char *key);
/* The session with this pid, or NULL. */
const struct db_query *database_query(const struct database_data *d, int pid);
/* The largest group at or above storm_min, NULL when there is no storm. */
const struct db_group *database_storm(const struct database_data *d);
/* The engine's note ("12 sessions of other roles hidden: GRANT
 * pg_read_all_stats TO app"), or NULL when the login sees every session.
 * Caller frees. */
char *database_privilege_note(const struct database_data *d);
/* A session's identity as an action's selection carries it: a session
 * number can be reused by the next session, the number and the session's
 * stamp cannot, and the query's stamp names the query a cancel stops.
 * "PID@SESSION@QUERY" with the server's exact text (QUERY may be empty). */
/* Caller frees; NULL when q's stamp is not known (another role's session). */
char *database_identity(const struct db_query *q);
/* Caller frees; NULL when a stamp is not one (database_valid_stamp). */
char *database_identity_format(int pid, const char *session_start, const char *query_start);
/* Splits an identity into its parts (*session_start and *query_start
 * allocated, *query_start NULL when empty). 0, or -1 when text is not one. */
int database_identity_parse(const char *text, int *pid, char **session_start, char **query_start);
/* A timestamp as PostgreSQL writes one with DateStyle ISO:
 * "2024-05-01 12:34:56.123456+00" (fraction and offset minutes optional).
 * Only these characters can pass, so one can go into SQL in quotes. */
bool database_valid_timestamp(const char *text);
/* A stamp of an identity: such a timestamp, or a number of 1 to 20 digits
 * (MariaDB's query id, the server's start in seconds). Safe in SQL. */
bool database_valid_stamp(const char *text);
/* "2m", "45s", "1h" for a duration in seconds; "-" when negative. */
void database_duration(double s, char *buf, size_t cap);

extern const struct kind_ops kind_database;
/* The pane that draws it (tui/pane-database.c). */
extern const struct pane_ops pane_database;

/* The database kind's verbs (kinds/kind-database.c). */
extern const struct verb kind_database_cancel;
extern const struct verb kind_database_terminate;

#endif
