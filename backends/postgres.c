/* postgres: the "database" pane fed by PostgreSQL's pg_stat_activity, one
 * engine of the shared database machinery (dbengine.h: the queue, backoff,
 * refresh and verify-after-act are written there once). This file is what
 * is libpq's: one connection, opened with the asynchronous API on the libuv
 * loop and reused: PQconnectStartParams and PQconnectPoll with a uv_poll_t
 * that follows the socket (libpq may change it while connecting), then
 * PQsendQuery, PQflush, PQconsumeInput and PQgetResult, each result turned
 * into rows of text (dbrows.h). Nothing blocks. sitrep's own statements run
 * under a statement_timeout so it never adds to the load.
 *
 * libpq resolves a host name with a blocking getaddrinfo inside
 * PQconnectStartParams, which a hung DNS server would turn into a frozen
 * dashboard. So a single host name is looked up first by the HTTP client's
 * resolver (a thread, with the connect timeout) and libpq gets hostaddr for
 * each address it found, with host repeated for TLS, Kerberos and .pgpass:
 * it then tries them in order, as it would have. Addresses, sockets, several
 * hosts and a given hostaddr go to libpq as they are (pg_host_to_resolve).
 *
 * The password comes from password_env / password_file (registered with the
 * sanitizer, so no output can show it) or from libpq's own ~/.pgpass; a
 * password inside the connection string is refused. */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "backends/dbengine.h"
#include "backends/postgres-explain.h"
#include "backends/postgres-parse.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/database.h"
#include "sitrep/io/http.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

struct pg_source;

enum pg_step { PG_STEP_SETTINGS, PG_STEP_START };

struct pg_thread {
	struct pg_source *ps; /* NULL once the source gave up on it (under pg_thread_lock) */
	enum pg_step step;
	char **keys, **vals; /* owned, NULL-terminated */
	PGconn *conn;        /* what PQconnectStartParams gave */
	bool done;
};

/* One host as libpq would try it: host, hostaddr and port elements of the
 * comma-separated lists (empty: not given). */
struct pg_entry {
	char *host, *hostaddr, *port;
	bool lookup; /* a name libpq would resolve */
	char *addrs; /* what the resolver found ("a,[b]") */
	char *err;   /* or why not */
	struct http_resolve *resolve;
	struct pg_source *owner;
};

struct pg_source {
	struct dbengine db; /* the shared part: queue, state, backoff, actions */
	char *conninfo;
	char *password; /* config_get_secret; NULL: libpq's own (pgpass) */
	/* opening a connection (off the loop: see "opening the connection") */
	struct pg_thread *thread; /* libpq reading its settings or starting, on a thread */
	uv_async_t *async;        /* the thread's answer */
	struct pg_entry *entries; /* the hosts libpq would try */
	size_t nentries, lookups; /* lookups: how many of them are names */
	double statement_timeout_ms;

	PGconn *conn;
	uv_poll_t *poll;
	int poll_fd;
	bool flushing;
	bool read_all_stats;
	struct postgres_plans *plans; /* storm groups' EXPLAIN (postgres-explain.c), NULL before one */
};

static void pg_setup_cancel(struct pg_source *ps);

/* --- handles ------------------------------------------------------------- */

static void pg_free_handle(uv_handle_t *h)
{
	free(h);
}

static void pg_close(uv_handle_t *h)
{
	if (h != NULL && !uv_is_closing(h))
		uv_close(h, pg_free_handle);
}

/* --- config -------------------------------------------------------------- */

static const struct dbengine_ops pg_engine;

static int pg_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct pg_source *ps = xcalloc(1, sizeof(*ps));
	src->data = ps;
	ps->poll_fd = -1;
	if (config_get_string(ctx, node, "conninfo", true, NULL, &ps->conninfo) != 0 ||
	    config_get_secret(ctx, node, "password_env", "password_file", &ps->password) != 0 ||
	    dbengine_init(&ps->db, &pg_engine, ps, src, ctx, node) != 0 ||
	    config_get_number(ctx, node, "statement_timeout_ms", false, 500, 10, 60000,
	                      &ps->statement_timeout_ms) != 0)
		return -1;
	/* The connection string is checked now (also by --check-config). */
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(ps->conninfo, &perr);
	if (opts == NULL) {
		char *shown = sanitize_str(perr != NULL ? perr : "out of memory");
		shown[strcspn(shown, "\n")] = '\0';
		int rc = config_fail(ctx, jsonc_get(node, "conninfo"),
		                     "not a libpq connection string or URI: %s", shown);
		free(shown);
		PQfreemem(perr);
		return rc;
	}
	bool inline_pw = false;
	for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0') {
			sanitize_add_secret(o->val);
			inline_pw = true;
		}
	PQconninfoFree(opts);
	sanitize_add_url_secret(ps->conninfo);
	if (inline_pw)
		return config_fail(
		    ctx, jsonc_get(node, "conninfo"),
		    "a password inside the connection string is refused: use \"password_env\", "
		    "\"password_file\" or ~/.pgpass");
	return 0;
}

