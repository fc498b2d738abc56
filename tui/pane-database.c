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
 * of the group, a session row that session, each by its identity (pid and
 * backend_start, and query_start for the query). The source prepares the exact statements,
 * the one dialog (tui/confirm.c) shows them and the gate sends them. */
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

static void pane_database_draw_group(const struct database_data *d, const struct db_group *g, WINDOW *win,
                                     int y, int w, bool sel)
{
	bool storm = d->storm_min > 0 && g->count >= d->storm_min;
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	char head[48], longest[16];
	database_duration(g->longest_s, longest, sizeof(longest));
	snprintf(head, sizeof(head), "×%-4zu %5s ", g->count, longest);
	int x = pane_database_put(win, y, 0, w, head, sel ? base : storm ? ROLE_CRIT : ROLE_WARN);
	if (d->deploy != NULL && g->after_deploy > 0) {
		char *dep = g->after_deploy == g->count
		                ? xasprintf("all after %s ", d->deploy)
		                : xasprintf("%zu after %s ", g->after_deploy, d->deploy);
		x += pane_database_put(win, y, x, w, dep, sel ? base : ROLE_DEPLOY_MARKER);
		free(dep);
	}
	x += pane_database_put(win, y, x, w, g->query, base);
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

static void pane_database_draw_query(const struct db_query *q, const char *lead, WINDOW *win, int y, int x,
                                     int w, bool sel)
{
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	char head[48], dur[16];
	database_duration(q->duration_s, dur, sizeof(dur));
	x += pane_database_put(win, y, x, w, lead, sel ? base : ROLE_CRIT);
	snprintf(head, sizeof(head), "%7d %5s ", q->pid, dur);
	x += pane_database_put(win, y, x, w, head, base);
	char user[20];
	snprintf(user, sizeof(user), "%-10.10s ", q->user);
	x += pane_database_put(win, y, x, w, user, sel ? base : ROLE_LABEL);
	if (strcmp(q->state, "active") != 0) {
		x += pane_database_put(win, y, x, w, q->state, sel ? base : ROLE_WARN);
		x += pane_database_put(win, y, x, w, " ", base);
	}
	if (q->wait_event[0] != '\0') {
		x += pane_database_put(win, y, x, w, q->wait_event,
		                       sel          ? base
		                       : q->waiting ? ROLE_WARN
		                                    : ROLE_DIM);
		x += pane_database_put(win, y, x, w, " ", base);
	}
	x += pane_database_put(win, y, x, w, q->query, base);
	if (q->application[0] != '\0' && x < w) {
		x += pane_database_put(win, y, x, w, "  ", base);
		x += pane_database_put(win, y, x, w, q->application, sel ? base : ROLE_DIM);
	}
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
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
		char *out = xasprintf("query group %s: ×%zu, longest %s%s%s\npids: %s\n\n%s", g->group,
		                      g->count, longest, d->deploy != NULL ? ", started after deploy: " : "",
		                      d->deploy != NULL ? (g->after_deploy == g->count ? "all" : "some") : "",
		                      pids, g->query);
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
