/* postgres: the "database" pane fed by PostgreSQL's pg_stat_activity. One
 * libpq connection, opened with the asynchronous API on the libuv loop and
 * reused: PQconnectStartParams and PQconnectPoll with a uv_poll_t that
 * follows the socket (libpq may change it while connecting), a timer of its
 * own for the connect (libpq's connect_timeout does not apply here), then
 * PQsendQuery, PQflush, PQconsumeInput and PQgetResult. Nothing blocks.
 *
 * The connection runs one job at a time from a queue: the refresh, and the
 * steps of an action (look the sessions up, send exactly the prepared
 * statements, look again until the query is gone). sitrep's own statements
 * run under a statement_timeout so it never adds to the load; a server that
 * does not answer within query_timeout is shown as hung, the connection is
 * dropped and opened again with backoff.
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

#include "backends/postgres-parse.h"
#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/kinds/database.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/io/http.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* How long an action waits for the cancelled query to go. */
#define PG_VERIFY_MS      5000
#define PG_VERIFY_STEP_MS 250
#define PG_BACKOFF_MAX_MS 30000

enum pg_state { PG_DOWN, PG_RESOLVING, PG_CONNECTING, PG_READY, PG_BUSY };

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

/* A job's results: PGresults in order; err set (sanitized) when it failed. */
typedef void (*pg_job_cb)(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg);

struct pg_job {
	char *sql; /* NULL: the activity query for the server's version, built when it runs */
	pg_job_cb done;
	void *arg;
	struct pg_job *next;
};

struct pg_act;

struct pg_source {
	struct source *src;
	char *conninfo;
	char *password; /* config_get_secret; NULL: libpq's own (pgpass) */
	/* opening a connection (off the loop: see "opening the connection") */
	struct pg_thread *thread; /* libpq reading its settings or starting, on a thread */
	uv_async_t *async;        /* the thread's answer */
	struct pg_entry *entries; /* the hosts libpq would try */
	size_t nentries, lookups; /* lookups: how many of them are names */
	double connect_timeout_ms, query_timeout_ms, statement_timeout_ms;
	size_t storm_min;

	PGconn *conn;
	enum pg_state state;
	uv_poll_t *poll;
	int poll_fd;
	uv_timer_t *deadline;            /* connect or answer */
	struct pg_job *jobs, *jobs_tail; /* the head runs when PG_BUSY */
	PGresult **res;
	size_t nres;
	bool flushing;
	char *last_error;
	uint64_t backoff_ms, retry_at_ms;

	int server_version;
	char *role;
	bool read_all_stats;
	double last_xacts, last_xacts_t; /* counter and server time of the last sample */
	bool have_xacts;

	char *deploy;
	int64_t deploy_ms;
	bool subscribed;
	bool started; /* by the dashboard or --once (not `sitrep do`) */
	bool stopping;
	struct pg_act *acts;
};

static void pg_kick(struct pg_source *ps);
static void pg_setup_cancel(struct pg_source *ps);
static void pg_drop(struct pg_source *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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

static uv_timer_t *pg_timer(struct pg_source *ps, void *data)
{
	uv_timer_t *t = xcalloc(1, sizeof(*t));
	uv_timer_init(ps->src->loop, t);
	t->data = data;
	return t;
}

/* --- config -------------------------------------------------------------- */

static int pg_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct pg_source *ps = xcalloc(1, sizeof(*ps));
	src->data = ps;
	ps->src = src;
	ps->poll_fd = -1;
	double storm;
	if (config_get_string(ctx, node, "conninfo", true, NULL, &ps->conninfo) != 0 ||
	    config_get_secret(ctx, node, "password_env", "password_file", &ps->password) != 0 ||
	    config_get_number(ctx, node, "connect_timeout_seconds", false, 5, 0.1, 300,
	                      &ps->connect_timeout_ms) != 0 ||
	    config_get_number(ctx, node, "query_timeout_seconds", false, 3, 0.1, 300,
	                      &ps->query_timeout_ms) != 0 ||
	    config_get_number(ctx, node, "statement_timeout_ms", false, 500, 10, 60000,
	                      &ps->statement_timeout_ms) != 0 ||
	    config_get_number(ctx, node, "storm_count", false, 5, 2, 100000, &storm) != 0)
		return -1;
	ps->connect_timeout_ms *= 1000;
	ps->query_timeout_ms *= 1000;
	ps->storm_min = (size_t)storm;
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

/* --- deploys ------------------------------------------------------------- */

static void pg_on_deploy(const struct event *ev, void *arg)
{
	struct pg_source *ps = arg;
	const char *id = ev->key != NULL ? ev->key : ev->subject;
	if (id == NULL || ev->time_ms < ps->deploy_ms)
		return;
	free(ps->deploy);
	ps->deploy = xstrdup(id);
	ps->deploy_ms = ev->time_ms;
}

static int pg_start(struct source *src)
{
	struct pg_source *ps = src->data;
	if (src->app != NULL && !ps->subscribed)
		ps->subscribed =
		    event_subscribe(&src->app->bus, EVENT_BIT(EVENT_DEPLOY), pg_on_deploy, ps) == 0;
	ps->started = true;
	return 0;
}

/* --- the connection ------------------------------------------------------ */

static void pg_notice(void *arg, const char *message)
{
	(void)arg, (void)message; /* libpq would print to stderr, under the dashboard */
}

static void pg_results_clear(struct pg_source *ps)
{
	for (size_t i = 0; i < ps->nres; i++)
		PQclear(ps->res[i]);
	free(ps->res);
	ps->res = NULL;
	ps->nres = 0;
}

static void pg_job_free(struct pg_job *j)
{
	free(j->sql);
	free(j);
}

static void pg_unwatch(struct pg_source *ps)
{
	pg_close((uv_handle_t *)ps->poll);
	ps->poll = NULL;
	ps->poll_fd = -1;
}

static void pg_deadline_stop(struct pg_source *ps)
{
	if (ps->deadline != NULL)
		uv_timer_stop(ps->deadline);
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
		if (uv_poll_init(ps->src->loop, ps->poll, fd) != 0) {
			free(ps->poll);
			ps->poll = NULL;
			return -1;
		}
		ps->poll->data = ps;
		ps->poll_fd = fd;
	}
	return uv_poll_start(ps->poll, events, pg_on_io) == 0 ? 0 : -1;
}

