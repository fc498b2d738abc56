/* mysql: the "database" pane fed by MariaDB or MySQL, one engine of the
 * shared database machinery (dbengine.h: the queue, backoff, refresh and
 * verify-after-act are written there once; mysql-parse.c has the SQL and
 * reads the answers). This file is what is MariaDB Connector/C's: one
 * connection, reused, driven by the library's non-blocking API on the libuv
 * loop. Each call (mysql_real_connect_start, mysql_real_query_start,
 * mysql_store_result_start, mysql_next_result_start) returns what it waits
 * for (MYSQL_WAIT_READ/WRITE/TIMEOUT); the connection's socket goes into a
 * uv_poll_t, the library's own timeout (mysql_get_timeout_value_ms) into a
 * uv_timer_t, and the matching _cont call runs when either fires. Nothing
 * blocks: stored results are read from memory, and a connection being
 * dropped has its socket shut down first, so mysql_close cannot wait on a
 * hung peer.
 *
 * Connector/C resolves a host name with a blocking getaddrinfo inside
 * mysql_real_connect_start; so a name is looked up first by the HTTP
 * client's resolver (a thread, with the connect timeout), as for
 * PostgreSQL, and the library gets each address in turn. "localhost" and
 * "socket" mean the Unix socket, as for the mysql client. Option files are
 * not read, LOAD DATA LOCAL is off (a server could otherwise ask for any
 * file this user can read), the server cannot pick an authentication method
 * that sends the password in clear or prompts on the terminal, and the
 * password comes from password_env / password_file only (registered with
 * the sanitizer). */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <mysql.h>

#include "backends/dbengine.h"
#include "backends/mysql-parse.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/database.h"
#include "sitrep/io/http.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* The authentication methods sitrep lets a server choose: each proves the
 * password without sending it (or, for sha256 and caching_sha2 without TLS,
 * sends it encrypted to the server's key). */
#define MY_AUTH_ALLOWED "mysql_native_password,client_ed25519,caching_sha2_password,sha256_password"

/* Which non-blocking call the connection is in. */
enum my_step { MY_STEP_NONE, MY_STEP_CONNECT, MY_STEP_QUERY, MY_STEP_STORE, MY_STEP_NEXT };

struct my_source {
	struct dbengine db; /* the shared part: queue, state, backoff, actions */
	char *host, *socket, *user, *database;
	char *password; /* config_get_secret; NULL: none */
	unsigned port;
	double statement_timeout_ms;

	/* opening */
	struct http_resolve *resolve;
	char **addrs; /* what the resolver found, tried in order */
	size_t naddrs, next_addr;
	char *connect_error; /* the last address's failure */

	MYSQL *conn;
	enum my_step step;
	uv_poll_t *poll;
	int poll_fd;
	uv_timer_t *wait; /* the library's own timeout for the current call */

	struct mysql_server server;
	char *boot;    /* server.boot's text */
	char *user_at; /* CURRENT_USER() */
};

static void my_free_handle(uv_handle_t *h)
{
	free(h);
}

/* --- config -------------------------------------------------------------- */

static const struct dbengine_ops my_engine;

static int my_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct my_source *ms = xcalloc(1, sizeof(*ms));
	src->data = ms;
	ms->poll_fd = -1;
	double port;
	if (config_get_string(ctx, node, "host", false, "localhost", &ms->host) != 0 ||
	    config_get_number(ctx, node, "port", false, 3306, 1, 65535, &port) != 0 ||
	    config_get_string(ctx, node, "socket", false, NULL, &ms->socket) != 0 ||
	    config_get_string(ctx, node, "user", true, NULL, &ms->user) != 0 ||
	    config_get_string(ctx, node, "database", false, NULL, &ms->database) != 0 ||
	    config_get_secret(ctx, node, "password_env", "password_file", &ms->password) != 0 ||
	    dbengine_init(&ms->db, &my_engine, ms, src, ctx, node) != 0 ||
	    config_get_number(ctx, node, "statement_timeout_ms", false, 500, 10, 60000,
	                      &ms->statement_timeout_ms) != 0)
		return -1;
	ms->port = (unsigned)port;
	if (ms->host[0] == '\0')
		return config_fail(ctx, jsonc_get(node, "host"),
		                   "an empty host (use \"localhost\" for the socket)");
	return 0;
}

/* --- the socket ------------------------------------------------------------ */

