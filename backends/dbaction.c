/* dbaction: cancel and terminate, for every database engine (dbengine.h).
 * An action names sessions by identity (database_identity: the session
 * number and the engine's stamps, never the number alone): the dialog shows
 * them, the statement that acts re-checks them (the engine writes it), the
 * verification looks for them until the query or the session is gone (5 s
 * at most). A target that no longer matches "ended before the action" and
 * is not touched; sessions of a group that started after the dialog are
 * counted and reported, never signalled. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/dbengine.h"
#include "sitrep/core/action.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* How long an action waits for the query (or session) to go. */
#define DBACTION_VERIFY_MS      5000
#define DBACTION_VERIFY_STEP_MS 250

struct dbaction_request {
	struct db_target *targets;
	size_t ntargets;
	char *group;  /* the query group the dialog showed; NULL: sessions */
	char *sql;    /* exactly what act() sends: one statement per target */
	char *lookup; /* the read that looks for the targets afterwards */
	bool terminate;
};

/* An action in flight. */
struct dbengine_act {
	struct dbengine *e;
	struct action *action;
	enum db_fate *fates; /* per target */
	size_t running;      /* signalled targets still doing it at the last look */
	uint64_t sent_ms;    /* when the signal went out (monotonic) */
	uv_timer_t *timer;
	enum action_result result; /* kept while the group's newer sessions are counted */
	char *msg;
	struct dbengine_act *next;
};

void dbengine_targets_free(struct db_target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].session);
		free(t[i].query);
	}
	free(t);
}

static void dbaction_request_free(void *p)
{
	struct dbaction_request *r = p;
	if (r == NULL)
		return;
	dbengine_targets_free(r->targets, r->ntargets);
	free(r->group);
	free(r->sql);
	free(r->lookup);
	free(r);
}

/* --- a look at the server for `sitrep do` --------------------------------- */

/* `sitrep do` prepares outside the loop, which is run here until the answer
 * is in. The dashboard (and --once) never come here: their loop is running,
 * and their selection carries the identities from the snapshot. */
struct dbaction_now {
	bool done;
	char *err;
	struct dbrows **res; /* taken from the job */
	size_t nres;
};