static void pg_on_deadline(uv_timer_t *t)
{
	struct pg_source *ps = t->data;
	if (ps->state == PG_RESOLVING && ps->thread != NULL && ps->thread->step == PG_STEP_SETTINGS)
		pg_drop(ps,
		        "reading the connection settings took more than %.0f s (a service file's LDAP "
		        "lookup, or the login's name?)",
		        ps->connect_timeout_ms / 1000);
	else if (ps->state == PG_RESOLVING)
		pg_drop(ps, "starting the connection took more than %.0f s", ps->connect_timeout_ms / 1000);
	else if (ps->state == PG_CONNECTING)
		pg_drop(ps, "no connection within %.0f s", ps->connect_timeout_ms / 1000);
	else if (ps->state == PG_BUSY)
		pg_drop(ps, "server not answering for %.1f s (hung?)", ps->query_timeout_ms / 1000);
}

static void pg_deadline(struct pg_source *ps, double ms)
{
	if (ps->deadline == NULL)
		ps->deadline = pg_timer(ps, ps);
	/* The loop's clock stops while `sitrep do` waits for a y at the terminal:
	 * a deadline counted from that stale time would fire at once. */
	uv_update_time(ps->src->loop);
	uv_timer_start(ps->deadline, pg_on_deadline, (uint64_t)ms, 0);
}

/* Fails every queued job with msg; jobs queued meanwhile stay. */
static void pg_fail_jobs(struct pg_source *ps, const char *msg)
{
	struct pg_job *j = ps->jobs;
	ps->jobs = ps->jobs_tail = NULL;
	while (j != NULL) {
		struct pg_job *next = j->next;
		j->done(ps, NULL, 0, msg, j->arg);
		pg_job_free(j);
		j = next;
	}
}

/* libpq's messages span lines ("...failed: Connection refused\n\tIs the
 * server running..."): one line, sanitized. Caller frees. */
static char *pg_one_line(const char *text)
{
	char *flat = xstrdup(text);
	size_t o = 0;
	for (size_t i = 0; flat[i] != '\0'; i++) {
		char c = flat[i] == '\n' || flat[i] == '\t' || flat[i] == '\r' ? ' ' : flat[i];
		if (c == ' ' && (o == 0 || flat[o - 1] == ' '))
			continue;
		flat[o++] = c;
	}
	while (o > 0 && flat[o - 1] == ' ')
		o--;
	char *out = sanitize(flat, o, 400);
	free(flat);
	return out;
}

static void pg_drop(struct pg_source *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = pg_one_line(raw);
	free(raw);
	pg_unwatch(ps);
	pg_deadline_stop(ps);
	pg_setup_cancel(ps);
	pg_results_clear(ps);
	if (ps->conn != NULL)
		PQfinish(ps->conn);
	ps->conn = NULL;
	ps->state = PG_DOWN;
	ps->flushing = false;
	ps->have_xacts = false;
	ps->backoff_ms = ps->backoff_ms == 0 ? 1000 : ps->backoff_ms * 2;
	if (ps->backoff_ms > PG_BACKOFF_MAX_MS)
		ps->backoff_ms = PG_BACKOFF_MAX_MS;
	ps->retry_at_ms = uv_now(ps->src->loop) + ps->backoff_ms;
	free(ps->last_error);
	ps->last_error = msg;
	pg_fail_jobs(ps, msg);
}

/* Why the connection failed, in one line. */
static void pg_drop_conn_error(struct pg_source *ps, const char *what)
{
	const char *e = ps->conn != NULL ? PQerrorMessage(ps->conn) : "";
	pg_drop(ps, "%s%s%s", what, *e != '\0' ? ": " : "", e);
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
		pg_drop(ps, "cannot watch the connection's socket");
}

/* Sends the job at the head of the queue. */
static void pg_run(struct pg_source *ps)
{
	struct pg_job *j = ps->jobs;
	if (j == NULL || ps->state != PG_READY)
		return;
	if (j->sql == NULL)
		j->sql = xstrdup(postgres_activity_sql(ps->server_version));
	if (!PQsendQuery(ps->conn, j->sql)) {
		pg_drop_conn_error(ps, "query not sent");
		return;
	}
	ps->state = PG_BUSY;
	pg_deadline(ps, ps->query_timeout_ms);
	pg_sent(ps);
}