static void my_unwatch(struct my_source *ms)
{
	if (ms->poll != NULL && !uv_is_closing((uv_handle_t *)ms->poll))
		uv_close((uv_handle_t *)ms->poll, my_free_handle);
	ms->poll = NULL;
	ms->poll_fd = -1;
	if (ms->wait != NULL)
		uv_timer_stop(ms->wait);
}

static void my_free_addrs(struct my_source *ms)
{
	for (size_t i = 0; i < ms->naddrs; i++)
		free(ms->addrs[i]);
	free(ms->addrs);
	ms->addrs = NULL;
	ms->naddrs = ms->next_addr = 0;
}

/* Closes the library's connection without waiting on the peer: the socket
 * is shut down first, so the goodbye mysql_close sends fails at once. */
static void my_finish(struct my_source *ms)
{
	my_unwatch(ms);
	if (ms->conn != NULL) {
		int fd = (int)mysql_get_socket(ms->conn);
		if (fd >= 0)
			shutdown(fd, SHUT_RDWR);
		mysql_close(ms->conn);
	}
	ms->conn = NULL;
	ms->step = MY_STEP_NONE;
}

/* dbengine_ops.close */
static void my_close_conn(struct dbengine *e)
{
	struct my_source *ms = e->engine;
	http_resolve_cancel(ms->resolve);
	ms->resolve = NULL;
	my_finish(ms);
	my_free_addrs(ms);
	free(ms->connect_error);
	ms->connect_error = NULL;
}

static void my_on_io(uv_poll_t *h, int status, int events);
static void my_on_wait(uv_timer_t *t);

/* Waits for what the library asked (MYSQL_WAIT_* bits). */
static void my_wait(struct my_source *ms, int status)
{
	int fd = (int)mysql_get_socket(ms->conn);
	if (ms->poll != NULL && fd != ms->poll_fd)
		my_unwatch(ms);
	if (ms->poll == NULL && fd >= 0) {
		ms->poll = xcalloc(1, sizeof(*ms->poll));
		if (uv_poll_init(ms->db.src->loop, ms->poll, fd) != 0) {
			free(ms->poll);
			ms->poll = NULL;
			dbengine_drop(&ms->db, "cannot watch the connection's socket");
			return;
		}
		ms->poll->data = ms;
		ms->poll_fd = fd;
	}
	int events =
	    (status & MYSQL_WAIT_READ ? UV_READABLE : 0) | (status & MYSQL_WAIT_WRITE ? UV_WRITABLE : 0);
	if (ms->poll != NULL && events != 0 && uv_poll_start(ms->poll, events, my_on_io) != 0) {
		dbengine_drop(&ms->db, "cannot watch the connection's socket");
		return;
	}
	if (status & MYSQL_WAIT_TIMEOUT) {
		if (ms->wait == NULL) {
			ms->wait = xcalloc(1, sizeof(*ms->wait));
			uv_timer_init(ms->db.src->loop, ms->wait);
			ms->wait->data = ms;
		}
		uv_timer_start(ms->wait, my_on_wait, mysql_get_timeout_value_ms(ms->conn), 0);
	}
}

/* The server closed an idle connection (wait_timeout, a KILL, a restart):
 * it sends nothing else unasked. */
static void my_on_idle_io(uv_poll_t *h, int status, int events)
{
	(void)status, (void)events;
	struct my_source *ms = h->data;
	if (ms->db.state == DBENGINE_READY && ms->db.jobs == NULL)
		dbengine_drop(&ms->db, "connection lost (the server closed it)");
}

static void my_watch_idle(struct my_source *ms)
{
	if (ms->poll != NULL && uv_poll_start(ms->poll, UV_READABLE, my_on_idle_io) != 0)
		dbengine_drop(&ms->db, "cannot watch the connection's socket");
}

/* --- statements -------------------------------------------------------------- */

static void my_step(struct my_source *ms, int ready);

/* The library's error on a statement: the server's own (the connection
 * goes on) or the client's (2000 and up: the connection is gone). */
static bool my_statement_failed(struct my_source *ms)
{
	unsigned err = mysql_errno(ms->conn);
	if (err == 0)
		return false;
	if (err >= 2000) {
		dbengine_drop(&ms->db, "connection lost: %s", mysql_error(ms->conn));
		return true;
	}
	char *msg = xasprintf("ERROR %u: %s", err, mysql_error(ms->conn));
	dbengine_result(&ms->db, NULL, msg);
	free(msg);
	ms->step = MY_STEP_NONE;
	dbengine_answered(&ms->db);
	if (ms->conn != NULL && ms->db.state == DBENGINE_READY && ms->db.jobs == NULL)
		my_watch_idle(ms);
	return true;
}

