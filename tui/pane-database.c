/* pane-database: draws the database snapshot. A summary line (sessions by
 * state, the oldest transaction, tps), the privilege note when the login
 * cannot see other roles' queries, then one list on the list engine:
 * the query groups of two or more (the storm first), the blocking tree
 * (root blocker first, those waiting on it indented below), then every
 * active query longest first. Selection, paging, `/` and Enter are the
 * list's; a row is known by what it stands for ("g:" group, "b:" and "q:"
 * pid), so the selection follows it across refreshes.
 *
 * The verbs (c cancel, K terminate) are the database kind's: this pane only
 * says what is selected (select hook): a group row selects every session
 * of the group, a session row that session, each by its identity (the
 * session number and the engine's stamps: PostgreSQL's backend_start and
 * query_start, MariaDB's server start and query id). The source prepares the
 * exact statements, the one dialog (tui/confirm.c) shows them and the gate
 * sends them. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/database.h"
#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

struct pane_database_view {
	struct list *list; /* first: list_view_free frees the view */
};

enum pane_database_row { PANE_DB_GROUP, PANE_DB_BLOCK, PANE_DB_QUERY };

static const struct list_ops pane_database_list;

static struct pane_database_view *pane_database_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_database_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_database_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static const struct database_data *pane_database_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

/* Groups worth a row: two sessions or more (sorted largest first). */
static size_t pane_database_ngroups(const struct database_data *d)
{
	size_t n = 0;
	while (n < d->ngroups && d->groups[n].count >= 2)
		n++;
	return n;
}

/* Which part of the model a list row stands for, and its index there. */
static enum pane_database_row pane_database_row(const struct database_data *d, size_t row, size_t *i)
{
	size_t ng = pane_database_ngroups(d);
	if (row < ng) {
		*i = row;
		return PANE_DB_GROUP;
	}
	row -= ng;
	if (row < d->nblocking) {
		*i = row;
		return PANE_DB_BLOCK;
	}
	*i = row - d->nblocking;
	return PANE_DB_QUERY;
}

static int pane_database_put(WINDOW *win, int y, int x, int w, const char *text, enum role role)
{
	return x < w ? widgets_text_nopad(win, y, x, w - x, text, role) : 0;
}

/* A group row: the count and the longest run, whether they all started
 * after the deploy, and the normalised query, which takes the rest. */
enum { DBG_COUNT, DBG_LONGEST, DBG_DEPLOY, DBG_QUERY, DBG_NCOLS };

static void pane_database_draw_group(const struct database_data *d, const struct db_group *g, WINDOW *win,
                                     int y, int w, bool sel)
{
	bool storm = d->storm_min > 0 && g->count >= d->storm_min;
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	char count[24], longest[16];
	database_duration(g->longest_s, longest, sizeof(longest));
	snprintf(count, sizeof(count), "\u00d7%zu", g->count);
	char *dep = NULL;
	if (d->deploy != NULL && g->after_deploy > 0)
		dep = g->after_deploy == g->count ? xasprintf("all after %s", d->deploy)
		                                  : xasprintf("%zu after %s", g->after_deploy, d->deploy);
	struct widgets_col col[DBG_NCOLS] = {
	    [DBG_COUNT] = {.min = 4, .want = 5, .prio = 0},
	    [DBG_LONGEST] = {.min = 5, .want = 6, .prio = 1},
	    [DBG_DEPLOY] = {.min = dep != NULL ? 9 : 0,
	                    .want = dep != NULL ? widgets_width(dep) : 0,
	                    .prio = 3},
	    [DBG_QUERY] = {.min = 16, .want = 16, .prio = 2, .fill = true},
	};
	widgets_columns(col, DBG_NCOLS, w);
	const char *text[DBG_NCOLS] = {count, longest, dep, g->query};
	enum role role[DBG_NCOLS] = {sel     ? base
	                             : storm ? ROLE_CRIT
	                                     : ROLE_WARN,
	                             sel     ? base
	                             : storm ? ROLE_CRIT
	                                     : ROLE_WARN,
	                             sel ? base : ROLE_DEPLOY_MARKER, base};
	widgets_row(win, y, 0, w, col, DBG_NCOLS, text, role, base);
	free(dep);
}

/* A session row: pid and how long it runs, then the query before the rest
 * (user, a state other than active, the wait, the application) as room
 * allows; lead is the blocking tree's "blocks 3:" or "└ waits:". */