static void dbaction_now_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                              void *arg)
{
	(void)e;
	struct dbaction_now *w = arg;
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

static void dbaction_now_clear(struct dbaction_now *w)
{
	dbrows_free_all(w->res, w->nres);
	free(w->err);
	memset(w, 0, sizeof(*w));
}

/* sql NULL: the activity query. 0, or -1 with err. */
static int dbaction_now(struct dbengine *e, char *sql, struct dbaction_now *w, char *err, size_t cap)
{
	memset(w, 0, sizeof(*w));
	if (e->started || e->src->loop == NULL) {
		free(sql);
		snprintf(err, cap, "the session is not in the pane's data (refresh and select it again)");
		return -1;
	}
	if (e->state == DBENGINE_DOWN)
		e->retry_at_ms = 0;
	dbengine_enqueue(e, sql, dbaction_now_done, w);
	while (!w->done && uv_run(e->src->loop, UV_RUN_ONCE) != 0)
		;
	if (!w->done)
		dbengine_drop(e, "the connection stalled"); /* fails the job: w is still ours */
	if (w->err != NULL) {
		snprintf(err, cap, "%s", w->err);
		dbaction_now_clear(w);
		return -1;
	}
	return 0;
}

/* `sitrep do` asks the server (it has a loop and no snapshot); the
 * dashboard, and anything without a loop, names what its snapshot shows. */
static bool dbaction_ask_server(const struct dbengine *e)
{
	return !e->started && e->src->loop != NULL;
}

/* --- the targets ---------------------------------------------------------- */

static void dbaction_target_add(struct db_target **t, size_t *n, int pid, const char *session,
                                const char *query)
{
	*t = xrealloc(*t, (*n + 1) * sizeof(**t));
	(*t)[*n].pid = pid;
	(*t)[*n].session = xstrdup(session);
	(*t)[*n].query = query != NULL ? xstrdup(query) : NULL;
	(*n)++;
}

static void dbaction_unnamed(const struct dbengine *e, int pid, char *err, size_t cap)
{
	snprintf(err, cap,
	         "%s %d: this login cannot see when that session started, so it cannot be named "
	         "exactly (%s)",
	         e->ops->noun, pid, e->ops->grant);
}

/* A session of the model as a target; -1 with err when it cannot be named. */
static int dbaction_target_of(const struct dbengine *e, const struct db_query *q, int pid,
                              struct db_target **t, size_t *n, char *err, size_t cap)
{
	if (q == NULL) {
		snprintf(err, cap, "no such session now (%s %d; already gone?)", e->ops->noun, pid);
		return -1;
	}
	if (q->session_start == NULL) {
		dbaction_unnamed(e, pid, err, cap);
		return -1;
	}
	dbaction_target_add(t, n, pid, q->session_start, q->query_start);
	return 0;
}

/* `sitrep do cancel PID`: the session on that number now, as the server has
 * it (any state: an idle session can be terminated). */
static int dbaction_target_now(struct dbengine *e, int pid, struct db_target **t, size_t *n, char *err,
                               size_t cap)
{
	struct db_target probe = {.pid = pid};
	struct dbaction_now w;
	if (dbaction_now(e, e->ops->lookup_sql(&probe, 1), &w, err, cap) != 0)
		return -1;
	const struct dbrows *r = w.nres == 1 ? w.res[0] : NULL;
	int rc = -1;
	if (r == NULL || r->ncols != 4)
		snprintf(err, cap, "unexpected answer from the server");
	else if (r->nrows == 0)
		snprintf(err, cap, "no such session now (%s %d; already gone?)", e->ops->noun, pid);
	else if (!database_valid_stamp(dbrows_get(r, 0, 1)))
		dbaction_unnamed(e, pid, err, cap);
	else {
		const char *qs = dbrows_get(r, 0, 2);
		dbaction_target_add(t, n, pid, dbrows_get(r, 0, 1), database_valid_stamp(qs) ? qs : NULL);
		rc = 0;
	}
	dbaction_now_clear(&w);
	return rc;
}

/* The sessions of a group: the snapshot's (dashboard), or the server's now
 * (`sitrep do cancel --group`). */
static int dbaction_group_targets(struct dbengine *e, const char *group, struct db_target **t, size_t *n,
                                  char *err, size_t cap)
{
	struct database_data *now = NULL;
	const struct database_data *d = e->src->snap.data;
	if (dbaction_ask_server(e)) {
		struct dbaction_now w;
		if (dbaction_now(e, NULL, &w, err, cap) != 0)
			return -1;
		now = e->ops->model(e, w.res, w.nres);
		dbaction_now_clear(&w);
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
		rc = dbaction_target_of(e, database_query(d, g->pids[i]), g->pids[i], t, n, err, cap);
	database_data_free(now);
	return rc;
}

/* The action's targets: each selected identity as it is; a bare number
 * looked up now; a group's sessions. */
static int dbaction_targets(struct dbengine *e, const struct action *a, struct db_target **t, size_t *n,
                            char *err, size_t cap)
{
	*t = NULL;
	*n = 0;
	for (size_t i = 0; i < a->nselection; i++) {
		int pid;
		char *session, *query;
		if (database_identity_parse(a->selection[i], &pid, &session, &query) == 0) {
			*t = xrealloc(*t, (*n + 1) * sizeof(**t));
			(*t)[(*n)++] = (struct db_target){.pid = pid, .session = session, .query = query};
			continue;
		}
		int rc;
		if (!e->ops->valid_pid(a->selection[i], &pid)) {
			char *shown = sanitize_str(a->selection[i]);
			snprintf(err, cap, "'%s' is not a %s", shown,
			         strcmp(e->ops->noun, "pid") == 0 ? "backend pid" : "connection id");
			free(shown);
			rc = -1;
		} else if (dbaction_ask_server(e)) {
			rc = dbaction_target_now(e, pid, t, n, err, cap);
		} else {
			rc = dbaction_target_of(e, database_query(e->src->snap.data, pid), pid, t, n, err,
			                        cap);
		}
		if (rc != 0) {
			dbengine_targets_free(*t, *n);
			*t = NULL;
			*n = 0;
			return -1;
		}
	}
	const char *group = action_param(a, "group");
	if (*n == 0 && group != NULL)
		return dbaction_group_targets(e, group, t, n, err, cap);
	if (*n == 0) {
		snprintf(err, cap, "no session selected");
		return -1;
	}
	return 0;
}

/* The selection becomes the identities found, so the dialog (and the
 * audit record) shows exactly which sessions the statements name. */
static void dbaction_selection_set(struct action *a, const struct db_target *t, size_t n)
{
	for (size_t i = 0; i < a->nselection; i++)
		free(a->selection[i]);
	free(a->selection);
	a->selection = NULL;
	a->nselection = 0;
	for (size_t i = 0; i < n; i++) {
		char *id = database_identity_format(t[i].pid, t[i].session, t[i].query);
		action_select(a, id);
		free(id);
	}
}

/* Builds the statements act() will send and shows them: what the dialog
 * and the audit log carry is the SQL itself, with each session's identity. */
int dbengine_prepare(struct dbengine *e, struct action *a, char *err, size_t cap)
{
	bool terminate = a->verb == &kind_database_terminate;
	if (!terminate && a->verb != &kind_database_cancel) {
		snprintf(err, cap, "a database pane cannot %s", a->verb->name);
		return -1;
	}
	if (e->ops->can_act != NULL && e->ops->can_act(e, err, cap) != 0)
		return -1;
	struct db_target *t;
	size_t n;
	if (dbaction_targets(e, a, &t, &n, err, cap) != 0)
		return -1;
	struct dbaction_request *r = xcalloc(1, sizeof(*r));
	r->terminate = terminate;
	r->targets = t;
	r->ntargets = n;
	const char *group = action_param(a, "group");
	r->group = group != NULL ? xstrdup(group) : NULL;
	r->sql = e->ops->signal_sql(t, n, terminate);
	r->lookup = e->ops->lookup_sql(t, n);
	if (r->sql == NULL) {
		snprintf(err, cap, "a session's start is not a timestamp");
		dbaction_request_free(r);
		return -1;
	}
	dbaction_selection_set(a, t, n);
	action_set_effect(a, r->sql);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = r;
	a->request_free = dbaction_request_free;
	return 0;
}

/* --- the action in flight ------------------------------------------------- */

static void dbaction_free(struct dbengine_act *pa)
{
	struct dbengine_act **pp = &pa->e->acts;
	while (*pp != NULL && *pp != pa)
		pp = &(*pp)->next;
	if (*pp == pa)
		*pp = pa->next;
	if (!uv_is_closing((uv_handle_t *)pa->timer))
		uv_close((uv_handle_t *)pa->timer, (uv_close_cb)free);
	free(pa->fates);
	free(pa->msg);
	free(pa);
}

static void dbaction_finish(struct dbengine_act *pa, enum action_result r, const char *msg)
{
	struct dbengine *e = pa->e;
	struct action *a = pa->action;
	pa->action = NULL;
	char *text = xstrdup(msg);
	dbaction_free(pa);
	if (a != NULL)
		action_finish(a, r, "%s", text);
	free(text);
	if (e->started && !e->stopping)
		source_refresh_now(e->src); /* show the effect without waiting for the tick */
}

void dbengine_acts_end(struct dbengine *e)
{
	while (e->acts != NULL)
		dbaction_finish(e->acts, ACTION_UNKNOWN, "sitrep stopped before the result was known");
}

static bool dbaction_known(struct dbengine *e, struct dbengine_act *pa)
{
	for (struct dbengine_act *x = e->acts; x != NULL; x = x->next)
		if (x == pa)
			return true;
	return false;
}

/* "pid 11, 12" of the targets with that fate. Caller frees. */
static char *dbaction_pids(const struct dbengine_act *pa, enum db_fate fate, size_t *count)
{
	const struct dbaction_request *r = pa->action->request;
	char *out = xstrdup("");
	*count = 0;
	for (size_t i = 0; i < r->ntargets; i++) {
		if (pa->fates[i] != fate)
			continue;
		char *next = *count > 0 ? xasprintf("%s, %d", out, r->targets[i].pid)
		                        : xasprintf("%s %d", pa->e->ops->noun, r->targets[i].pid);
		(*count)++;
		free(out);
		out = next;
	}
	return out;
}

static bool dbaction_same_session(const struct dbengine *e, const char *a, const char *b)
{
	if (e->ops->same_session != NULL)
		return a != NULL && b != NULL && e->ops->same_session(a, b);
	return util_str_same(a, b);
}

/* The newer sessions of the group: running it now, not among the targets
 * (a target that started the same query again counts: it is a new query). */
static void dbaction_newer_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                void *arg)
{
	struct dbengine_act *pa = arg;
	if (!dbaction_known(e, pa))
		return;
	const struct dbaction_request *r = pa->action->request;
	struct database_data *d = err == NULL ? e->ops->model(e, res, nres) : NULL;
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
				         dbaction_same_session(e, q->session_start, r->targets[k].session) &&
				         (r->terminate || util_str_same(q->query_start, r->targets[k].query));
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
	dbaction_finish(pa, pa->result, msg);
	free(msg);
}

/* The outcome is known; a group's is completed by the count of its newer
 * sessions. */
static void dbaction_conclude(struct dbengine_act *pa, enum action_result result, char *msg)
{
	const struct dbaction_request *r = pa->action->request;
	if (r->group == NULL || pa->e->state == DBENGINE_DOWN) {
		dbaction_finish(pa, result, msg);
		free(msg);
		return;
	}
	pa->result = result;
	free(pa->msg);
	pa->msg = msg;
	dbengine_enqueue(pa->e, NULL, dbaction_newer_done, pa);
}

/* Every signalled target is verified gone (or the time is up). */
static void dbaction_outcome(struct dbengine_act *pa, const char *err)
{
	const struct dbaction_request *r = pa->action->request;
	size_t sent, ended, refused;
	char *sent_pids = dbaction_pids(pa, DB_FATE_SENT, &sent);
	char *ended_pids = dbaction_pids(pa, DB_FATE_ENDED, &ended);
	char *refused_pids = dbaction_pids(pa, DB_FATE_REFUSED, &refused);
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
	dbaction_conclude(pa, result, msg);
}

static void dbaction_verify_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                 void *arg);