/* The head job's answer is complete. */
static void pg_job_done(struct pg_source *ps)
{
	struct pg_job *j = ps->jobs;
	ps->jobs = j->next;
	if (ps->jobs == NULL)
		ps->jobs_tail = NULL;
	pg_deadline_stop(ps);
	ps->state = PG_READY;
	ps->backoff_ms = 0;
	char *err = NULL;
	for (size_t i = 0; i < ps->nres && err == NULL; i++) {
		ExecStatusType st = PQresultStatus(ps->res[i]);
		if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
			err = pg_one_line(PQresultErrorMessage(ps->res[i]));
	}
	PGresult **res = ps->res;
	size_t nres = ps->nres;
	ps->res = NULL;
	ps->nres = 0;
	j->done(ps, res, nres, err, j->arg);
	for (size_t i = 0; i < nres; i++)
		PQclear(res[i]);
	free(res);
	free(err);
	pg_job_free(j);
	if (ps->state == PG_READY) {
		if (ps->jobs != NULL)
			pg_run(ps);
		else if (pg_watch(ps, UV_READABLE) != 0) /* notices the server closing */
			pg_drop(ps, "cannot watch the connection's socket");
	}
}

static void pg_read(struct pg_source *ps)
{
	if (!PQconsumeInput(ps->conn)) {
		pg_drop_conn_error(ps, "connection lost");
		return;
	}
	if (ps->state != PG_BUSY) {
		/* Idle: only a server closing (or a notice) arrives. */
		if (PQstatus(ps->conn) == CONNECTION_BAD)
			pg_drop_conn_error(ps, "connection lost");
		return;
	}
	while (!PQisBusy(ps->conn)) {
		PGresult *r = PQgetResult(ps->conn);
		if (r == NULL) {
			pg_job_done(ps);
			return;
		}
		ps->res = xrealloc(ps->res, (ps->nres + 1) * sizeof(*ps->res));
		ps->res[ps->nres++] = r;
	}
}

static void pg_setup_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg);

static void pg_connect_step(struct pg_source *ps)
{
	switch (PQconnectPoll(ps->conn)) {
	case PGRES_POLLING_READING:
		if (pg_watch(ps, UV_READABLE) != 0)
			pg_drop(ps, "cannot watch the connection's socket");
		return;
	case PGRES_POLLING_WRITING:
		if (pg_watch(ps, UV_WRITABLE) != 0)
			pg_drop(ps, "cannot watch the connection's socket");
		return;
	case PGRES_POLLING_OK: break;
	default: pg_drop_conn_error(ps, "cannot connect"); return;
	}
	pg_deadline_stop(ps);
	if (PQsetnonblocking(ps->conn, 1) != 0) {
		pg_drop_conn_error(ps, "cannot connect");
		return;
	}
	ps->state = PG_READY;
	/* sitrep's own statements are bounded; the setup runs first. */
	struct pg_job *j = xcalloc(1, sizeof(*j));
	/* DateStyle and TimeZone pinned: a session's backend_start and
	 * query_start are read as text and sent back as literals (its identity),
	 * so they must read the same on every connection. */
	j->sql = xasprintf("SET statement_timeout = %.0f; SET lock_timeout = %.0f;"
	                   " SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC';"
	                   " SELECT current_setting('server_version_num')::int, current_user::text,"
	                   " coalesce((SELECT pg_has_role(oid, 'USAGE') FROM pg_roles"
	                   " WHERE rolname = 'pg_read_all_stats'), false);",
	                   ps->statement_timeout_ms, ps->statement_timeout_ms);
	j->done = pg_setup_done;
	j->next = ps->jobs;
	ps->jobs = j;
	if (ps->jobs_tail == NULL)
		ps->jobs_tail = j;
	pg_run(ps);
}

static void pg_on_io(uv_poll_t *h, int status, int events)
{
	struct pg_source *ps = h->data;
	if (ps->conn == NULL)
		return;
	if (ps->state == PG_CONNECTING) {
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
			pg_drop(ps, "cannot watch the connection's socket");
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
		uv_async_init(ps->src->loop, ps->async, pg_thread_answer);
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
	ps->state = PG_RESOLVING;
	pg_deadline(ps, ps->connect_timeout_ms);
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
		pg_drop(ps, "cannot connect: no thread to start the connection on");
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
		pg_drop(ps, "cannot connect: %s", first_err);
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
	ps->state = PG_RESOLVING;
	pg_deadline_stop(ps); /* each lookup has the connect timeout of its own */
	for (size_t i = 0; i < ps->nentries; i++) {
		struct pg_entry *e = &ps->entries[i];
		e->owner = ps;
		if (e->lookup)
			e->resolve = http_resolve(app_http(ps->src->app), e->host,
			                          (unsigned)ps->connect_timeout_ms, pg_on_resolved, e);
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
		pg_drop(ps, "cannot connect: %s", err);
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
		pg_drop(ps, "cannot connect: out of memory");
		return;
	}
	PQsetNoticeProcessor(ps->conn, pg_notice, NULL);
	if (PQstatus(ps->conn) == CONNECTION_BAD) {
		pg_drop_conn_error(ps, "cannot connect");
		return;
	}
	ps->state = PG_CONNECTING;
	pg_deadline(ps, ps->connect_timeout_ms);
	/* As if PQconnectPoll had asked to write. */
	if (pg_watch(ps, UV_WRITABLE) != 0)
		pg_drop(ps, "cannot watch the connection's socket");
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
	pg_deadline_stop(ps);
	if (step == PG_STEP_SETTINGS) {
		pg_settings_read(ps, conn);
		if (conn != NULL)
			PQfinish(conn); /* never connected: no socket, no I/O */
	} else {
		pg_started(ps, conn);
	}
}

static void pg_connect(struct pg_source *ps)
{
	/* sslmode is checked after libpq has read every setting and before it
	 * looks anything up or connects: this start always stops there. */
	const char *keys[] = {"dbname", "sslmode"};
	const char *vals[] = {ps->conninfo, "sitrep-reads-the-settings-only"};
	if (pg_thread_run(ps, PG_STEP_SETTINGS, keys, vals, 2) != 0)
		pg_drop(ps, "cannot connect: no thread to read the connection settings on");
}

static void pg_setup_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	(void)arg;
	if (err != NULL) {
		if (ps->conn != NULL && ps->state == PG_READY)
			pg_drop(ps, "%s", err);
		return;
	}
	const PGresult *r = nres > 0 ? res[nres - 1] : NULL;
	if (r == NULL || PQntuples(r) != 1 || PQnfields(r) != 3) {
		pg_drop(ps, "unexpected answer to the setup query");
		return;
	}
	ps->server_version = atoi(PQgetvalue(r, 0, 0));
	free(ps->role);
	ps->role = sanitize_str(PQgetvalue(r, 0, 1));
	ps->read_all_stats = strcmp(PQgetvalue(r, 0, 2), "t") == 0;
}