enum { DBQ_LEAD, DBQ_PID, DBQ_DUR, DBQ_USER, DBQ_STATE, DBQ_WAIT, DBQ_QUERY, DBQ_APP, DBQ_NCOLS };

static void pane_database_draw_query(const struct db_query *q, const char *lead, WINDOW *win, int y, int x,
                                     int w, bool sel)
{
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	if (x > 0 && x < w)
		widgets_fill(win, y, 0, x, base);
	if (x >= w)
		return;
	char pid[16], dur[16];
	database_duration(q->duration_s, dur, sizeof(dur));
	snprintf(pid, sizeof(pid), "%7d", q->pid);
	bool active = strcmp(q->state, "active") == 0;
	struct widgets_col col[DBQ_NCOLS] = {
	    [DBQ_LEAD] = {.min = lead[0] ? widgets_width(lead) : 0, .want = widgets_width(lead), .prio = 0},
	    [DBQ_PID] = {.min = 7, .want = 7, .prio = 0},
	    [DBQ_DUR] = {.min = 5, .want = 5, .prio = 1},
	    [DBQ_USER] = {.min = 8, .want = 10, .prio = 4},
	    /* a state or a wait is shown whole or not at all: "Timeo…" says nothing */
	    [DBQ_STATE] = {.min = active ? 0 : widgets_width(q->state),
	                   .want = active ? 0 : widgets_width(q->state),
	                   .prio = 3},
	    [DBQ_WAIT] = {.min = widgets_width(q->wait_event),
	                  .want = widgets_width(q->wait_event),
	                  .prio = 5},
	    [DBQ_QUERY] = {.min = 16, .want = widgets_width(q->query), .prio = 2, .fill = true},
	    [DBQ_APP] = {.min = q->application[0] ? 6 : 0, .want = 14, .prio = 6},
	};
	/* the wait and the application only when the query keeps 40 cells */
	if (w - x < 90)
		col[DBQ_APP].min = 0;
	if (w - x < 70)
		col[DBQ_WAIT].min = 0;
	widgets_columns(col, DBQ_NCOLS, w - x);
	const char *text[DBQ_NCOLS] = {lead,     pid,           dur,      q->user,
	                               q->state, q->wait_event, q->query, q->application};
	enum role role[DBQ_NCOLS] = {
	    sel ? base : ROLE_CRIT,
	    base,
	    base,
	    sel ? base : ROLE_LABEL,
	    sel ? base : ROLE_WARN,
	    sel          ? base
	    : q->waiting ? ROLE_WARN
	                 : ROLE_DIM,
	    base,
	    sel ? base : ROLE_DIM,
	};
	widgets_row(win, y, x, w - x, col, DBQ_NCOLS, text, role, base);
}

static void pane_database_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	const struct database_data *d = pane_database_data(pane);
	size_t i;
	switch (pane_database_row(d, row, &i)) {
	case PANE_DB_GROUP: pane_database_draw_group(d, &d->groups[i], win, y, w, sel); return;
	case PANE_DB_QUERY: pane_database_draw_query(&d->queries[i], "", win, y, 0, w, sel); return;
	case PANE_DB_BLOCK: break;
	}
	const struct db_block *b = &d->blocking[i];
	const struct db_query *q = database_query(d, b->pid);
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	int x = 0;
	for (int k = 0; k < b->depth && k < 8; k++)
		x += pane_database_put(win, y, x, w, "  ", base);
	char lead[48];
	if (b->depth == 0)
		snprintf(lead, sizeof(lead), "blocks %zu:", b->blocks);
	else
		snprintf(lead, sizeof(lead), "└ waits:");
	if (q != NULL) {
		pane_database_draw_query(q, lead, win, y, x, w, sel);
		return;
	}
	/* a blocker the login cannot see (another role's session) */
	char text[96];
	snprintf(text, sizeof(text), "%s %7d (session not visible)", lead, b->pid);
	x += pane_database_put(win, y, x, w, text, sel ? base : ROLE_CRIT);
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

