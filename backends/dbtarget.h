/* dbtarget: a session an action of the database kind names, and what became
 * of it. Shared by the engines' pure SQL builders (postgres-parse.c,
 * mysql-parse.c) and the action machinery (dbaction.c); no libuv here, so
 * the parsers' tests and fuzz targets need nothing else. */
#ifndef SITREP_BACKENDS_DBTARGET_H
#define SITREP_BACKENDS_DBTARGET_H

/* A session an action names: what cannot be reused once it has ended. The
 * two stamps are the engine's exact text (never parsed, never rounded),
 * checked by database_valid_stamp before they reach SQL: PostgreSQL's
 * backend_start and query_start, MariaDB's server start and query id. */
struct db_target {
	int pid;
	char *session; /* the session's stamp */
	char *query;   /* NULL: the session's query is not named (terminate) */
};

/* What became of one target of a signal. */
enum db_fate { DB_FATE_SENT, DB_FATE_ENDED, DB_FATE_REFUSED };

#endif
