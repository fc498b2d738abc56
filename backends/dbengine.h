/* dbengine: what every database engine of the "database" kind shares, and
 * the table an engine fills to get it. An engine (postgres.c, mysql.c) only
 * opens its connection, sends SQL and turns its answers into rows of text
 * (dbrows.h); the rest is written once:
 *  - dbengine.c: the connection's life (down, opening, connecting, ready,
 *    busy), the queue of jobs run one at a time, the deadlines (connect,
 *    answer), the backoff after a drop, the refresh (sessions, the last
 *    deploy, tps from a counter's delta), start and stop;
 *  - dbaction.c: cancel and terminate: the targets named by identity, the
 *    prepared statements shown in the dialog, the signal, the look again
 *    until the query or session is gone, the outcome in words, the newer
 *    sessions of a group counted.
 * An engine embeds struct dbengine in its own state and reaches that state
 * through e->engine. This is a backend's private header: core and tui never
 * see it. */
#ifndef SITREP_BACKENDS_DBENGINE_H
#define SITREP_BACKENDS_DBENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "backends/dbrows.h"
#include "backends/dbtarget.h"
#include "sitrep/kinds/database.h"

struct source;
struct action;
struct config_ctx;
struct jnode;
struct dbengine;
struct dbengine_act;

enum dbengine_state {
	DBENGINE_DOWN,
	DBENGINE_OPENING,    /* the engine's own steps before a socket (settings, names) */
	DBENGINE_CONNECTING, /* a socket, the handshake */
	DBENGINE_READY,
	DBENGINE_BUSY /* the head job was sent */
};

/* A job's answer: one table per statement, in order; err set (one line,
 * sanitized) when the job failed. The rows are the job's: a callback that
 * keeps one sets res[i] to NULL. */
typedef void (*dbengine_job_cb)(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                void *arg);

struct dbengine_ops {
	const char *name; /* "postgresql", "mariadb": the JSON's "engine" */
	/* What a session is called in messages: "pid" (PostgreSQL's backend
	 * pid), "connection" (MySQL's connection id). */
	const char *noun;
	/* --- the connection (the engine's) --- */
	/* Begins opening: ends, now or later, in dbengine_connected (the setup
	 * job runs first) or dbengine_drop. Nothing on the loop may block. */
	void (*open)(struct dbengine *e);
	/* Sends sql on the ready connection: each statement's rows come back
	 * through dbengine_result, the end through dbengine_answered, a broken
	 * connection through dbengine_drop. one: the job asked for exactly one
	 * statement (PostgreSQL: the extended protocol, which refuses a second
	 * one); an engine without such a way never gets a job that asks. */
	void (*send)(struct dbengine *e, const char *sql, bool one);
	/* Closes the engine's connection, its handles and what it set up to
	 * open one; no callback runs afterwards. */
	void (*close)(struct dbengine *e);
	/* Optional: what the deadline says in DBENGINE_OPENING (caller frees). */
	char *(*late)(struct dbengine *e);
	/* --- the answers --- */
	/* The refresh's statements for the open connection (caller frees). */
	char *(*activity_sql)(struct dbengine *e);
	/* The refresh's answer as a model of sessions (no deploy, no tps);
	 * NULL when it is not the expected shape. Caller frees. */
	struct database_data *(*model)(struct dbengine *e, struct dbrows **res, size_t nres);
	/* Optional: the model built (groups known), before it is published,
	 * with the same answer: the engine may add to d and queue jobs
	 * (PostgreSQL: EXPLAIN of a storm's query). */
	void (*built)(struct dbengine *e, struct database_data *d, struct dbrows **res, size_t nres);
	/* The counter tps is the rate of, and the server's clock (s), from the
	 * same answer; -1 when there is none. */
	int (*counter)(struct dbengine *e, struct dbrows **res, size_t nres, double *value, double *time);
	/* --- actions --- */
	/* Optional: -1 with err when this server cannot be acted on safely. */
	int (*can_act)(struct dbengine *e, char *err, size_t cap);
	/* The statements that signal each target, re-checking its identity in
	 * the statement that acts; NULL when a stamp is not one. Caller frees. */
	char *(*signal_sql)(const struct db_target *t, size_t n, bool terminate);
	/* The signal's answer: each target's fate; -1 when it is not the
	 * expected shape. */
	int (*fates)(struct dbrows **res, size_t nres, size_t n, enum db_fate *fates);
	/* The read that finds targets again: four columns (session number, its
	 * stamp, the query's stamp, state). Caller frees. */
	char *(*lookup_sql)(const struct db_target *t, size_t n);
	/* Whether a row of that read is the target still doing what it was
	 * asked to stop. */
	bool (*running)(const struct db_target *t, bool terminate, const char *const *row);
	/* Optional: whether two session stamps name the same session (NULL:
	 * the same text). */
	bool (*same_session)(const char *a, const char *b);
	/* A session number as the user typed it. */
	bool (*valid_pid)(const char *text, int *pid);
	/* What to grant so the login can name every session: "GRANT
	 * pg_read_all_stats", "GRANT PROCESS". */
	const char *grant;
};