/* Sessions by state, the oldest transaction, tps. */
static void pane_database_draw_summary(const struct database_data *d, WINDOW *win, int y, int w)
{
	char oldest[16], tps[24] = "-", line[200];
	database_duration(d->oldest_xact_s, oldest, sizeof(oldest));
	if (isfinite(d->tps))
		snprintf(tps, sizeof(tps), "%.0f", d->tps);
	int x = 0;
	snprintf(line, sizeof(line), "%zu active", d->active);
	x += pane_database_put(win, y, x, w, line, d->active > 0 ? ROLE_VALUE : ROLE_NORMAL);
	snprintf(line, sizeof(line), " · %zu idle in tx", d->idle_in_transaction);
	x += pane_database_put(win, y, x, w, line, d->idle_in_transaction > 0 ? ROLE_WARN : ROLE_NORMAL);
	snprintf(line, sizeof(line), " · %zu waiting", d->waiting);
	x += pane_database_put(win, y, x, w, line, d->waiting > 0 ? ROLE_WARN : ROLE_NORMAL);
	snprintf(line, sizeof(line), " · %zu sessions · oldest tx %s · %s tps", d->total, oldest, tps);
	x += pane_database_put(win, y, x, w, line, ROLE_NORMAL);
	if (x < w)
		widgets_fill(win, y, x, w - x, ROLE_NORMAL);
}

static void pane_database_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_database_view *v = pane_database_view(pane);
	const struct database_data *d = pane_database_data(pane);
	int y = 0;
	if (d != NULL && h > 2) {
		pane_database_draw_summary(d, win, y++, w);
		char *note = database_privilege_note(d);
		if (note != NULL) {
			int x = widgets_text_nopad(win, y, 0, w, note, ROLE_WARN);
			if (x < w)
				widgets_fill(win, y, x, w - x, ROLE_NORMAL);
			y++;
		}
		free(note);
	}
	list_draw_with_status(v->list, win, y, h - y, w);
}

static bool pane_database_key(struct pane *pane, int ch)
{
	struct pane_database_view *v = pane_database_view(pane);
	if (pane->src->snap.note != NULL) {
		source_set_note(pane->src, NULL); /* the last action's outcome, read */
		pane_mark_dirty(pane);
	}
	if (pane_database_data(pane) == NULL)
		return false;
	return list_key(v->list, ch);
}

/* --- the list's callbacks ------------------------------------------------ */

static size_t pane_database_count(struct pane *pane)
{
	const struct database_data *d = pane_database_data(pane);
	return d != NULL ? pane_database_ngroups(d) + d->nblocking + d->nqueries : 0;
}

static const char *pane_database_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	const struct database_data *d = pane_database_data(pane);
	size_t i;
	switch (pane_database_row(d, row, &i)) {
	case PANE_DB_GROUP: snprintf(buf, cap, "g:%s", d->groups[i].group); break;
	case PANE_DB_BLOCK: snprintf(buf, cap, "b:%d", d->blocking[i].pid); break;
	case PANE_DB_QUERY: snprintf(buf, cap, "q:%d", d->queries[i].pid); break;
	}
	return buf;
}

static bool pane_database_match_query(const struct list *list, const struct db_query *q)
{
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", q->pid);
	return list_match(list, q->query_full) || list_match(list, q->user) ||
	       list_match(list, q->application) || list_match(list, q->client) ||
	       list_match(list, q->state) || list_match(list, q->wait_event) || list_match(list, pid);
}

static bool pane_database_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct database_data *d = pane_database_data(pane);
	size_t i;
	switch (pane_database_row(d, row, &i)) {
	case PANE_DB_GROUP:
		return list_match(list, d->groups[i].query) || list_match(list, d->groups[i].group);
	case PANE_DB_QUERY: return pane_database_match_query(list, &d->queries[i]);
	case PANE_DB_BLOCK: break;
	}
	const struct db_query *q = database_query(d, d->blocking[i].pid);
	return q != NULL && pane_database_match_query(list, q);
}

static char *pane_database_pids(const int *pids, size_t n)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%d", out, i > 0 ? ", " : "", pids[i]);
		free(out);
		out = next;
	}
	return out;
}

static char *pane_database_query_detail(const struct db_query *q)
{
	char dur[16], xact[16];
	database_duration(q->duration_s, dur, sizeof(dur));
	database_duration(q->xact_s, xact, sizeof(xact));
	char *by = pane_database_pids(q->blocked_by, q->nblocked_by);
	char *out = xasprintf("pid %d  user %s  application %s  client %s\nstate: %s%s%s\nquery running %s, "
	                      "transaction open %s%s%s\ngroup: %s\n\n%s",
	                      q->pid, q->user, q->application, q->client, q->state,
	                      q->wait_event[0] ? ", waiting on " : "", q->wait_event, dur, xact,
	                      q->nblocked_by > 0 ? "\nblocked by: " : "", by, q->group, q->query_full);
	free(by);
	return out;
}