/* A stored result as rows of text. */
static void my_take_result(struct my_source *ms, MYSQL_RES *res)
{
	if (res == NULL) {
		dbengine_result(&ms->db, dbrows_new(0), NULL); /* SET, KILL: no rows */
		return;
	}
	unsigned ncols = mysql_num_fields(res);
	struct dbrows *rows = dbrows_new(ncols);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(res)) != NULL)
		dbrows_add(rows, (const char *const *)row, mysql_fetch_lengths(res));
	mysql_free_result(res);
	dbengine_result(&ms->db, rows, NULL);
}

/* dbengine_ops.send (one is never asked of this engine: no job sets it) */
static void my_send(struct dbengine *e, const char *sql, bool one)
{
	(void)one;
	struct my_source *ms = e->engine;
	int err = 0;
	ms->step = MY_STEP_QUERY;
	int status = mysql_real_query_start(&err, ms->conn, sql, (unsigned long)strlen(sql));
	if (status != 0) {
		my_wait(ms, status);
		return;
	}
	my_step(ms, 0);
}

/* Runs the calls that follow one another until one has to wait. ready: what
 * the socket or timer said (0: the call has just returned). */
static void my_step(struct my_source *ms, int ready)
{
	for (;;) {
		int status = 0;
		switch (ms->step) {
		case MY_STEP_QUERY: {
			int err = 0;
			if (ready != 0)
				status = mysql_real_query_cont(&err, ms->conn, ready);
			else
				err = mysql_errno(ms->conn) != 0;
			if (status != 0)
				break;
			if (err != 0 && my_statement_failed(ms))
				return;
			ms->step = MY_STEP_STORE;
			MYSQL_RES *res = NULL;
			status = mysql_store_result_start(&res, ms->conn);
			if (status == 0) {
				if (res == NULL && mysql_field_count(ms->conn) != 0 &&
				    my_statement_failed(ms))
					return;
				my_take_result(ms, res);
				ms->step = MY_STEP_NEXT;
				ready = 0;
				continue;
			}
			break;
		}
		case MY_STEP_STORE: {
			MYSQL_RES *res = NULL;
			status = mysql_store_result_cont(&res, ms->conn, ready);
			if (status != 0)
				break;
			if (res == NULL && mysql_field_count(ms->conn) != 0 && my_statement_failed(ms))
				return;
			my_take_result(ms, res);
			ms->step = MY_STEP_NEXT;
			ready = 0;
			continue;
		}
		case MY_STEP_NEXT: {
			int rc = -1;
			if (ready == 0) {
				if (!mysql_more_results(ms->conn)) {
					ms->step = MY_STEP_NONE;
					dbengine_answered(&ms->db);
					if (ms->conn != NULL && ms->db.state == DBENGINE_READY &&
					    ms->db.jobs == NULL)
						my_watch_idle(ms);
					return;
				}
				status = mysql_next_result_start(&rc, ms->conn);
			} else {
				status = mysql_next_result_cont(&rc, ms->conn, ready);
			}
			if (status != 0)
				break;
			if (rc > 0 && my_statement_failed(ms))
				return;
			if (rc != 0) { /* -1: no more (mysql_more_results said otherwise) */
				ms->step = MY_STEP_NEXT;
				ready = 0;
				continue;
			}
			ms->step = MY_STEP_STORE;
			MYSQL_RES *res = NULL;
			status = mysql_store_result_start(&res, ms->conn);
			if (status != 0)
				break;
			if (res == NULL && mysql_field_count(ms->conn) != 0 && my_statement_failed(ms))
				return;
			my_take_result(ms, res);
			ms->step = MY_STEP_NEXT;
			ready = 0;
			continue;
		}
		default: return;
		}
		my_wait(ms, status);
		return;
	}
}

/* --- connecting -------------------------------------------------------------- */

static void my_setup_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg);
static void my_connect_next(struct my_source *ms);

static void my_connected(struct my_source *ms)
{
	const char *info = mysql_get_server_info(ms->conn);
	ms->server.mariadb = info != NULL && strstr(info, "MariaDB") != NULL;
	ms->db.server_version = (int)mysql_get_server_version(ms->conn);
	dbengine_connected(&ms->db, mysql_setup_sql(ms->server.mariadb, ms->statement_timeout_ms),
	                   my_setup_done);
}

/* Where a connect step left things: waiting on the socket (status, read
 * first: ret is set only when it is 0), failed (the next address), or
 * connected. */