struct dbengine_job {
	char *sql; /* NULL: the activity query, built when it runs */
	dbengine_job_cb done;
	void *arg;
	bool one;     /* exactly one statement (ops->send): nothing can ride along */
	bool in_xact; /* runs in the transaction the job before it opened: never
	                 sent when that job failed (its done gets the error) */
	struct dbengine_job *next;
};

/* One job of a row queued at once (dbengine_enqueue_row): sql owned. */
struct dbengine_step {
	char *sql;
	dbengine_job_cb done;
	void *arg;
	bool one, in_xact; /* as in struct dbengine_job */
};

struct dbengine {
	const struct dbengine_ops *ops;
	void *engine; /* the engine's own state */
	struct source *src;
	double connect_timeout_ms, query_timeout_ms;
	size_t storm_min;

	enum dbengine_state state;
	uv_timer_t *deadline;                  /* connect or answer */
	struct dbengine_job *jobs, *jobs_tail; /* the head runs when BUSY */
	struct dbrows **res;                   /* the head job's answer so far */
	size_t nres;
	char *res_err; /* the first statement that failed */
	char *last_error;
	uint64_t backoff_ms, retry_at_ms;

	int server_version;
	char *role;
	double last_count, last_count_t; /* counter and server time of the last sample */
	bool have_count;

	bool started; /* by the dashboard or --once (not `sitrep do`) */
	bool stopping;
	struct dbengine_act *acts;
};

/* Reads the keys every engine has (connect_timeout_seconds,
 * query_timeout_seconds, storm_count) and ties e to its engine. 0 or -1. */
int dbengine_init(struct dbengine *e, const struct dbengine_ops *ops, void *engine, struct source *src,
                  struct config_ctx *ctx, struct jnode *node);
/* The source's start, refresh, stop and the end of destroy. */
int dbengine_start(struct dbengine *e);
void dbengine_refresh(struct dbengine *e);
void dbengine_stop(struct dbengine *e);
void dbengine_free(struct dbengine *e);

/* Queues a job (sql owned; NULL: the activity query) and runs the queue. */
void dbengine_enqueue(struct dbengine *e, char *sql, dbengine_job_cb done, void *arg);
/* Queues n jobs in a row, all before the queue runs, so no other job comes
 * between them (a transaction: its start, what runs in it, its end). */
void dbengine_enqueue_row(struct dbengine *e, const struct dbengine_step *steps, size_t n);
/* The connection is open: the setup job (sql owned) runs before the queue. */
void dbengine_connected(struct dbengine *e, char *setup_sql, dbengine_job_cb done);
/* A statement's rows (owned by e from here), or its error. */
void dbengine_result(struct dbengine *e, struct dbrows *rows, const char *err);
/* The head job's answer is complete. */
void dbengine_answered(struct dbengine *e);
/* Drops the connection: closed, backoff doubled, every queued job failed
 * with the message (one line, sanitized). */
void dbengine_drop(struct dbengine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Starts (or moves) the deadline of the current step. */
void dbengine_deadline(struct dbengine *e, double ms);
void dbengine_deadline_stop(struct dbengine *e);
/* An engine's message on one line, sanitized. Caller frees. */
char *dbengine_one_line(const char *text);

/* The source's prepare and act for cancel and terminate (dbaction.c). */
int dbengine_prepare(struct dbengine *e, struct action *a, char *err, size_t cap);
int dbengine_act(struct dbengine *e, const struct action *action);
/* Ends every action in flight as unknown (stop). */
void dbengine_acts_end(struct dbengine *e);
/* The lookup's rows for a bare session number into a target (dbaction.c). */
void dbengine_targets_free(struct db_target *t, size_t n);

#endif
