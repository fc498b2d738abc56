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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "backends/postgres-parse.h"
#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/config.h"
#include "sitrep/database.h"
#include "sitrep/event.h"
#include "sitrep/http.h"
#include "sitrep/marks.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/sources.h"
#include "sitrep/util.h"

/* How long an action waits for the cancelled query to go. */
#define PG_VERIFY_MS      5000
#define PG_VERIFY_STEP_MS 250
#define PG_BACKOFF_MAX_MS 30000

enum pg_state { PG_DOWN, PG_RESOLVING, PG_CONNECTING, PG_READY, PG_BUSY };

struct pg_source;

/* A job's results: PGresults in order; err set (sanitized) when it failed. */
typedef void (*pg_job_cb)(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg);

struct pg_job {
	char *sql; /* NULL: the activity query for the server's version, built when it runs */
	pg_job_cb done;
	void *arg;
	struct pg_job *next;
};

/* An action in flight: its sessions as they were before the signal. */
struct pg_act {
	struct pg_source *ps;
	struct action *action;
	bool terminate;
	int *pids;
	double *starts; /* query_start (epoch s) before the signal, -1 unknown */
	size_t npids;
	uint64_t sent_ms; /* when the signal went out (monotonic) */
	uv_timer_t *timer;
	char *refused; /* pids for which the function returned false */
	struct pg_act *next;
};

struct pg_request {
	char *sql;    /* exactly what act() sends */
	char *lookup; /* the read that finds the sessions before and after */
	bool terminate;
};

struct pg_source {
	struct source *src;
	char *conninfo;
	char *password; /* config_get_secret; NULL: libpq's own (pgpass) */
	char *resolve_name;             /* the host libpq would look up itself; NULL: none */
	struct http_resolve *resolving; /* its lookup, off the loop */
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

/* The host name libpq would resolve with a blocking lookup, or NULL when it
 * would not look one up (an address, a socket directory, hostaddr given) or
 * when the string names several hosts or ports (left to libpq, which
 * resolves them itself: docs/configuration.md says to give addresses). The
 * environment counts as libpq reads it. Caller frees. */
static char *pg_host_to_resolve(const PQconninfoOption *opts)
{
	const char *host = NULL, *hostaddr = NULL, *port = NULL;
	for (const PQconninfoOption *o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
	}
	if (host == NULL)
		host = getenv("PGHOST");
	if (hostaddr == NULL)
		hostaddr = getenv("PGHOSTADDR");
	if (port == NULL)
		port = getenv("PGPORT");
	if (host == NULL || host[0] == '\0' || (hostaddr != NULL && hostaddr[0] != '\0'))
		return NULL;
	if (host[0] == '/' || host[0] == '@' || strchr(host, ',') != NULL ||
	    (port != NULL && strchr(port, ',') != NULL))
		return NULL;
	unsigned char buf[sizeof(struct in6_addr)];
	if (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1)
		return NULL;
	return xstrdup(host);
}

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
	ps->resolve_name = pg_host_to_resolve(opts);
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
	if (ps->state == PG_CONNECTING)
		pg_drop(ps, "no connection within %.0f s", ps->connect_timeout_ms / 1000);
	else if (ps->state == PG_BUSY)
		pg_drop(ps, "server not answering for %.1f s (hung?)", ps->query_timeout_ms / 1000);
}