static void my_connect_after(struct my_source *ms, int status, MYSQL *ret)
{
	if (status != 0) {
		my_wait(ms, status);
		return;
	}
	if (ret == NULL) {
		free(ms->connect_error);
		ms->connect_error = xstrdup(mysql_error(ms->conn));
		my_finish(ms);
		my_connect_next(ms);
		return;
	}
	ms->step = MY_STEP_NONE;
	my_connected(ms);
}

static void my_connect_step(struct my_source *ms, int ready)
{
	MYSQL *ret = NULL;
	int status = mysql_real_connect_cont(&ret, ms->conn, ready);
	my_connect_after(ms, status, ret);
}

static void my_on_io(uv_poll_t *h, int status, int events)
{
	struct my_source *ms = h->data;
	if (ms->conn == NULL)
		return;
	uv_poll_stop(h);
	if (ms->wait != NULL)
		uv_timer_stop(ms->wait);
	int ready =
	    (events & UV_READABLE ? MYSQL_WAIT_READ : 0) | (events & UV_WRITABLE ? MYSQL_WAIT_WRITE : 0);
	if (status < 0 || ready == 0)
		ready = MYSQL_WAIT_READ | MYSQL_WAIT_WRITE; /* let the library find out what happened */
	if (ms->step == MY_STEP_CONNECT)
		my_connect_step(ms, ready);
	else
		my_step(ms, ready);
}

static void my_on_wait(uv_timer_t *t)
{
	struct my_source *ms = t->data;
	if (ms->conn == NULL)
		return;
	if (ms->poll != NULL)
		uv_poll_stop(ms->poll);
	if (ms->step == MY_STEP_CONNECT)
		my_connect_step(ms, MYSQL_WAIT_TIMEOUT);
	else
		my_step(ms, MYSQL_WAIT_TIMEOUT);
}

/* Starts a connection to addr (NULL: the Unix socket). */
static void my_connect_to(struct my_source *ms, const char *addr)
{
	ms->conn = mysql_init(NULL);
	if (ms->conn == NULL) {
		dbengine_drop(&ms->db, "cannot connect: out of memory");
		return;
	}
	unsigned timeout = (unsigned)(ms->db.connect_timeout_ms / 1000 + 0.999);
	unsigned protocol = addr != NULL ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
	my_bool off = 0;
	mysql_options(ms->conn, MYSQL_OPT_NONBLOCK, 0);
	mysql_options(ms->conn, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(ms->conn, MYSQL_OPT_PROTOCOL, &protocol);
	mysql_options(ms->conn, MYSQL_OPT_LOCAL_INFILE, &off);
	mysql_options(ms->conn, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* The server names the authentication method: never one that sends the
	 * password in clear (mysql_clear_password) or asks questions on the
	 * terminal (dialog, which reads stdin: under the dashboard, on the loop). */
	mysql_optionsv(ms->conn, MARIADB_OPT_RESTRICTED_AUTH, MY_AUTH_ALLOWED);
	MYSQL *ret = NULL;
	ms->step = MY_STEP_CONNECT;
	ms->db.state = DBENGINE_CONNECTING;
	dbengine_deadline(&ms->db, ms->db.connect_timeout_ms);
	int status = mysql_real_connect_start(
	    &ret, ms->conn, addr, ms->user, ms->password, ms->database, ms->port,
	    addr == NULL ? (ms->socket != NULL ? ms->socket : "/run/mysqld/mysqld.sock") : NULL,
	    CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS);
	my_connect_after(ms, status, ret);
}

/* The next address of the host, or the last failure when none is left. */
static void my_connect_next(struct my_source *ms)
{
	if (ms->next_addr >= ms->naddrs) {
		char *why = ms->connect_error != NULL ? xstrdup(ms->connect_error) : xstrdup("no address");
		dbengine_drop(&ms->db, "cannot connect: %s", why);
		free(why);
		return;
	}
	char *addr = ms->addrs[ms->next_addr++];
	size_t al = strlen(addr);
	if (al >= 2 && addr[0] == '[' && addr[al - 1] == ']') {
		memmove(addr, addr + 1, al - 2);
		addr[al - 2] = '\0';
	}
	my_connect_to(ms, addr);
}

static void my_on_resolved(const char *addrs, const char *err, void *arg)
{
	struct my_source *ms = arg;
	ms->resolve = NULL;
	if (addrs == NULL) {
		dbengine_drop(&ms->db, "cannot connect: %s", err != NULL ? err : "resolving host: failed");
		return;
	}
	my_free_addrs(ms);
	const char *p = addrs;
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);
		ms->addrs = xrealloc(ms->addrs, (ms->naddrs + 1) * sizeof(*ms->addrs));
		ms->addrs[ms->naddrs++] = xstrndup(p, len);
		if (c == NULL)
			break;
		p = c + 1;
	}
	my_connect_next(ms);
}