/* Connects when down (after the backoff), runs the queue when ready. */
static void pg_kick(struct pg_source *ps)
{
	if (ps->stopping) {
		pg_fail_jobs(ps, "stopped");
	} else if (ps->state == PG_DOWN && ps->jobs != NULL) {
		if (uv_now(ps->src->loop) < ps->retry_at_ms) {
			char *msg =
			    xasprintf("%s (retrying in %.0f s)", ps->last_error,
			              ceil((double)(ps->retry_at_ms - uv_now(ps->src->loop)) / 1000.0));
			pg_fail_jobs(ps, msg);
			free(msg);
			return;
		}
		pg_connect(ps);
	} else if (ps->state == PG_READY) {
		pg_run(ps);
	}
}

static void pg_enqueue(struct pg_source *ps, char *sql, pg_job_cb done, void *arg)
{
	struct pg_job *j = xcalloc(1, sizeof(*j));
	j->sql = sql;
	j->done = done;
	j->arg = arg;
	if (ps->jobs_tail != NULL)
		ps->jobs_tail->next = j;
	else
		ps->jobs = j;
	ps->jobs_tail = j;
	pg_kick(ps);
}

/* --- the refresh --------------------------------------------------------- */

/* The activity query's answer as a model (sessions only: no deploy, no
 * tps); NULL when the answer is not the expected shape. Caller frees. */
static struct database_data *pg_activity_model(struct pg_source *ps, PGresult **res, size_t nres)
{
	if (nres != 2 || PQnfields(res[0]) != PG_NCOLS || PQnfields(res[1]) != 2)
		return NULL;
	struct database_data *d = database_data_new();
	d->server_version = ps->server_version;
	d->role = xstrdup(ps->role != NULL ? ps->role : "");
	d->by_query_id = ps->server_version >= 140000;
	d->storm_min = ps->storm_min;
	const char *v[PG_NCOLS];
	for (int row = 0; row < PQntuples(res[0]); row++) {
		for (int c = 0; c < PG_NCOLS; c++)
			v[c] = PQgetisnull(res[0], row, c) ? NULL : PQgetvalue(res[0], row, c);
		postgres_parse_session(d, v, d->by_query_id);
	}
	return d;
}

static void pg_refresh_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	(void)arg;
	struct source *src = ps->src;
	if (err != NULL) {
		source_fail(src, "%s", err);
		return;
	}
	struct database_data *d = pg_activity_model(ps, res, nres);
	if (d == NULL) {
		source_fail(src, "unexpected answer from the server");
		return;
	}
	/* The deploys pane's history counts too: sitrep may start after r42. */
	const struct mark *m = src->app != NULL ? marks_latest(marks_of(src->app)) : NULL;
	if (m != NULL && m->time_ms > ps->deploy_ms) {
		free(ps->deploy);
		ps->deploy = xstrdup(m->id);
		ps->deploy_ms = m->time_ms;
	}
	if (ps->deploy != NULL) {
		d->deploy = sanitize_str(ps->deploy);
		d->deploy_ms = ps->deploy_ms;
	}
	database_build(d);
	if (PQntuples(res[1]) == 1 && !PQgetisnull(res[1], 0, 0)) {
		double x = atof(PQgetvalue(res[1], 0, 0)), t = atof(PQgetvalue(res[1], 0, 1));
		if (ps->have_xacts && t > ps->last_xacts_t && x >= ps->last_xacts)
			d->tps = (x - ps->last_xacts) / (t - ps->last_xacts_t);
		ps->last_xacts = x;
		ps->last_xacts_t = t;
		ps->have_xacts = true;
	}
	source_publish(src, d);
}

/* The server's version is known once connected (the setup job runs
 * first), so the refresh's SQL is built when it runs (sql NULL). */
static void pg_refresh(struct source *src)
{
	pg_enqueue(src->data, NULL, pg_refresh_done, NULL);
}

/* --- actions ------------------------------------------------------------- */