static void dbaction_verify_tick(uv_timer_t *t)
{
	struct dbengine_act *pa = t->data;
	const struct dbaction_request *r = pa->action->request;
	dbengine_enqueue(pa->e, xstrdup(r->lookup), dbaction_verify_done, pa);
}

/* Which signalled targets still do what they were asked to stop: the same
 * identity, never only the same number. */
static void dbaction_verify_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                 void *arg)
{
	struct dbengine_act *pa = arg;
	if (!dbaction_known(e, pa))
		return;
	const struct dbaction_request *req = pa->action->request;
	const struct dbrows *r = nres == 1 && res[0]->ncols == 4 ? res[0] : NULL;
	if (err == NULL && r == NULL)
		err = "unexpected answer";
	pa->running = 0;
	for (size_t i = 0; err == NULL && i < req->ntargets; i++) {
		if (pa->fates[i] != DB_FATE_SENT)
			continue;
		for (size_t row = 0; row < r->nrows; row++) {
			const char *v[4];
			for (size_t c = 0; c < 4; c++)
				v[c] = dbrows_get(r, row, c);
			if (e->ops->running(&req->targets[i], req->terminate, v)) {
				pa->running++;
				break;
			}
		}
	}
	bool late = uv_now(e->src->loop) - pa->sent_ms >= DBACTION_VERIFY_MS;
	if (err == NULL && pa->running > 0 && !late) {
		uv_timer_start(pa->timer, dbaction_verify_tick, DBACTION_VERIFY_STEP_MS, 0);
		return;
	}
	dbaction_outcome(pa, err);
}