static bool my_is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* dbengine_ops.open */
static void my_open(struct dbengine *e)
{
	struct my_source *ms = e->engine;
	my_free_addrs(ms);
	if (ms->socket != NULL || strcmp(ms->host, "localhost") == 0) {
		my_connect_to(ms, NULL);
		return;
	}
	if (my_is_address(ms->host)) {
		ms->addrs = xcalloc(1, sizeof(*ms->addrs));
		ms->addrs[0] = xstrdup(ms->host);
		ms->naddrs = 1;
		my_connect_next(ms);
		return;
	}
	/* The resolver has the connect timeout of its own. */
	e->state = DBENGINE_OPENING;
	ms->resolve = http_resolve(app_http(e->src->app), ms->host, (unsigned)e->connect_timeout_ms,
	                           my_on_resolved, ms);
}

static void my_setup_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	(void)arg;
	struct my_source *ms = e->engine;
	if (err != NULL) {
		if (ms->conn != NULL && e->state == DBENGINE_READY)
			dbengine_drop(e, "%s", err);
		return;
	}
	const struct dbrows *r = nres > 0 ? res[nres - 1] : NULL;
	if (r == NULL || r->nrows != 1 || r->ncols != 5) {
		dbengine_drop(e, "unexpected answer to the setup query");
		return;
	}
	const char *user = dbrows_get(r, 0, 1), *ps = dbrows_get(r, 0, 2), *boot = dbrows_get(r, 0, 3);
	const char *privs = dbrows_get(r, 0, 4);
	free(e->role);
	e->role = sanitize_str(user != NULL ? user : "");
	free(ms->user_at);
	ms->user_at = xstrdup(user != NULL ? user : "");
	free(ms->boot);
	ms->boot = boot != NULL && strspn(boot, "0123456789") == strlen(boot) ? xstrdup(boot) : NULL;
	ms->server.boot = ms->boot;
	privs = privs != NULL ? privs : "";
	ms->server.process = strstr(privs, "PROCESS") != NULL;
	ms->server.kill_admin = strstr(privs, "SUPER") != NULL || strstr(privs, "CONNECTION ADMIN") != NULL ||
	                        strstr(privs, "CONNECTION_ADMIN") != NULL;
	/* MariaDB sets a statement's digest only when it ends (checked on
	 * 10.11 with events_statements_current on): its running statements are
	 * grouped by their text, and the lookup is not worth its cost there. */
	ms->server.digests = ps != NULL && strcmp(ps, "1") == 0 && ms->server.process && !ms->server.mariadb;
}

/* --- the answers ---------------------------------------------------------- */

static char *my_activity_sql(struct dbengine *e)
{
	struct my_source *ms = e->engine;
	return mysql_activity_sql(&ms->server);
}

static struct database_data *my_model(struct dbengine *e, struct dbrows **res, size_t nres)
{
	struct my_source *ms = e->engine;
	if (nres != 3 || res[0]->ncols != MY_NCOLS || res[1]->ncols != 2 || res[2]->ncols != 3)
		return NULL;
	struct database_data *d = database_data_new();
	d->engine = ms->server.mariadb ? "mariadb" : "mysql";
	d->server_version = e->server_version;
	d->role = xstrdup(e->role != NULL ? e->role : "");
	d->by_query_id = ms->server.digests;
	d->storm_min = e->storm_min;
	const char *v[MY_NCOLS];
	for (size_t row = 0; row < res[0]->nrows; row++) {
		for (size_t c = 0; c < MY_NCOLS; c++)
			v[c] = dbrows_get(res[0], row, c);
		mysql_parse_session(d, v, &ms->server);
	}
	for (size_t row = 0; row < res[1]->nrows; row++)
		mysql_parse_edge(d, dbrows_get(res[1], row, 0), dbrows_get(res[1], row, 1));
	/* Without PROCESS the list holds the login's own sessions only: the
	 * others are counted from the server's Threads_connected (less this one). */
	const char *threads = dbrows_get(res[2], 0, 2);
	if (!ms->server.process && threads != NULL) {
		double t = atof(threads) - 1;
		d->hidden = t > (double)d->total ? (size_t)(t - (double)d->total) : 0;
		d->total += d->hidden;
	}
	const char *at = strrchr(ms->user_at != NULL ? ms->user_at : "", '@');
	size_t ulen = at != NULL ? (size_t)(at - ms->user_at) : 0;
	bool others = false;
	for (size_t i = 0; i < d->nqueries && !others; i++)
		others = ulen == 0 || strlen(d->queries[i].user) != ulen ||
		         strncmp(d->queries[i].user, ms->user_at, ulen) != 0;
	d->privilege = mysql_privilege_note(&ms->server, ms->user_at, d->hidden, others);
	return d;
}

