/* dbengine: the connection's life and the queue every database engine
 * shares (see dbengine.h). One connection per pane, reused; one job at a
 * time from a queue: the refresh, and the steps of an action. A server that
 * does not answer within query_timeout is shown as hung and the connection
 * is dropped; it is opened again after a backoff that doubles up to 30 s,
 * so a server in trouble is not hammered by reconnects. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/dbengine.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

#define DBENGINE_BACKOFF_MAX_MS 30000

static void dbengine_kick(struct dbengine *e);

int dbengine_init(struct dbengine *e, const struct dbengine_ops *ops, void *engine, struct source *src,
                  struct config_ctx *ctx, struct jnode *node)
{
	e->ops = ops;
	e->engine = engine;
	e->src = src;
	double storm;
	if (config_get_number(ctx, node, "connect_timeout_seconds", false, 5, 0.1, 300,
	                      &e->connect_timeout_ms) != 0 ||
	    config_get_number(ctx, node, "query_timeout_seconds", false, 3, 0.1, 300, &e->query_timeout_ms) !=
	        0 ||
	    config_get_number(ctx, node, "storm_count", false, 5, 2, 100000, &storm) != 0)
		return -1;
	e->connect_timeout_ms *= 1000;
	e->query_timeout_ms *= 1000;
	e->storm_min = (size_t)storm;
	return 0;
}

int dbengine_start(struct dbengine *e)
{
	e->started = true;
	return 0;
}

/* --- the deadline --------------------------------------------------------- */

static void dbengine_free_handle(uv_handle_t *h)
{
	free(h);
}

static void dbengine_on_deadline(uv_timer_t *t)
{
	struct dbengine *e = t->data;
	if (e->state == DBENGINE_OPENING) {
		char *late = e->ops->late != NULL ? e->ops->late(e) : NULL;
		if (late != NULL)
			dbengine_drop(e, "%s", late);
		else
			dbengine_drop(e, "starting the connection took more than %.0f s",
			              e->connect_timeout_ms / 1000);
		free(late);
	} else if (e->state == DBENGINE_CONNECTING) {
		dbengine_drop(e, "no connection within %.0f s", e->connect_timeout_ms / 1000);
	} else if (e->state == DBENGINE_BUSY) {
		dbengine_drop(e, "server not answering for %.1f s (hung?)", e->query_timeout_ms / 1000);
	}
}

void dbengine_deadline(struct dbengine *e, double ms)
{
	if (e->deadline == NULL) {
		e->deadline = xcalloc(1, sizeof(*e->deadline));
		uv_timer_init(e->src->loop, e->deadline);
		e->deadline->data = e;
	}
	/* The loop's clock stops while `sitrep do` waits for a y at the terminal:
	 * a deadline counted from that stale time would fire at once. */
	uv_update_time(e->src->loop);
	uv_timer_start(e->deadline, dbengine_on_deadline, (uint64_t)ms, 0);
}

void dbengine_deadline_stop(struct dbengine *e)
{
	if (e->deadline != NULL)
		uv_timer_stop(e->deadline);
}

/* --- the queue ------------------------------------------------------------ */

static void dbengine_job_free(struct dbengine_job *j)
{
	free(j->sql);
	free(j);
}

static void dbengine_results_clear(struct dbengine *e)
{
	dbrows_free_all(e->res, e->nres);
	e->res = NULL;
	e->nres = 0;
	free(e->res_err);
	e->res_err = NULL;
}

/* Fails every queued job with msg; jobs queued meanwhile stay. */
static void dbengine_fail_jobs(struct dbengine *e, const char *msg)
{
	struct dbengine_job *j = e->jobs;
	e->jobs = e->jobs_tail = NULL;
	while (j != NULL) {
		struct dbengine_job *next = j->next;
		j->done(e, NULL, 0, msg, j->arg);
		dbengine_job_free(j);
		j = next;
	}
}

/* Engines' messages span lines ("...failed: Connection refused\n\tIs the
 * server running..."): one line, sanitized. Caller frees. */
char *dbengine_one_line(const char *text)
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

void dbengine_drop(struct dbengine *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = dbengine_one_line(raw);
	free(raw);
	dbengine_deadline_stop(e);
	e->ops->close(e);
	dbengine_results_clear(e);
	e->state = DBENGINE_DOWN;
	e->have_count = false;
	e->backoff_ms = e->backoff_ms == 0 ? 1000 : e->backoff_ms * 2;
	if (e->backoff_ms > DBENGINE_BACKOFF_MAX_MS)
		e->backoff_ms = DBENGINE_BACKOFF_MAX_MS;
	e->retry_at_ms = uv_now(e->src->loop) + e->backoff_ms;
	free(e->last_error);
	e->last_error = msg;
	dbengine_fail_jobs(e, msg);
}

/* Sends the job at the head of the queue. */
static void dbengine_run(struct dbengine *e)
{
	struct dbengine_job *j = e->jobs;
	if (j == NULL || e->state != DBENGINE_READY)
		return;
	if (j->sql == NULL)
		j->sql = e->ops->activity_sql(e);
	e->state = DBENGINE_BUSY;
	dbengine_deadline(e, e->query_timeout_ms);
	e->ops->send(e, j->sql, j->one);
}

/* The job before failed: the jobs that were to run inside the transaction
 * it opened are not sent (they would run outside it); each is told why. */
static void dbengine_skip_in_xact(struct dbengine *e, const char *err)
{
	while (e->state == DBENGINE_READY && e->jobs != NULL && e->jobs->in_xact) {
		struct dbengine_job *x = e->jobs;
		e->jobs = x->next;
		if (e->jobs == NULL)
			e->jobs_tail = NULL;
		char *msg = xasprintf("its transaction did not start: %s", err);
		x->done(e, NULL, 0, msg, x->arg);
		free(msg);
		dbengine_job_free(x);
	}
}