/* An action names sessions by identity (postgres-parse.h): the dialog shows
 * them, the statement that acts re-checks them, the verification looks for
 * them. A target that no longer matches "ended before the action" and is not
 * touched; sessions of a group that started after the dialog are counted and
 * reported, never signalled. */

struct pg_request {
	struct postgres_target *targets;
	size_t ntargets;
	char *group;  /* the query group the dialog showed; NULL: sessions */
	char *sql;    /* exactly what act() sends: one statement per target */
	char *lookup; /* the read that looks for the targets afterwards */
	bool terminate;
};

/* What became of one target. */
enum pg_fate { PG_FATE_SENT, PG_FATE_ENDED, PG_FATE_REFUSED };

/* An action in flight. */
struct pg_act {
	struct pg_source *ps;
	struct action *action;
	enum pg_fate *fates; /* per target */
	size_t running;      /* signalled targets still doing it at the last look */
	uint64_t sent_ms;    /* when the signal went out (monotonic) */
	uv_timer_t *timer;
	enum action_result result; /* kept while the group's newer sessions are counted */
	char *msg;
	struct pg_act *next;
};

static void pg_targets_free(struct postgres_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].backend_start);
		free(t[i].query_start);
	}
	free(t);
}

static void pg_request_free(void *p)
{
	struct pg_request *r = p;
	if (r == NULL)
		return;
	pg_targets_free(r->targets, r->ntargets);
	free(r->group);
	free(r->sql);
	free(r->lookup);
	free(r);
}

/* A blocking look at the server, for `sitrep do` only: its prepare runs
 * outside the loop, which is run here until the answer is in. The dashboard
 * (and --once) never come here: their loop is running, and their selection
 * carries the identities from the snapshot. */
struct pg_now {
	bool done;
	char *err;
	PGresult **res; /* taken from the job */
	size_t nres;
};

static void pg_now_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	(void)ps;
	struct pg_now *w = arg;
	w->done = true;
	if (err != NULL) {
		w->err = xstrdup(err);
		return;
	}
	w->res = xcalloc(nres + 1, sizeof(*w->res));
	for (size_t i = 0; i < nres; i++) {
		w->res[i] = res[i];
		res[i] = NULL; /* ours now */
	}
	w->nres = nres;
}

static void pg_now_clear(struct pg_now *w)
{
	for (size_t i = 0; i < w->nres; i++)
		PQclear(w->res[i]);
	free(w->res);
	free(w->err);
	memset(w, 0, sizeof(*w));
}

/* sql NULL: the activity query. 0, or -1 with err. */
static int pg_now(struct pg_source *ps, char *sql, struct pg_now *w, char *err, size_t cap)
{
	memset(w, 0, sizeof(*w));
	if (ps->started || ps->src->loop == NULL) {
		free(sql);
		snprintf(err, cap, "the session is not in the pane's data (refresh and select it again)");
		return -1;
	}
	if (ps->state == PG_DOWN)
		ps->retry_at_ms = 0;
	pg_enqueue(ps, sql, pg_now_done, w);
	while (!w->done && uv_run(ps->src->loop, UV_RUN_ONCE) != 0)
		;
	if (!w->done)
		pg_drop(ps, "the connection stalled"); /* fails the job: w is still ours */
	if (w->err != NULL) {
		snprintf(err, cap, "%s", w->err);
		pg_now_clear(w);
		return -1;
	}
	return 0;
}

/* `sitrep do` asks the server (it has a loop and no snapshot); the
 * dashboard, and anything without a loop, names what its snapshot shows. */
static bool pg_ask_server(const struct pg_source *ps)
{
	return !ps->started && ps->src->loop != NULL;
}

static void pg_target_add(struct postgres_target **t, size_t *n, int pid, const char *bs, const char *qs)
{
	*t = xrealloc(*t, (*n + 1) * sizeof(**t));
	(*t)[*n].pid = pid;
	(*t)[*n].backend_start = xstrdup(bs);
	(*t)[*n].query_start = qs != NULL ? xstrdup(qs) : NULL;
	(*n)++;
}

/* A session of the model as a target; -1 with err when it cannot be named. */
static int pg_target_of(const struct db_query *q, int pid, struct postgres_target **t, size_t *n, char *err,
                        size_t cap)
{
	if (q == NULL) {
		snprintf(err, cap, "no such session now (pid %d; already gone?)", pid);
		return -1;
	}
	if (q->backend_start == NULL) {
		snprintf(err, cap,
		         "pid %d: this login cannot see when that session started, so it cannot be named "
		         "exactly (GRANT pg_read_all_stats)",
		         pid);
		return -1;
	}
	pg_target_add(t, n, pid, q->backend_start, q->query_start);
	return 0;
}

/* `sitrep do cancel PID`: the session on that pid now, as the server has it
 * (any state: an idle session can be terminated). */
static int pg_target_now(struct pg_source *ps, int pid, struct postgres_target **t, size_t *n, char *err,
                         size_t cap)
{
	struct postgres_target probe = {.pid = pid};
	struct pg_now w;
	if (pg_now(ps, postgres_lookup_sql(&probe, 1), &w, err, cap) != 0)
		return -1;
	const PGresult *r = w.nres == 1 ? w.res[0] : NULL;
	int rc = -1;
	if (r == NULL || PQnfields(r) != 4)
		snprintf(err, cap, "unexpected answer from the server");
	else if (PQntuples(r) == 0)
		snprintf(err, cap, "no such session now (pid %d; already gone?)", pid);
	else if (PQgetisnull(r, 0, 1) || !database_valid_timestamp(PQgetvalue(r, 0, 1)))
		snprintf(err, cap,
		         "pid %d: this login cannot see when that session started, so it cannot be named "
		         "exactly (GRANT pg_read_all_stats)",
		         pid);
	else {
		const char *qs = PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2);
		pg_target_add(t, n, pid, PQgetvalue(r, 0, 1), database_valid_timestamp(qs) ? qs : NULL);
		rc = 0;
	}
	pg_now_clear(&w);
	return rc;
}