/* --- the connection ------------------------------------------------------ */

static void pg_notice(void *arg, const char *message)
{
	(void)arg, (void)message; /* libpq would print to stderr, under the dashboard */
}

static void pg_unwatch(struct pg_source *ps)
{
	pg_close((uv_handle_t *)ps->poll);
	ps->poll = NULL;
	ps->poll_fd = -1;
}

static void pg_on_io(uv_poll_t *h, int status, int events);

/* Waits for events on libpq's socket, which may have changed. */
static int pg_watch(struct pg_source *ps, int events)
{
	int fd = PQsocket(ps->conn);
	if (fd < 0)
		return -1;
	if (ps->poll != NULL && fd != ps->poll_fd)
		pg_unwatch(ps);
	if (ps->poll == NULL) {
		ps->poll = xcalloc(1, sizeof(*ps->poll));
		if (uv_poll_init(ps->db.src->loop, ps->poll, fd) != 0) {
			free(ps->poll);
			ps->poll = NULL;
			return -1;
		}
		ps->poll->data = ps;
		ps->poll_fd = fd;
	}
	return uv_poll_start(ps->poll, events, pg_on_io) == 0 ? 0 : -1;
}

/* dbengine_ops.close: everything of this connection, and what was set up
 * to open one. */
static void pg_close_conn(struct dbengine *e)
{
	struct pg_source *ps = e->engine;
	pg_unwatch(ps);
	pg_setup_cancel(ps);
	if (ps->conn != NULL)
		PQfinish(ps->conn);
	ps->conn = NULL;
	ps->flushing = false;
}

/* dbengine_ops.late: which step of the opening did not answer. */
static char *pg_late(struct dbengine *e)
{
	struct pg_source *ps = e->engine;
	if (ps->thread != NULL && ps->thread->step == PG_STEP_SETTINGS)
		return xasprintf("reading the connection settings took more than %.0f s (a service file's "
		                 "LDAP lookup, or the login's name?)",
		                 e->connect_timeout_ms / 1000);
	return NULL;
}

/* Why the connection failed, in one line. */
static void pg_drop_conn_error(struct pg_source *ps, const char *what)
{
	const char *e = ps->conn != NULL ? PQerrorMessage(ps->conn) : "";
	dbengine_drop(&ps->db, "%s%s%s", what, *e != '\0' ? ": " : "", e);
}

static void pg_sent(struct pg_source *ps)
{
	int r = PQflush(ps->conn);
	if (r < 0) {
		pg_drop_conn_error(ps, "send failed");
		return;
	}
	ps->flushing = r == 1;
	if (pg_watch(ps, UV_READABLE | (ps->flushing ? UV_WRITABLE : 0)) != 0)
		dbengine_drop(&ps->db, "cannot watch the connection's socket");
}

/* dbengine_ops.send: one statement goes through the extended protocol
 * (no parameters), which the server refuses to run a second statement in. */
static void pg_send(struct dbengine *e, const char *sql, bool one)
{
	struct pg_source *ps = e->engine;
	if (!(one ? PQsendQueryParams(ps->conn, sql, 0, NULL, NULL, NULL, NULL, 0)
	          : PQsendQuery(ps->conn, sql))) {
		pg_drop_conn_error(ps, "query not sent");
		return;
	}
	pg_sent(ps);
}

/* A PGresult as rows of text; its error, if it is one. */
static void pg_take_result(struct pg_source *ps, PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);
	const char *err = st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK ? PQresultErrorMessage(r) : NULL;
	int ncols = PQnfields(r);
	struct dbrows *rows = dbrows_new(ncols > 0 ? (size_t)ncols : 0);
	const char **v = xcalloc((size_t)ncols + 1, sizeof(*v));
	for (int row = 0; row < PQntuples(r); row++) {
		for (int c = 0; c < ncols; c++)
			v[c] = PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
		dbrows_add(rows, v, NULL);
	}
	free(v);
	PQclear(r);
	dbengine_result(&ps->db, rows, err);
}