/* The signal's answers, read by the engine into each target's fate. */
static void dbaction_signal_done(struct dbengine *e, struct dbrows **res, size_t nres, const char *err,
                                 void *arg)
{
	struct dbengine_act *pa = arg;
	if (!dbaction_known(e, pa))
		return;
	const struct dbaction_request *r = pa->action->request;
	if (err != NULL || e->ops->fates(res, nres, r->ntargets, pa->fates) != 0) {
		char *msg = xasprintf("%s", err != NULL ? err : "unexpected answer to the signal");
		dbaction_finish(pa, e->state == DBENGINE_DOWN || err == NULL ? ACTION_UNKNOWN : ACTION_FAILED,
		                msg);
		free(msg);
		return;
	}
	pa->sent_ms = uv_now(e->src->loop);
	size_t sent = 0;
	for (size_t i = 0; i < r->ntargets; i++)
		sent += pa->fates[i] == DB_FATE_SENT;
	if (sent == 0) {
		dbaction_outcome(pa, NULL);
		return;
	}
	uv_timer_start(pa->timer, dbaction_verify_tick, DBACTION_VERIFY_STEP_MS, 0);
}

int dbengine_act(struct dbengine *e, const struct action *action)
{
	struct action *a = (struct action *)action; /* the gate hands over ownership */
	const struct dbaction_request *r = a->request;
	if (r == NULL || e->src->loop == NULL)
		return -1;
	struct dbengine_act *pa = xcalloc(1, sizeof(*pa));
	pa->e = e;
	pa->action = a;
	pa->fates = xcalloc(r->ntargets + 1, sizeof(*pa->fates));
	pa->timer = xcalloc(1, sizeof(*pa->timer));
	uv_timer_init(e->src->loop, pa->timer);
	pa->timer->data = pa;
	pa->next = e->acts;
	e->acts = pa;
	/* An action is worth a fresh try at once. */
	if (e->state == DBENGINE_DOWN)
		e->retry_at_ms = 0;
	dbengine_enqueue(e, xstrdup(r->sql), dbaction_signal_done, pa);
	return 0;
}