/* The sessions of a group: the snapshot's (dashboard), or the server's now
 * (`sitrep do cancel --group`, a query_id or a text group key alike). */
static int pg_group_targets(struct pg_source *ps, const char *group, struct postgres_target **t, size_t *n,
                            char *err, size_t cap)
{
	struct database_data *now = NULL;
	const struct database_data *d = ps->src->snap.data;
	if (pg_ask_server(ps)) {
		struct pg_now w;
		if (pg_now(ps, NULL, &w, err, cap) != 0)
			return -1;
		now = pg_activity_model(ps, w.res, w.nres);
		pg_now_clear(&w);
		if (now == NULL) {
			snprintf(err, cap, "unexpected answer from the server");
			return -1;
		}
		database_build(now);
		d = now;
	}
	const struct db_group *g = database_group(d, group);
	int rc = 0;
	if (g == NULL || g->npids == 0) {
		char *shown = sanitize_str(group);
		snprintf(err, cap, "query group %s is not running now", shown);
		free(shown);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && g != NULL && i < g->npids; i++)
		rc = pg_target_of(database_query(d, g->pids[i]), g->pids[i], t, n, err, cap);
	database_data_free(now);
	return rc;
}

/* The action's targets: each selected identity as it is; a bare pid looked
 * up now; a group's sessions. */
static int pg_action_targets(struct pg_source *ps, const struct action *a, struct postgres_target **t,
                             size_t *n, char *err, size_t cap)
{
	*t = NULL;
	*n = 0;
	for (size_t i = 0; i < a->nselection; i++) {
		int pid;
		char *bs, *qs;
		if (database_identity_parse(a->selection[i], &pid, &bs, &qs) == 0) {
			*t = xrealloc(*t, (*n + 1) * sizeof(**t));
			(*t)[(*n)++] =
			    (struct postgres_target){.pid = pid, .backend_start = bs, .query_start = qs};
			continue;
		}
		int rc;
		if (!postgres_valid_pid(a->selection[i], &pid)) {
			char *shown = sanitize_str(a->selection[i]);
			snprintf(err, cap, "'%s' is not a backend pid", shown);
			free(shown);
			rc = -1;
		} else if (pg_ask_server(ps)) {
			rc = pg_target_now(ps, pid, t, n, err, cap);
		} else {
			rc = pg_target_of(database_query(ps->src->snap.data, pid), pid, t, n, err, cap);
		}
		if (rc != 0) {
			pg_targets_free(*t, *n);
			*t = NULL;
			*n = 0;
			return -1;
		}
	}
	const char *group = action_param(a, "group");
	if (*n == 0 && group != NULL)
		return pg_group_targets(ps, group, t, n, err, cap);
	if (*n == 0) {
		snprintf(err, cap, "no session selected");
		return -1;
	}
	return 0;
}

/* The selection becomes the identities found, so the dialog (and the
 * audit record) shows exactly which sessions the statements name. */
static void pg_selection_set(struct action *a, const struct postgres_target *t, size_t n)
{
	for (size_t i = 0; i < a->nselection; i++)
		free(a->selection[i]);
	free(a->selection);
	a->selection = NULL;
	a->nselection = 0;
	for (size_t i = 0; i < n; i++) {
		char *id = database_identity_format(t[i].pid, t[i].backend_start, t[i].query_start);
		action_select(a, id);
		free(id);
	}
}

/* Builds the statements act() will send and shows them: what the dialog
 * and the audit log carry is the SQL itself, with each session's identity. */
static int pg_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	struct pg_source *ps = src->data;
	bool terminate = a->verb == &kind_database_terminate;
	if (!terminate && a->verb != &kind_database_cancel) {
		snprintf(err, cap, "a database pane cannot %s", a->verb->name);
		return -1;
	}
	struct postgres_target *t;
	size_t n;
	if (pg_action_targets(ps, a, &t, &n, err, cap) != 0)
		return -1;
	struct pg_request *r = xcalloc(1, sizeof(*r));
	r->terminate = terminate;
	r->targets = t;
	r->ntargets = n;
	const char *group = action_param(a, "group");
	r->group = group != NULL ? xstrdup(group) : NULL;
	r->sql = postgres_signal_sql(t, n, terminate);
	r->lookup = postgres_lookup_sql(t, n);
	if (r->sql == NULL) {
		snprintf(err, cap, "a session's start is not a timestamp");
		pg_request_free(r);
		return -1;
	}
	pg_selection_set(a, t, n);
	action_set_effect(a, r->sql);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = r;
	a->request_free = pg_request_free;
	return 0;
}

static void pg_act_free(struct pg_act *pa)
{
	struct pg_act **pp = &pa->ps->acts;
	while (*pp != NULL && *pp != pa)
		pp = &(*pp)->next;
	if (*pp == pa)
		*pp = pa->next;
	pg_close((uv_handle_t *)pa->timer);
	free(pa->fates);
	free(pa->msg);
	free(pa);
}