static void pg_deadline(struct pg_source *ps, double ms)
{
	if (ps->deadline == NULL)
		ps->deadline = pg_timer(ps, ps);
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
	j->sql = xasprintf("SET statement_timeout = %.0f; SET lock_timeout = %.0f;"
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

/* Opens the connection; addrs: the addresses resolve_name has now
 * ("a,[b]"), NULL to let libpq read the string as it is. */
static void pg_connect_to(struct pg_source *ps, const char *addrs)
{
	const char *keys[7] = {"dbname", "fallback_application_name", NULL, NULL, NULL, NULL, NULL};
	const char *vals[7] = {ps->conninfo, "sitrep", NULL, NULL, NULL, NULL, NULL};
	int k = 2;
	if (ps->password != NULL) {
		keys[k] = "password";
		vals[k++] = ps->password;
	}
	/* Later keys override the string's: host once per address. */
	char *hosts = NULL, *hostaddrs = NULL;
	if (addrs != NULL) {
		size_t n = 1;
		for (const char *c = addrs; *c != '\0'; c++)
			n += *c == ',';
		size_t nl = strlen(ps->resolve_name);
		hosts = xmalloc(n * (nl + 1));
		hostaddrs = xmalloc(strlen(addrs) + 1);
		size_t o = 0, a = 0;
		for (size_t i = 0; i < n; i++) {
			memcpy(hosts + o, ps->resolve_name, nl);
			o += nl;
			hosts[o++] = i + 1 < n ? ',' : '\0';
		}
		for (const char *c = addrs; *c != '\0'; c++)
			if (*c != '[' && *c != ']')
				hostaddrs[a++] = *c;
		hostaddrs[a] = '\0';
		keys[k] = "host";
		vals[k++] = hosts;
		keys[k] = "hostaddr";
		vals[k++] = hostaddrs;
	}
	ps->conn = PQconnectStartParams(keys, vals, 1);
	free(hosts);
	free(hostaddrs);
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

static void pg_on_resolved(const char *addrs, const char *err, void *arg)
{
	struct pg_source *ps = arg;
	ps->resolving = NULL;
	if (err != NULL) {
		pg_drop(ps, "cannot connect: %s", err);
		return;
	}
	pg_connect_to(ps, addrs);
}

static void pg_connect(struct pg_source *ps)
{
	if (ps->resolve_name == NULL) {
		pg_connect_to(ps, NULL);
		return;
	}
	ps->state = PG_RESOLVING;
	ps->resolving = http_resolve(app_http(ps->src->app), ps->resolve_name, (unsigned)ps->connect_timeout_ms,
	                             pg_on_resolved, ps);
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

static void pg_refresh_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	(void)arg;
	struct source *src = ps->src;
	if (err != NULL) {
		source_fail(src, "%s", err);
		return;
	}
	if (nres != 2 || PQnfields(res[0]) != PG_NCOLS || PQnfields(res[1]) != 2) {
		source_fail(src, "unexpected answer from the server");
		return;
	}
	struct database_data *d = database_data_new();
	d->server_version = ps->server_version;
	d->role = xstrdup(ps->role != NULL ? ps->role : "");
	d->by_query_id = ps->server_version >= 140000;
	d->storm_min = ps->storm_min;
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
	const char *v[PG_NCOLS];
	for (int row = 0; row < PQntuples(res[0]); row++) {
		for (int c = 0; c < PG_NCOLS; c++)
			v[c] = PQgetisnull(res[0], row, c) ? NULL : PQgetvalue(res[0], row, c);
		postgres_parse_session(d, v, d->by_query_id);
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

static void pg_request_free(void *p)
{
	struct pg_request *r = p;
	if (r == NULL)
		return;
	free(r->sql);
	free(r->lookup);
	free(r);
}

/* The pids the action names: its selection (from the pane or `do cancel
 * PID`), or the sessions of a group known to the current snapshot. */
static int pg_action_pids(struct source *src, const struct action *a, int **pids, size_t *n, char *err,
                          size_t cap)
{
	*pids = NULL;
	*n = 0;
	for (size_t i = 0; i < a->nselection; i++) {
		int pid;
		if (!postgres_valid_pid(a->selection[i], &pid)) {
			char *shown = sanitize_str(a->selection[i]);
			snprintf(err, cap, "'%s' is not a backend pid", shown);
			free(shown);
			free(*pids);
			*pids = NULL;
			*n = 0;
			return -1;
		}
		*pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
		(*pids)[(*n)++] = pid;
	}
	const char *group = action_param(a, "group");
	const struct db_group *g = *n == 0 ? database_group(src->snap.data, group) : NULL;
	for (size_t i = 0; g != NULL && i < g->npids; i++) {
		*pids = xrealloc(*pids, (*n + 1) * sizeof(**pids));
		(*pids)[(*n)++] = g->pids[i];
	}
	return 0;
}

static char *pg_lookup_sql(const int *pids, size_t n, const char *query_id)
{
	const char *head = "SELECT pid, extract(epoch FROM query_start), state FROM pg_stat_activity WHERE ";
	if (query_id != NULL)
		return xasprintf(
		    "%squery_id = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend';", head,
		    query_id);
	char *list = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%d", list, i > 0 ? ", " : "", pids[i]);
		free(list);
		list = next;
	}
	char *out = xasprintf("%spid IN (%s);", head, list);
	free(list);
	return out;
}

/* Builds the statements act() will send and shows them: what the dialog
 * and the audit log carry is the SQL itself. */
static int pg_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	bool terminate = strcmp(a->verb, "terminate") == 0;
	if (!terminate && strcmp(a->verb, "cancel") != 0) {
		snprintf(err, cap, "a database pane cannot %s", a->verb);
		return -1;
	}
	int *pids;
	size_t n;
	if (pg_action_pids(src, a, &pids, &n, err, cap) != 0)
		return -1;
	const char *group = action_param(a, "group");
	struct pg_request *r = xcalloc(1, sizeof(*r));
	r->terminate = terminate;
	if (n > 0) {
		r->sql = postgres_signal_sql(pids, n, terminate);
		r->lookup = pg_lookup_sql(pids, n, NULL);
	} else if (group != NULL && postgres_valid_query_id(group)) {
		/* `sitrep do cancel --group QUERYID` without a dashboard: the server
		 * finds the sessions by query_id. */
		r->sql = postgres_signal_group_sql(group, terminate);
		r->lookup = pg_lookup_sql(NULL, 0, group);
	} else {
		char *shown = sanitize_str(group != NULL ? group : "");
		if (group != NULL)
			snprintf(
			    err, cap,
			    "query group %s is not running now (a text group is known to the dashboard only; "
			    "use a PID or a query_id)",
			    shown);
		else
			snprintf(err, cap, "no session selected");
		free(shown);
		free(pids);
		pg_request_free(r);
		return -1;
	}
	free(pids);
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
	free(pa->pids);
	free(pa->starts);
	free(pa->refused);
	free(pa);
}

static void pg_act_finish(struct pg_act *pa, enum action_result r, const char *msg)
{
	struct pg_source *ps = pa->ps;
	struct action *a = pa->action;
	pa->action = NULL;
	pg_act_free(pa);
	if (a != NULL)
		action_finish(a, r, "%s", msg);
	if (ps->started && !ps->stopping)
		source_refresh_now(ps->src); /* show the effect without waiting for the tick */
}

static void pg_verify_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg);

static void pg_verify_tick(uv_timer_t *t)
{
	struct pg_act *pa = t->data;
	const struct pg_request *r = pa->action->request;
	pg_enqueue(pa->ps, xstrdup(r->lookup), pg_verify_done, pa);
}

static bool pg_act_known(struct pg_source *ps, struct pg_act *pa)
{
	for (struct pg_act *x = ps->acts; x != NULL; x = x->next)
		if (x == pa)
			return true;
	return false;
}

/* Which sessions still run the query they ran before the signal. */
static void pg_verify_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	size_t running = 0;
	int first = 0;
	const PGresult *r = nres == 1 ? res[0] : NULL;
	for (int row = 0; err == NULL && r != NULL && row < PQntuples(r); row++) {
		int pid = atoi(PQgetvalue(r, row, 0));
		double start = PQgetisnull(r, row, 1) ? -1 : atof(PQgetvalue(r, row, 1));
		bool active = !PQgetisnull(r, row, 2) && strcmp(PQgetvalue(r, row, 2), "active") == 0;
		for (size_t i = 0; i < pa->npids; i++) {
			if (pa->pids[i] != pid)
				continue;
			/* terminate: the session must be gone; cancel: its query */
			if (pa->terminate || (active && start == pa->starts[i])) {
				if (running++ == 0)
					first = pid;
			}
		}
	}
	bool late = uv_now(ps->src->loop) - pa->sent_ms >= PG_VERIFY_MS;
	if (err == NULL && running == 0) {
		char *msg;
		const char *what = pa->terminate ? "session ended" : "query stopped";
		if (pa->npids == 1)
			msg = xasprintf("%s (pid %d)%s%s", what, pa->pids[0], pa->refused ? "; " : "",
			                pa->refused ? pa->refused : "");
		else
			msg = xasprintf("%zu %s%s%s", pa->npids,
			                pa->terminate ? "sessions ended" : "queries stopped",
			                pa->refused ? "; " : "", pa->refused ? pa->refused : "");
		pg_act_finish(pa, ACTION_OK, msg);
		free(msg);
		return;
	}
	if (!late) {
		uv_timer_start(pa->timer, pg_verify_tick, PG_VERIFY_STEP_MS, 0);
		return;
	}
	char *msg;
	if (err != NULL)
		msg = xasprintf("sent, but could not check the result: %s", err);
	else if (pa->terminate)
		msg = xasprintf("%zu session%s still connected after 5 s (pid %d)", running,
		                running == 1 ? "" : "s", first);
	else
		msg = xasprintf("still running after 5 s (%zu of %zu, pid %d): press K to terminate", running,
		                pa->npids, first);
	pg_act_finish(pa, err != NULL ? ACTION_UNKNOWN : ACTION_FAILED, msg);
	free(msg);
}

/* The signal's own answers: one row per statement (or per session of a
 * query_id group): pid true/false. */
static void pg_signal_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	if (err != NULL) {
		char *msg = xasprintf("%s", err);
		pg_act_finish(pa, ps->conn == NULL ? ACTION_UNKNOWN : ACTION_FAILED, msg);
		free(msg);
		return;
	}
	pa->sent_ms = uv_now(ps->src->loop);
	size_t refused = 0;
	for (size_t i = 0; i < nres; i++)
		for (int row = 0; row < PQntuples(res[i]); row++)
			if (strcmp(PQgetvalue(res[i], row, PQnfields(res[i]) - 1), "f") == 0)
				refused++;
	if (refused > 0)
		pa->refused = xasprintf("%zu not signalled (already gone?)", refused);
	uv_timer_start(pa->timer, pg_verify_tick, PG_VERIFY_STEP_MS, 0);
}