static char *pane_database_row_detail(struct pane *pane, size_t row)
{
	const struct database_data *d = pane_database_data(pane);
	size_t i;
	switch (pane_database_row(d, row, &i)) {
	case PANE_DB_GROUP: {
		const struct db_group *g = &d->groups[i];
		char longest[16];
		database_duration(g->longest_s, longest, sizeof(longest));
		char *pids = pane_database_pids(g->pids, g->npids);
		char *out =
		    xasprintf("query group %s: ×%zu, longest %s%s%s\npids: %s\n\n%s%s%s", g->group, g->count,
		              longest, d->deploy != NULL ? ", started after deploy: " : "",
		              d->deploy != NULL ? (g->after_deploy == g->count ? "all" : "some") : "", pids,
		              g->query, g->plan != NULL ? "\n\n" : "", g->plan != NULL ? g->plan : "");
		free(pids);
		return out;
	}
	case PANE_DB_QUERY: return pane_database_query_detail(&d->queries[i]);
	case PANE_DB_BLOCK: break;
	}
	const struct db_query *q = database_query(d, d->blocking[i].pid);
	return q != NULL ? pane_database_query_detail(q)
	                 : xasprintf("pid %d: a session this login cannot see", d->blocking[i].pid);
}

static const char *pane_database_empty(struct pane *pane, enum role *role)
{
	*role = ROLE_OK;
	return pane_database_data(pane) != NULL ? "no active queries" : "";
}

static const struct list_ops pane_database_list = {
    .count = pane_database_count,
    .draw_row = pane_database_draw_row,
    .row_key = pane_database_row_key,
    .match = pane_database_match,
    .detail = pane_database_row_detail,
    .empty = pane_database_empty,
};

/* Selects one session by its identity (database_identity: pid and start,
 * never the pid alone); -1 with err when the login cannot see it whole. */
static int pane_database_select_session(const struct database_data *d, int pid, struct action *a, char *err,
                                        size_t cap)
{
	const struct db_query *q = database_query(d, pid);
	char *id = q != NULL ? database_identity(q) : NULL;
	if (id == NULL) {
		snprintf(err, cap,
		         "pid %d: this login cannot see that session whole, so it cannot be named "
		         "exactly; nothing to do",
		         pid);
		return -1;
	}
	action_select(a, id);
	free(id);
	return 0;
}

/* For the one confirmation dialog: a group row is every session of the
 * group this snapshot shows (the dialog lists a statement for each, and
 * only those are acted on), a session row that session. */
static int pane_database_select(struct pane *pane, struct action *a, char *err, size_t cap)
{
	struct pane_database_view *v = pane_database_view(pane);
	const struct database_data *d = pane_database_data(pane);
	size_t row, i;
	if (d == NULL || !list_selected_row(v->list, &row) || row >= pane_database_count(pane)) {
		snprintf(err, cap, "no query selected");
		return -1;
	}
	int pid = 0;
	switch (pane_database_row(d, row, &i)) {
	case PANE_DB_GROUP: {
		const struct db_group *g = &d->groups[i];
		free(a->target);
		a->target = xstrdup(g->group);
		action_add_param(a, "group", g->group);
		for (size_t k = 0; k < g->npids; k++)
			if (pane_database_select_session(d, g->pids[k], a, err, cap) != 0)
				return -1;
		return 0;
	}
	case PANE_DB_BLOCK: pid = d->blocking[i].pid; break;
	case PANE_DB_QUERY: pid = d->queries[i].pid; break;
	}
	free(a->target);
	a->target = xasprintf("%d", pid);
	return pane_database_select_session(d, pid, a, err, cap);
}

static char *pane_database_detail(struct pane *pane)
{
	return list_detail(pane_database_view(pane)->list);
}

const struct pane_ops pane_database = {
    .kind = "database",
    .draw = pane_database_draw,
    .key = pane_database_key,
    .select = pane_database_select,
    .detail = pane_database_detail,
    .free = list_view_free,
};