static void pg_act_finish(struct pg_act *pa, enum action_result r, const char *msg)
{
	struct pg_source *ps = pa->ps;
	struct action *a = pa->action;
	pa->action = NULL;
	char *text = xstrdup(msg);
	pg_act_free(pa);
	if (a != NULL)
		action_finish(a, r, "%s", text);
	free(text);
	if (ps->started && !ps->stopping)
		source_refresh_now(ps->src); /* show the effect without waiting for the tick */
}

static bool pg_act_known(struct pg_source *ps, struct pg_act *pa)
{
	for (struct pg_act *x = ps->acts; x != NULL; x = x->next)
		if (x == pa)
			return true;
	return false;
}

/* "pid 11, 12" of the targets with that fate. Caller frees. */
static char *pg_act_pids(const struct pg_act *pa, enum pg_fate fate, size_t *count)
{
	const struct pg_request *r = pa->action->request;
	char *out = xstrdup("");
	*count = 0;
	for (size_t i = 0; i < r->ntargets; i++) {
		if (pa->fates[i] != fate)
			continue;
		char *next = xasprintf("%s%s%d", out, (*count)++ > 0 ? ", " : "pid ", r->targets[i].pid);
		free(out);
		out = next;
	}
	return out;
}

/* The newer sessions of the group: running it now, not among the targets
 * (a target that started the same query again counts: it is a new query). */
static void pg_newer_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	const struct pg_request *r = pa->action->request;
	struct database_data *d = err == NULL ? pg_activity_model(ps, res, nres) : NULL;
	char *msg;
	if (d == NULL) {
		msg = xasprintf("%s; could not look for newer sessions of the group: %s", pa->msg,
		                err != NULL ? err : "unexpected answer");
	} else {
		database_build(d);
		const struct db_group *g = database_group(d, r->group);
		size_t newer = 0;
		for (size_t i = 0; g != NULL && i < g->npids; i++) {
			const struct db_query *q = database_query(d, g->pids[i]);
			bool listed = false;
			for (size_t k = 0; q != NULL && k < r->ntargets && !listed; k++)
				listed = q->pid == r->targets[k].pid &&
				         util_str_same(q->backend_start, r->targets[k].backend_start) &&
				         (r->terminate ||
				          util_str_same(q->query_start, r->targets[k].query_start));
			newer += !listed;
		}
		if (newer > 0)
			msg =
			    xasprintf("%s; %zu newer session%s of this group %s not touched: press %s again",
			              pa->msg, newer, newer == 1 ? "" : "s", newer == 1 ? "was" : "were",
			              r->terminate ? "K" : "c");
		else
			msg = xstrdup(pa->msg);
		database_data_free(d);
	}
	pg_act_finish(pa, pa->result, msg);
	free(msg);
}

/* The outcome is known; a group's is completed by the count of its newer
 * sessions. */
static void pg_act_conclude(struct pg_act *pa, enum action_result result, char *msg)
{
	const struct pg_request *r = pa->action->request;
	if (r->group == NULL || pa->ps->conn == NULL) {
		pg_act_finish(pa, result, msg);
		free(msg);
		return;
	}
	pa->result = result;
	free(pa->msg);
	pa->msg = msg;
	pg_enqueue(pa->ps, NULL, pg_newer_done, pa);
}

/* Every signalled target is verified gone (or the time is up). */
static void pg_act_outcome(struct pg_act *pa, const char *err)
{
	const struct pg_request *r = pa->action->request;
	size_t sent, ended, refused;
	char *sent_pids = pg_act_pids(pa, PG_FATE_SENT, &sent);
	char *ended_pids = pg_act_pids(pa, PG_FATE_ENDED, &ended);
	char *refused_pids = pg_act_pids(pa, PG_FATE_REFUSED, &refused);
	char *head;
	enum action_result result = ACTION_OK;
	if (sent == 0) {
		head = xstrdup("");
		result = ACTION_FAILED;
	} else if (err != NULL) {
		head = xasprintf("sent, but could not check the result: %s", err);
		result = ACTION_UNKNOWN;
	} else if (pa->running > 0) {
		head = r->terminate
		           ? xasprintf("%zu session%s still connected after 5 s (%s)", pa->running,
		                       pa->running == 1 ? "" : "s", sent_pids)
		           : xasprintf("still running after 5 s (%zu of %zu, %s): press K to terminate",
		                       pa->running, sent, sent_pids);
		result = ACTION_FAILED;
	} else if (sent == 1) {
		head = xasprintf("%s (%s)", r->terminate ? "session ended" : "query stopped", sent_pids);
	} else {
		head = xasprintf("%zu %s", sent, r->terminate ? "sessions ended" : "queries stopped");
	}
	/* A target that no longer matched was not acted on: said, and not ok. */
	char *tail = xstrdup("");
	if (ended > 0) {
		char *what = ended == 1 ? xstrdup(r->terminate ? "the session" : "the query")
		                        : xasprintf("%zu %s", ended, r->terminate ? "sessions" : "queries");
		char *next = xasprintf("%s%s%s ended before the action (%s): not touched", tail,
		                       *head != '\0' ? "; " : "", what, ended_pids);
		free(what);
		free(tail);
		tail = next;
		if (result == ACTION_OK)
			result = ACTION_FAILED;
	}
	if (refused > 0) {
		char *next = xasprintf("%s%s%zu not signalled (%s: the server refused)", tail,
		                       *head != '\0' || *tail != '\0' ? "; " : "", refused, refused_pids);
		free(tail);
		tail = next;
		if (result == ACTION_OK)
			result = ACTION_FAILED;
	}
	char *msg = xasprintf("%s%s", head, tail);
	free(head);
	free(tail);
	free(sent_pids);
	free(ended_pids);
	free(refused_pids);
	pg_act_conclude(pa, result, msg);
}