void dbengine_result(struct dbengine *e, struct dbrows *rows, const char *err)
{
	if (err != NULL && e->res_err == NULL)
		e->res_err = dbengine_one_line(err);
	if (rows == NULL)
		rows = dbrows_new(0);
	e->res = xrealloc(e->res, (e->nres + 1) * sizeof(*e->res));
	e->res[e->nres++] = rows;
}

void dbengine_answered(struct dbengine *e)
{
	struct dbengine_job *j = e->jobs;
	if (j == NULL || e->state != DBENGINE_BUSY)
		return;
	e->jobs = j->next;
	if (e->jobs == NULL)
		e->jobs_tail = NULL;
	dbengine_deadline_stop(e);
	e->state = DBENGINE_READY;
	e->backoff_ms = 0;
	struct dbrows **res = e->res;
	size_t nres = e->nres;
	char *err = e->res_err;
	e->res = NULL;
	e->nres = 0;
	e->res_err = NULL;
	j->done(e, res, nres, err, j->arg);
	dbrows_free_all(res, nres);
	if (err != NULL)
		dbengine_skip_in_xact(e, err);
	free(err);
	dbengine_job_free(j);
	if (e->state == DBENGINE_READY && e->jobs != NULL)
		dbengine_run(e);
}

void dbengine_connected(struct dbengine *e, char *setup_sql, dbengine_job_cb done)
{
	dbengine_deadline_stop(e);
	e->state = DBENGINE_READY;
	struct dbengine_job *j = xcalloc(1, sizeof(*j));
	j->sql = setup_sql;
	j->done = done;
	j->next = e->jobs;
	e->jobs = j;
	if (e->jobs_tail == NULL)
		e->jobs_tail = j;
	dbengine_run(e);
}

/* Connects when down (after the backoff), runs the queue when ready. */
static void dbengine_kick(struct dbengine *e)
{
	if (e->stopping) {
		dbengine_fail_jobs(e, "stopped");
	} else if (e->state == DBENGINE_DOWN && e->jobs != NULL) {
		if (uv_now(e->src->loop) < e->retry_at_ms) {
			char *msg = xasprintf("%s (retrying in %.0f s)", e->last_error,
			                      ceil((double)(e->retry_at_ms - uv_now(e->src->loop)) / 1000.0));
			dbengine_fail_jobs(e, msg);
			free(msg);
			return;
		}
		e->ops->open(e);
	} else if (e->state == DBENGINE_READY) {
		dbengine_run(e);
	}
}

static void dbengine_append(struct dbengine *e, const struct dbengine_step *s)
{
	struct dbengine_job *j = xcalloc(1, sizeof(*j));
	j->sql = s->sql;
	j->done = s->done;
	j->arg = s->arg;
	j->one = s->one;
	j->in_xact = s->in_xact;
	if (e->jobs_tail != NULL)
		e->jobs_tail->next = j;
	else
		e->jobs = j;
	e->jobs_tail = j;
}

void dbengine_enqueue(struct dbengine *e, char *sql, dbengine_job_cb done, void *arg)
{
	dbengine_append(e, &(struct dbengine_step){.sql = sql, .done = done, .arg = arg});
	dbengine_kick(e);
}

void dbengine_enqueue_row(struct dbengine *e, const struct dbengine_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dbengine_append(e, &steps[i]);
	dbengine_kick(e);
}

/* --- the refresh --------------------------------------------------------- */

static void dbengine_refresh_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                  void *arg)
{
	(void)arg;
	struct source *src = e->src;
	if (err != NULL) {
		source_fail(src, "%s", err);
		return;
	}
	struct database_data *d = e->ops->model(e, res, nres);
	if (d == NULL) {
		source_fail(src, "unexpected answer from the server");
		return;
	}
	/* The latest deploy from the marks (core/marks.c follows the bus and
	 * the deploys panes' history: sitrep may start after r42); ids there
	 * are sanitized and bounded. */
	const struct mark *m = src->app != NULL ? marks_latest(marks_of(src->app)) : NULL;
	if (m != NULL) {
		d->deploy = sanitize_str(m->id);
		d->deploy_ms = m->time_ms;
	}
	database_build(d);
	if (e->ops->built != NULL)
		e->ops->built(e, d, res, nres);
	double x, t;
	if (e->ops->counter(e, res, nres, &x, &t) == 0) {
		if (e->have_count && t > e->last_count_t && x >= e->last_count)
			d->tps = (x - e->last_count) / (t - e->last_count_t);
		e->last_count = x;
		e->last_count_t = t;
		e->have_count = true;
	}
	source_publish(src, d);
}

/* The server's version is known once connected (the setup job runs
 * first), so the refresh's SQL is built when it runs (sql NULL). */
void dbengine_refresh(struct dbengine *e)
{
	dbengine_enqueue(e, NULL, dbengine_refresh_done, NULL);
}

/* --- lifetime ------------------------------------------------------------ */

void dbengine_stop(struct dbengine *e)
{
	e->stopping = true;
	dbengine_acts_end(e);
	e->ops->close(e);
	if (e->deadline != NULL && !uv_is_closing((uv_handle_t *)e->deadline))
		uv_close((uv_handle_t *)e->deadline, dbengine_free_handle);
	e->deadline = NULL;
	dbengine_results_clear(e);
	e->state = DBENGINE_DOWN;
	dbengine_fail_jobs(e, "stopped");
}

void dbengine_free(struct dbengine *e)
{
	free(e->last_error);
	free(e->role);
}