static void pg_read(struct pg_source *ps)
{
	if (!PQconsumeInput(ps->conn)) {
		pg_drop_conn_error(ps, "connection lost");
		return;
	}
	if (ps->db.state != DBENGINE_BUSY) {
		/* Idle: only a server closing (or a notice) arrives. */
		if (PQstatus(ps->conn) == CONNECTION_BAD)
			pg_drop_conn_error(ps, "connection lost");
		return;
	}
	while (!PQisBusy(ps->conn)) {
		PGresult *r = PQgetResult(ps->conn);
		if (r == NULL) {
			dbengine_answered(&ps->db);
			if (ps->conn != NULL && ps->db.state == DBENGINE_READY && ps->db.jobs == NULL &&
			    pg_watch(ps, UV_READABLE) != 0) /* notices the server closing */
				dbengine_drop(&ps->db, "cannot watch the connection's socket");
			return;
		}
		pg_take_result(ps, r);
	}
}

static void pg_setup_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg);

static void pg_connect_step(struct pg_source *ps)
{
	switch (PQconnectPoll(ps->conn)) {
	case PGRES_POLLING_READING:
		if (pg_watch(ps, UV_READABLE) != 0)
			dbengine_drop(&ps->db, "cannot watch the connection's socket");
		return;
	case PGRES_POLLING_WRITING:
		if (pg_watch(ps, UV_WRITABLE) != 0)
			dbengine_drop(&ps->db, "cannot watch the connection's socket");
		return;
	case PGRES_POLLING_OK: break;
	default: pg_drop_conn_error(ps, "cannot connect"); return;
	}
	if (PQsetnonblocking(ps->conn, 1) != 0) {
		pg_drop_conn_error(ps, "cannot connect");
		return;
	}
	/* sitrep's own statements are bounded; the setup runs first. DateStyle
	 * and TimeZone pinned: a session's backend_start and query_start are
	 * read as text and sent back as literals (its identity), so they must
	 * read the same on every connection. */
	dbengine_connected(&ps->db,
	                   xasprintf("SET statement_timeout = %.0f; SET lock_timeout = %.0f;"
	                             " SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC';"
	                             " SELECT current_setting('server_version_num')::int, current_user::text,"
	                             " coalesce((SELECT pg_has_role(oid, 'USAGE') FROM pg_roles"
	                             " WHERE rolname = 'pg_read_all_stats'), false);",
	                             ps->statement_timeout_ms, ps->statement_timeout_ms),
	                   pg_setup_done);
}

static void pg_on_io(uv_poll_t *h, int status, int events)
{
	struct pg_source *ps = h->data;
	if (ps->conn == NULL)
		return;
	if (ps->db.state == DBENGINE_CONNECTING) {
		pg_connect_step(ps);
		return;
	}
	if (status < 0) {
		/* let libpq find out what happened to the socket */
		events = UV_READABLE;
	}
	if (ps->flushing && (events & (UV_WRITABLE | UV_READABLE))) {
		int r = PQflush(ps->conn);
		if (r < 0) {
			pg_drop_conn_error(ps, "send failed");
			return;
		}
		ps->flushing = r == 1;
		if (!ps->flushing && pg_watch(ps, UV_READABLE) != 0) {
			dbengine_drop(&ps->db, "cannot watch the connection's socket");
			return;
		}
	}
	if (events & UV_READABLE)
		pg_read(ps);
}

/* --- opening the connection off the loop ---------------------------------- */

/* libpq reads its settings (the connection string, the service file named by
 * service= or PGSERVICE, which may send it to LDAP, the PG* variables, the
 * login's name, .pgpass) and resolves each host name with a blocking lookup,
 * all inside PQconnectStartParams, and the next host's name inside
 * PQconnectPoll. None of that runs on the loop:
 *  1. a thread asks libpq for the settings it would use (a start that fails
 *     on purpose before connecting: sslmode is not valid), and the loop
 *     reads host, hostaddr and port from it (PQconninfo): every way a host
 *     can be given (conninfo, URI, service file, PGHOST, several hosts) ends
 *     up there, as libpq itself reads it;
 *  2. every host name without an address is looked up by the HTTP client's
 *     resolver (threads, cache, deadline), all at once;
 *  3. a thread starts the connection with an address (hostaddr) for every
 *     host, host kept for TLS, Kerberos and .pgpass, so PQconnectPoll never
 *     looks a name up; the loop takes the PGconn from there.
 * A thread that hangs (a hung LDAP server) is left behind: it frees what it
 * made when it ends, and the source says which step did not answer. */