/* Statements per second: the server's Questions counter (MySQL counts no
 * autocommit transaction in Com_commit, so that would read 0 under load). */
static int my_counter(struct dbengine *e, struct dbrows **res, size_t nres, double *value, double *time)
{
	(void)e;
	if (nres != 3 || res[2]->nrows != 1)
		return -1;
	const char *x = dbrows_get(res[2], 0, 0), *t = dbrows_get(res[2], 0, 1);
	if (x == NULL || t == NULL)
		return -1;
	*value = atof(x);
	*time = atof(t);
	return 0;
}

/* MySQL has neither KILL QUERY ID nor a compound statement outside a
 * procedure: no single statement there can re-check a session and kill it,
 * so sitrep does not act on it. */
static int my_can_act(struct dbengine *e, char *err, size_t cap)
{
	struct my_source *ms = e->engine;
	if (e->server_version > 0 && !ms->server.mariadb) {
		snprintf(
		    err, cap,
		    "this is MySQL: sitrep stops queries on MariaDB only (MySQL has no KILL QUERY ID and no "
		    "statement that could re-check the session and kill it in one step); use KILL from a "
		    "client");
		return -1;
	}
	return 0;
}

static bool my_running(const struct db_target *t, bool terminate, const char *const *row)
{
	return mysql_target_running(t, terminate, row);
}

static bool my_valid_id(const char *text, int *id)
{
	return mysql_valid_id(text, id);
}

static const struct dbengine_ops my_engine = {
    .name = "mariadb",
    .noun = "connection",
    .open = my_open,
    .send = my_send,
    .close = my_close_conn,
    .activity_sql = my_activity_sql,
    .model = my_model,
    .counter = my_counter,
    .can_act = my_can_act,
    .signal_sql = mysql_signal_sql,
    .fates = mysql_fates,
    .lookup_sql = mysql_lookup_sql,
    .running = my_running,
    .same_session = mysql_same_boot,
    .valid_pid = my_valid_id,
    .grant = "GRANT PROCESS",
};

/* --- the source ----------------------------------------------------------- */

static int my_start(struct source *src)
{
	struct my_source *ms = src->data;
	return dbengine_start(&ms->db);
}

static void my_refresh(struct source *src)
{
	struct my_source *ms = src->data;
	dbengine_refresh(&ms->db);
}

static int my_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct my_source *ms = src->data;
	return dbengine_prepare(&ms->db, a, err, cap);
}

static int my_act(struct source *src, const struct action *action)
{
	struct my_source *ms = src->data;
	return dbengine_act(&ms->db, action);
}

static void my_stop(struct source *src)
{
	struct my_source *ms = src->data;
	if (ms == NULL)
		return;
	dbengine_stop(&ms->db);
	if (ms->wait != NULL && !uv_is_closing((uv_handle_t *)ms->wait))
		uv_close((uv_handle_t *)ms->wait, my_free_handle);
	ms->wait = NULL;
}

static void my_destroy(struct source *src)
{
	struct my_source *ms = src->data;
	if (ms == NULL)
		return;
	if (ms->conn != NULL || ms->db.jobs != NULL || ms->db.acts != NULL || ms->resolve != NULL ||
	    ms->wait != NULL)
		my_stop(src);
	dbengine_free(&ms->db);
	free(ms->host);
	free(ms->socket);
	free(ms->user);
	free(ms->database);
	config_free_secret(ms->password);
	free(ms->boot);
	free(ms->user_at);
	free(ms);
	src->data = NULL;
}

const struct source_ops source_mysql = {
    .name = "mysql",
    .kind = "database",
    .init = my_init,
    .start = my_start,
    .refresh = my_refresh,
    .prepare = my_prepare,
    .act = my_act,
    .stop = my_stop,
    .destroy = my_destroy,
};