static void pg_verify_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg);

static void pg_verify_tick(uv_timer_t *t)
{
	struct pg_act *pa = t->data;
	const struct pg_request *r = pa->action->request;
	pg_enqueue(pa->ps, xstrdup(r->lookup), pg_verify_done, pa);
}

/* Which signalled targets still do what they were asked to stop: the same
 * identity, never only the same pid. */
static void pg_verify_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	const struct pg_request *req = pa->action->request;
	const PGresult *r = nres == 1 && PQnfields(res[0]) == 4 ? res[0] : NULL;
	if (err == NULL && r == NULL)
		err = "unexpected answer";
	pa->running = 0;
	for (size_t i = 0; err == NULL && i < req->ntargets; i++) {
		if (pa->fates[i] != PG_FATE_SENT)
			continue;
		for (int row = 0; row < PQntuples(r); row++) {
			const char *v[4];
			for (int c = 0; c < 4; c++)
				v[c] = PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
			if (postgres_target_running(&req->targets[i], req->terminate, v[0], v[1], v[2],
			                            v[3])) {
				pa->running++;
				break;
			}
		}
	}
	bool late = uv_now(ps->src->loop) - pa->sent_ms >= PG_VERIFY_MS;
	if (err == NULL && pa->running > 0 && !late) {
		uv_timer_start(pa->timer, pg_verify_tick, PG_VERIFY_STEP_MS, 0);
		return;
	}
	pg_act_outcome(pa, err);
}

/* The signal's answers: one per statement, in the targets' order: a row
 * (pid, t/f) when the identity matched, none when the target had ended. */
static void pg_signal_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	const struct pg_request *r = pa->action->request;
	if (err != NULL || nres != r->ntargets) {
		char *msg = xasprintf("%s", err != NULL ? err : "unexpected answer to the signal");
		pg_act_finish(pa, ps->conn == NULL || err == NULL ? ACTION_UNKNOWN : ACTION_FAILED, msg);
		free(msg);
		return;
	}
	pa->sent_ms = uv_now(ps->src->loop);
	size_t sent = 0;
	for (size_t i = 0; i < nres; i++) {
		if (PQntuples(res[i]) == 0)
			pa->fates[i] = PG_FATE_ENDED;
		else if (strcmp(PQgetvalue(res[i], 0, PQnfields(res[i]) - 1), "t") == 0)
			pa->fates[i] = PG_FATE_SENT, sent++;
		else
			pa->fates[i] = PG_FATE_REFUSED;
	}
	if (sent == 0) {
		pg_act_outcome(pa, NULL);
		return;
	}
	uv_timer_start(pa->timer, pg_verify_tick, PG_VERIFY_STEP_MS, 0);
}

static int pg_act(struct source *src, const struct action *action)
{
	struct pg_source *ps = src->data;
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	const struct pg_request *r = a->request;
	if (r == NULL || src->loop == NULL)
		return -1;
	struct pg_act *pa = xcalloc(1, sizeof(*pa));
	pa->ps = ps;
	pa->action = a;
	pa->fates = xcalloc(r->ntargets + 1, sizeof(*pa->fates));
	pa->timer = pg_timer(ps, pa);
	pa->next = ps->acts;
	ps->acts = pa;
	/* An action is worth a fresh try at once. */
	if (ps->state == PG_DOWN)
		ps->retry_at_ms = 0;
	pg_enqueue(ps, xstrdup(r->sql), pg_signal_done, pa);
	return 0;
}

/* --- lifetime ------------------------------------------------------------ */

static void pg_stop(struct source *src)
{
	struct pg_source *ps = src->data;
	if (ps == NULL)
		return;
	ps->stopping = true;
	if (ps->subscribed && src->app != NULL) {
		event_unsubscribe(&src->app->bus, pg_on_deploy, ps);
		ps->subscribed = false;
	}
	while (ps->acts != NULL)
		pg_act_finish(ps->acts, ACTION_UNKNOWN, "sitrep stopped before the result was known");
	pg_setup_cancel(ps);
	pg_close((uv_handle_t *)ps->async);
	ps->async = NULL;
	pg_unwatch(ps);
	pg_close((uv_handle_t *)ps->deadline);
	ps->deadline = NULL;
	pg_results_clear(ps);
	if (ps->conn != NULL)
		PQfinish(ps->conn);
	ps->conn = NULL;
	ps->state = PG_DOWN;
	pg_fail_jobs(ps, "stopped");
}

static void pg_destroy(struct source *src)
{
	struct pg_source *ps = src->data;
	if (ps == NULL)
		return;
	if (ps->conn != NULL || ps->jobs != NULL || ps->acts != NULL || ps->thread != NULL ||
	    ps->entries != NULL || ps->async != NULL)
		pg_stop(src);
	free(ps->conninfo);
	config_free_secret(ps->password);
	free(ps->last_error);
	free(ps->role);
	free(ps->deploy);
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