static pthread_mutex_t pg_thread_lock = PTHREAD_MUTEX_INITIALIZER;

static void pg_thread_free(struct pg_thread *t)
{
	for (size_t i = 0; t->keys != NULL && t->keys[i] != NULL; i++) {
		free(t->keys[i]);
		if (t->vals[i] != NULL)
			explicit_bzero(t->vals[i], strlen(t->vals[i])); /* may be the password */
		free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	if (t->conn != NULL)
		PQfinish(t->conn);
	free(t);
}

static void *pg_thread_main(void *arg)
{
	struct pg_thread *t = arg;
	PGconn *conn = PQconnectStartParams((const char *const *)t->keys, (const char *const *)t->vals, 1);
	pthread_mutex_lock(&pg_thread_lock);
	t->conn = conn;
	t->done = true;
	bool orphan = t->ps == NULL;
	if (!orphan)
		uv_async_send(t->ps->async);
	pthread_mutex_unlock(&pg_thread_lock);
	if (orphan)
		pg_thread_free(t);
	return NULL;
}

/* Leaves the thread in flight behind (it frees itself), or frees a
 * finished one. */
static void pg_thread_cancel(struct pg_source *ps)
{
	struct pg_thread *t = ps->thread;
	if (t == NULL)
		return;
	ps->thread = NULL;
	pthread_mutex_lock(&pg_thread_lock);
	bool done = t->done;
	t->ps = NULL;
	pthread_mutex_unlock(&pg_thread_lock);
	if (done)
		pg_thread_free(t);
}

static void pg_thread_answer(uv_async_t *h);

/* Runs PQconnectStartParams(keys, vals) on a thread of its own. */
static int pg_thread_run(struct pg_source *ps, enum pg_step step, const char *const *keys,
                         const char *const *vals, size_t n)
{
	if (ps->async == NULL) {
		ps->async = xcalloc(1, sizeof(*ps->async));
		uv_async_init(ps->db.src->loop, ps->async, pg_thread_answer);
		ps->async->data = ps;
		uv_unref((uv_handle_t *)ps->async); /* the deadline keeps the loop alive */
	}
	struct pg_thread *t = xcalloc(1, sizeof(*t));
	t->ps = ps;
	t->step = step;
	t->keys = xcalloc(n + 1, sizeof(*t->keys));
	t->vals = xcalloc(n + 1, sizeof(*t->vals));
	for (size_t i = 0; i < n; i++) {
		t->keys[i] = xstrdup(keys[i]);
		t->vals[i] = xstrdup(vals[i]);
	}
	if (util_thread_detached(pg_thread_main, t) != 0) {
		pg_thread_free(t);
		return -1;
	}
	ps->thread = t;
	ps->db.state = DBENGINE_OPENING;
	dbengine_deadline(&ps->db, ps->db.connect_timeout_ms);
	return 0;
}

static void pg_entries_free(struct pg_source *ps)
{
	for (size_t i = 0; i < ps->nentries; i++) {
		struct pg_entry *e = &ps->entries[i];
		http_resolve_cancel(e->resolve);
		free(e->host);
		free(e->hostaddr);
		free(e->port);
		free(e->addrs);
		free(e->err);
	}
	free(ps->entries);
	ps->entries = NULL;
	ps->nentries = ps->lookups = 0;
}

/* Everything set up for a connection that is not one yet. */
static void pg_setup_cancel(struct pg_source *ps)
{
	pg_thread_cancel(ps);
	pg_entries_free(ps);
}

/* The elements of a comma-separated list (libpq has no escape for a comma):
 * n of them; "" one empty element. Caller frees each and the array. */
static char **pg_split(const char *list, size_t *n)
{
	char **out = NULL;
	*n = 0;
	const char *p = list != NULL ? list : "";
	for (;;) {
		const char *c = strchr(p, ',');
		size_t len = c != NULL ? (size_t)(c - p) : strlen(p);
		out = xrealloc(out, (*n + 1) * sizeof(*out));
		out[(*n)++] = xstrndup(p, len);
		if (c == NULL)
			break;
		p = c + 1;
	}
	return out;
}

static void pg_split_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Whether libpq would look host up by name (not a socket, not an address). */
static bool pg_is_name(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return host[0] != '\0' && host[0] != '/' && host[0] != '@' && inet_pton(AF_INET, host, buf) != 1 &&
	       inet_pton(AF_INET6, host, buf) != 1;
}

/* The hosts libpq would try, from the settings it reported; -1 with err
 * when the lists do not match (libpq would refuse them too). */
static int pg_entries_build(struct pg_source *ps, const char *host, const char *hostaddr, const char *port,
                            char *err, size_t cap)
{
	size_t nh, na, np;
	bool has_host = host != NULL && host[0] != '\0', has_addr = hostaddr != NULL && hostaddr[0] != '\0';
	char **h = pg_split(has_host ? host : "", &nh);
	char **a = pg_split(has_addr ? hostaddr : "", &na);
	char **p = pg_split(port, &np);
	size_t n = has_host ? nh : has_addr ? na : 1;
	int rc = 0;
	if (has_host && has_addr && nh != na) {
		snprintf(err, cap, "could not match %zu host names to %zu hostaddr values (host, hostaddr)",
		         nh, na);
		rc = -1;
	} else if (np > 1 && np != n) {
		snprintf(err, cap, "could not match %zu port numbers to %zu hosts (port)", np, n);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		ps->entries = xrealloc(ps->entries, (ps->nentries + 1) * sizeof(*ps->entries));
		struct pg_entry *e = &ps->entries[ps->nentries++];
		memset(e, 0, sizeof(*e));
		e->host = xstrdup(has_host ? h[i] : "");
		e->hostaddr = xstrdup(has_addr ? a[i] : "");
		e->port = xstrdup(np > 1 ? p[i] : p[0]);
		e->lookup = e->hostaddr[0] == '\0' && pg_is_name(e->host);
		ps->lookups += e->lookup;
	}
	pg_split_free(h, nh);
	pg_split_free(a, na);
	pg_split_free(p, np);
	return rc;
}

/* Step 3: the start, with an address for every name. */
static void pg_start_conn(struct pg_source *ps)
{
	const char *keys[8] = {"dbname", "fallback_application_name"};
	const char *vals[8] = {ps->conninfo, "sitrep"};
	size_t k = 2;
	if (ps->password != NULL) {
		keys[k] = "password";
		vals[k++] = ps->password;
	}
	char *hosts = NULL, *hostaddrs = NULL, *ports = NULL;
	if (ps->lookups > 0) {
		/* Later keys override the string's (and the service's): one entry per address. */
		hosts = xstrdup("");
		hostaddrs = xstrdup("");
		ports = xstrdup("");
		bool first = true;
		for (size_t i = 0; i < ps->nentries; i++) {
			const struct pg_entry *e = &ps->entries[i];
			if (e->lookup && e->addrs == NULL)
				continue; /* its name did not resolve: libpq would skip it too */
			size_t na;
			char **addrs = pg_split(e->lookup ? e->addrs : e->hostaddr, &na);
			for (size_t j = 0; j < na; j++) {
				char *addr = addrs[j];
				size_t al = strlen(addr);
				if (al >= 2 && addr[0] == '[' && addr[al - 1] == ']') {
					memmove(addr, addr + 1, al - 2);
					addr[al - 2] = '\0';
				}
				char *nh = xasprintf("%s%s%s", hosts, first ? "" : ",", e->host);
				char *na2 = xasprintf("%s%s%s", hostaddrs, first ? "" : ",", addr);
				char *np = xasprintf("%s%s%s", ports, first ? "" : ",", e->port);
				free(hosts);
				free(hostaddrs);
				free(ports);
				hosts = nh;
				hostaddrs = na2;
				ports = np;
				first = false;
			}
			pg_split_free(addrs, na);
		}
		keys[k] = "host";
		vals[k++] = hosts;
		keys[k] = "hostaddr";
		vals[k++] = hostaddrs;
		keys[k] = "port";
		vals[k++] = ports;
	}
	if (pg_thread_run(ps, PG_STEP_START, keys, vals, k) != 0)
		dbengine_drop(&ps->db, "cannot connect: no thread to start the connection on");
	free(hosts);
	free(hostaddrs);
	free(ports);
}

static void pg_on_resolved(const char *addrs, const char *err, void *arg)
{
	struct pg_entry *e = arg;
	struct pg_source *ps = e->owner;
	e->resolve = NULL;
	if (addrs != NULL)
		e->addrs = xstrdup(addrs);
	else
		e->err = xstrdup(err != NULL ? err : "resolving host: failed");
	for (size_t i = 0; i < ps->nentries; i++)
		if (ps->entries[i].resolve != NULL)
			return; /* others still pending */
	const char *first_err = NULL;
	bool any = false;
	for (size_t i = 0; i < ps->nentries; i++) {
		const struct pg_entry *x = &ps->entries[i];
		if (!x->lookup || x->addrs != NULL)
			any = true;
		else if (first_err == NULL)
			first_err = x->err;
	}
	if (!any) {
		dbengine_drop(&ps->db, "cannot connect: %s", first_err);
		return;
	}
	pg_start_conn(ps);
}

/* Step 2: the names, all at once. */
static void pg_resolve(struct pg_source *ps)
{
	if (ps->lookups == 0) {
		pg_start_conn(ps);
		return;
	}
	ps->db.state = DBENGINE_OPENING;
	dbengine_deadline_stop(&ps->db); /* each lookup has the connect timeout of its own */
	for (size_t i = 0; i < ps->nentries; i++) {
		struct pg_entry *e = &ps->entries[i];
		e->owner = ps;
		if (e->lookup)
			e->resolve = http_resolve(app_http(ps->db.src->app), e->host,
			                          (unsigned)ps->db.connect_timeout_ms, pg_on_resolved, e);
	}
}

/* Step 1 done: the settings libpq would use. */
static void pg_settings_read(struct pg_source *ps, PGconn *probe)
{
	const char *host = NULL, *hostaddr = NULL, *port = NULL;
	PQconninfoOption *opts = probe != NULL ? PQconninfo(probe) : NULL;
	for (const PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	char err[200];
	pg_entries_free(ps);
	int rc = pg_entries_build(ps, host, hostaddr, port, err, sizeof(err));
	PQconninfoFree(opts);
	if (rc != 0) {
		dbengine_drop(&ps->db, "cannot connect: %s", err);
		return;
	}
	pg_resolve(ps);
}

/* Step 3 done: the connection is libpq's to continue, on the loop. */
static void pg_started(struct pg_source *ps, PGconn *conn)
{
	pg_entries_free(ps);
	ps->conn = conn;
	if (ps->conn == NULL) {
		dbengine_drop(&ps->db, "cannot connect: out of memory");
		return;
	}
	PQsetNoticeProcessor(ps->conn, pg_notice, NULL);
	if (PQstatus(ps->conn) == CONNECTION_BAD) {
		pg_drop_conn_error(ps, "cannot connect");
		return;
	}
	ps->db.state = DBENGINE_CONNECTING;
	dbengine_deadline(&ps->db, ps->db.connect_timeout_ms);
	/* As if PQconnectPoll had asked to write. */
	if (pg_watch(ps, UV_WRITABLE) != 0)
		dbengine_drop(&ps->db, "cannot watch the connection's socket");
}

static void pg_thread_answer(uv_async_t *h)
{
	struct pg_source *ps = h->data;
	struct pg_thread *t = ps->thread;
	if (t == NULL)
		return;
	pthread_mutex_lock(&pg_thread_lock);
	bool done = t->done;
	pthread_mutex_unlock(&pg_thread_lock);
	if (!done)
		return;
	ps->thread = NULL;
	PGconn *conn = t->conn;
	t->conn = NULL;
	enum pg_step step = t->step;
	pg_thread_free(t);
	dbengine_deadline_stop(&ps->db);
	if (step == PG_STEP_SETTINGS) {
		pg_settings_read(ps, conn);
		if (conn != NULL)
			PQfinish(conn); /* never connected: no socket, no I/O */
	} else {
		pg_started(ps, conn);
	}
}

/* dbengine_ops.open */
static void pg_connect(struct dbengine *e)
{
	struct pg_source *ps = e->engine;
	/* sslmode is checked after libpq has read every setting and before it
	 * looks anything up or connects: this start always stops there. */
	const char *keys[] = {"dbname", "sslmode"};
	const char *vals[] = {ps->conninfo, "sitrep-reads-the-settings-only"};
	if (pg_thread_run(ps, PG_STEP_SETTINGS, keys, vals, 2) != 0)
		dbengine_drop(e, "cannot connect: no thread to read the connection settings on");
}

static void pg_setup_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	(void)arg;
	struct pg_source *ps = e->engine;
	if (err != NULL) {
		if (ps->conn != NULL && e->state == DBENGINE_READY)
			dbengine_drop(e, "%s", err);
		return;
	}
	const struct dbrows *r = nres > 0 ? res[nres - 1] : NULL;
	if (r == NULL || r->nrows != 1 || r->ncols != 3) {
		dbengine_drop(e, "unexpected answer to the setup query");
		return;
	}
	const char *version = dbrows_get(r, 0, 0), *role = dbrows_get(r, 0, 1), *stats = dbrows_get(r, 0, 2);
	e->server_version = version != NULL ? atoi(version) : 0;
	free(e->role);
	e->role = sanitize_str(role != NULL ? role : "");
	ps->read_all_stats = stats != NULL && strcmp(stats, "t") == 0;
}

/* --- the answers ---------------------------------------------------------- */

static char *pg_activity_sql(struct dbengine *e)
{
	return xstrdup(postgres_activity_sql(e->server_version));
}

/* The activity query's answer as a model (sessions only: no deploy, no
 * tps); NULL when the answer is not the expected shape. */
static struct database_data *pg_model(struct dbengine *e, struct dbrows **res, size_t nres)
{
	if (nres != 2 || res[0]->ncols != PG_NCOLS || res[1]->ncols != 2)
		return NULL;
	struct database_data *d = database_data_new();
	d->engine = pg_engine.name;
	d->server_version = e->server_version;
	d->role = xstrdup(e->role != NULL ? e->role : "");
	d->by_query_id = e->server_version >= 140000;
	d->storm_min = e->storm_min;
	const char *v[PG_NCOLS];
	for (size_t row = 0; row < res[0]->nrows; row++) {
		for (size_t c = 0; c < PG_NCOLS; c++)
			v[c] = dbrows_get(res[0], row, c);
		postgres_parse_session(d, v, d->by_query_id);
	}
	/* Other roles' queries read "<insufficient privilege>": the grant that
	 * shows them. */
	if (d->hidden > 0)
		d->privilege =
		    xasprintf("%zu session%s of other roles hidden: GRANT pg_read_all_stats TO %s", d->hidden,
		              d->hidden == 1 ? "" : "s", d->role[0] != '\0' ? d->role : "<login role>");
	return d;
}

/* --- EXPLAIN of a storm's query (postgres-explain.c) ---------------------- */

static void pg_explain_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	struct pg_source *ps = e->engine;
	char *group = arg;
	char *text = err != NULL ? xasprintf("not explained: %s", err)
	             : nres == 1 ? postgres_explain_text(res[0])
	                         : xstrdup("not explained: unexpected answer");
	postgres_plans_set(ps->plans, group, text);
	free(group);
}