/* Before the signal: which sessions there are and what they run now. */
static void pg_lookup_done(struct pg_source *ps, PGresult **res, size_t nres, const char *err, void *arg)
{
	struct pg_act *pa = arg;
	if (!pg_act_known(ps, pa))
		return;
	const PGresult *r = nres == 1 ? res[0] : NULL;
	if (err != NULL || r == NULL) {
		char *msg = xasprintf("nothing sent: %s", err != NULL ? err : "unexpected answer");
		pg_act_finish(pa, ACTION_FAILED, msg);
		free(msg);
		return;
	}
	free(pa->pids);
	free(pa->starts);
	pa->npids = (size_t)PQntuples(r);
	pa->pids = xcalloc(pa->npids + 1, sizeof(*pa->pids));
	pa->starts = xcalloc(pa->npids + 1, sizeof(*pa->starts));
	for (size_t i = 0; i < pa->npids; i++) {
		pa->pids[i] = atoi(PQgetvalue(r, (int)i, 0));
		pa->starts[i] = PQgetisnull(r, (int)i, 1) ? -1 : atof(PQgetvalue(r, (int)i, 1));
	}
	if (pa->npids == 0) {
		pg_act_finish(pa, ACTION_FAILED, "no such session now (already gone?); nothing sent");
		return;
	}
	const struct pg_request *req = pa->action->request;
	pg_enqueue(ps, xstrdup(req->sql), pg_signal_done, pa);
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
	pa->terminate = r->terminate;
	pa->timer = pg_timer(ps, pa);
	pa->next = ps->acts;
	ps->acts = pa;
	/* An action is worth a fresh try at once. */
	if (ps->state == PG_DOWN)
		ps->retry_at_ms = 0;
	pg_enqueue(ps, xstrdup(r->lookup), pg_lookup_done, pa);
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
	http_resolve_cancel(ps->resolving);
	ps->resolving = NULL;
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
	if (ps->conn != NULL || ps->jobs != NULL || ps->acts != NULL || ps->resolving != NULL)
		pg_stop(src);
	free(ps->conninfo);
	free(ps->resolve_name);
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