static void pg_explain_quiet(struct dbengine *e, struct dbrows **res, size_t nres, const char *err, void *arg)
{
	(void)e, (void)res, (void)nres, (void)err, (void)arg;
}

/* dbengine_ops.built: each new storm group gets one EXPLAIN of its longest
 * session's text (raw, as the server has it: it goes back to the server),
 * queued as a row: BEGIN READ ONLY with a statement timeout, the EXPLAIN as
 * one statement through the extended protocol (nothing can ride along), and
 * not sent at all when the transaction did not start (in_xact), ROLLBACK.
 * The plan found is in every later snapshot of the group (its detail). */
static void pg_explain_storms(struct dbengine *e, struct database_data *d, struct dbrows **res, size_t nres)
{
	struct pg_source *ps = e->engine;
	if (nres < 1 || ps->conn == NULL)
		return;
	const struct dbrows *act = res[0];
	if (ps->plans == NULL)
		ps->plans = postgres_plans_new();
	for (size_t i = 0; i < d->ngroups; i++) {
		struct db_group *g = &d->groups[i];
		if (d->storm_min == 0 || g->count < d->storm_min || g->npids == 0)
			continue;
		if (postgres_plans_want(ps->plans, g->group)) {
			const char *raw = NULL;
			for (size_t row = 0; row < act->nrows && raw == NULL; row++) {
				const char *pid = dbrows_get(act, row, PG_COL_PID);
				if (pid != NULL && atoi(pid) == g->pids[0])
					raw = dbrows_get(act, row, PG_COL_QUERY);
			}
			char why[300];
			char *sql = NULL;
			/* a plan is made in the database the query runs in */
			const struct db_query *q = database_query(d, g->pids[0]);
			char *here = sanitize_str(PQdb(ps->conn) != NULL ? PQdb(ps->conn) : "");
			if (q != NULL && q->database != NULL && q->database[0] != '\0' &&
			    strcmp(q->database, here) != 0)
				snprintf(why, sizeof(why),
				         "not explained: it runs in database %s, this pane connects to %s",
				         q->database, here);
			else
				sql = postgres_explain_sql(raw, why, sizeof(why));
			free(here);
			if (sql == NULL) {
				postgres_plans_set(ps->plans, g->group, xstrdup(why));
			} else {
				const struct dbengine_step steps[] = {
				    {.sql = xstrdup(POSTGRES_EXPLAIN_BEGIN), .done = pg_explain_quiet},
				    {.sql = sql,
				     .done = pg_explain_done,
				     .arg = xstrdup(g->group),
				     .one = true,
				     .in_xact = true},
				    {.sql = xstrdup(POSTGRES_EXPLAIN_ROLLBACK), .done = pg_explain_quiet},
				};
				dbengine_enqueue_row(e, steps, ARRAY_LEN(steps));
			}
		}
		const char *plan = postgres_plans_get(ps->plans, g->group);
		if (plan != NULL)
			g->plan =
			    xasprintf("EXPLAIN (not run: read-only, 2 s timeout) of pid %d's query:\n%s",
			              g->pids[0], plan);
	}
}

/* Transactions committed and rolled back, over every database. */
static int pg_counter(struct dbengine *e, struct dbrows **res, size_t nres, double *value, double *time)
{
	(void)e;
	if (nres != 2 || res[1]->nrows != 1)
		return -1;
	const char *x = dbrows_get(res[1], 0, 0), *t = dbrows_get(res[1], 0, 1);
	if (x == NULL || t == NULL)
		return -1;
	*value = atof(x);
	*time = atof(t);
	return 0;
}

/* The signal's answers: one per statement, in the targets' order: a row
 * (pid, t/f) when the identity matched, none when the target had ended. */
static int pg_fates(struct dbrows **res, size_t nres, size_t n, enum db_fate *fates)
{
	if (nres != n)
		return -1;
	for (size_t i = 0; i < nres; i++) {
		const char *ok = res[i]->ncols > 0 ? dbrows_get(res[i], 0, res[i]->ncols - 1) : NULL;
		if (res[i]->nrows == 0)
			fates[i] = DB_FATE_ENDED;
		else if (ok != NULL && strcmp(ok, "t") == 0)
			fates[i] = DB_FATE_SENT;
		else
			fates[i] = DB_FATE_REFUSED;
	}
	return 0;
}

static bool pg_running(const struct db_target *t, bool terminate, const char *const *row)
{
	return postgres_target_running(t, terminate, row[0], row[1], row[2], row[3]);
}

static bool pg_valid_pid(const char *text, int *pid)
{
	return postgres_valid_pid(text, pid);
}

static const struct dbengine_ops pg_engine = {
    .name = "postgresql",
    .noun = "pid",
    .open = pg_connect,
    .send = pg_send,
    .close = pg_close_conn,
    .late = pg_late,
    .activity_sql = pg_activity_sql,
    .model = pg_model,
    .built = pg_explain_storms,
    .counter = pg_counter,
    .signal_sql = postgres_signal_sql,
    .fates = pg_fates,
    .lookup_sql = postgres_lookup_sql,
    .running = pg_running,
    .valid_pid = pg_valid_pid,
    .grant = "GRANT pg_read_all_stats",
};

/* --- the source ----------------------------------------------------------- */

static int pg_start(struct source *src)
{
	struct pg_source *ps = src->data;
	return dbengine_start(&ps->db);
}

static void pg_refresh(struct source *src)
{
	struct pg_source *ps = src->data;
	dbengine_refresh(&ps->db);
}

static int pg_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct pg_source *ps = src->data;
	return dbengine_prepare(&ps->db, a, err, cap);
}

static int pg_act(struct source *src, const struct action *action)
{
	struct pg_source *ps = src->data;
	return dbengine_act(&ps->db, action);
}

static void pg_stop(struct source *src)
{
	struct pg_source *ps = src->data;
	if (ps == NULL)
		return;
	dbengine_stop(&ps->db);
	pg_close((uv_handle_t *)ps->async);
	ps->async = NULL;
}

static void pg_destroy(struct source *src)
{
	struct pg_source *ps = src->data;
	if (ps == NULL)
		return;
	if (ps->conn != NULL || ps->db.jobs != NULL || ps->db.acts != NULL || ps->thread != NULL ||
	    ps->entries != NULL || ps->async != NULL)
		pg_stop(src);
	dbengine_free(&ps->db);
	postgres_plans_free(ps->plans);
	free(ps->conninfo);
	config_free_secret(ps->password);
	free(ps);
	src->data = NULL;
}

const struct source_ops source_postgres = {
    .name = "postgres",
    .kind = "database",
    .init = pg_init,
    .start = pg_start,
    .refresh = pg_refresh,
    .prepare = pg_prepare,
    .act = pg_act,
    .stop = pg_stop,
    .destroy = pg_destroy,
};
