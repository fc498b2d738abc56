/* pane-logs: the logs pane. It answers "what is failing right now, how often,
 * since when": a header with counts, the error rate and an errors-per-minute
 * sparkline, then either the fingerprint groups (default: severity, count,
 * last and first seen, source, a sample line; "new" when the group began
 * after the last known deploy) or the raw recent lines. `g` or `v` switches
 * the view; `/` filters either view with a regex (typed into the header line);
 * n/N move to the next/previous matching row; Enter shows a whole line.
 *
 * Selection, paging, the filter and n/N are the list engine's (tui/list.c);
 * this file says what a row is in each view. Everything drawn comes from the
 * logstore (already sanitized text) and this pane's view state. The raw view
 * follows the newest line until the user moves the selection, like
 * `less +F`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/list.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/marks.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

struct pane_logs_view {
	struct list *list; /* first (list_view_free): the groups or, in the raw view, the lines */
	bool raw;
	int64_t now;               /* wall clock of the draw in progress, for the ages */
	const struct marks *marks; /* the deploys in view (marks.h), NULL: none */
	char since[40];            /* " new since r42" for groups first seen after the latest deploy */
};

static const struct list_ops pane_logs_list;

static unsigned pane_logs_flags(bool raw)
{
	return raw ? LIST_FOLLOW_END : 0;
}

static struct pane_logs_view *pane_logs_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_logs_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_logs_list, pane_logs_flags(false));
		pane->view = v;
		pane->selected = -1;
	}
	return pane->view;
}

static struct logstore *pane_logs_store(struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

static int64_t pane_logs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Header: counts, rate, filter state, and the sparkline at the right. */
static void pane_logs_header(struct pane_logs_view *v, struct logstore *st, WINDOW *win, int w, int64_t now)
{
	if (list_editing(v->list) != NULL) {
		list_draw_status(v->list, win, 0, w);
		return;
	}
	const struct logstore_stats *s = logstore_stats(st);
	/* The filter comes right after the view's name: in a narrow pane the
	 * counts may be cut, but whether the rows are filtered must stay visible. */
	char filter[300] = "";
	const char *err = list_filter_error(v->list);
	if (err != NULL)
		snprintf(filter, sizeof(filter), " %s", err);
	else if (list_filter(v->list)[0] != '\0')
		snprintf(filter, sizeof(filter), " /%s (%zu)", list_filter(v->list), list_count(v->list));
	char left[400];
	snprintf(left, sizeof(left), "%s%s  %llu err %llu warn %llu lines  %.0f err/min",
	         v->raw ? "lines" : "groups", filter, (unsigned long long)s->errors,
	         (unsigned long long)s->warnings, (unsigned long long)s->lines,
	         logstore_errors_per_minute(st, now));
	int spark = w / 3 > 60 ? 60 : w / 3;
	int used = widgets_text_nopad(win, 0, 0, w - spark - 1, left, ROLE_LABEL);
	for (int x = used; x < w - spark; x++)
		mvwaddch(win, 0, x, ' ');
	if (spark > 0) {
		double hist[60];
		logstore_errors_history(st, now, hist, (size_t)spark);
		/* From zero, so a quiet hour draws flat rather than auto-scaled. */
		double hi = 1;
		for (int i = 0; i < spark; i++)
			hi = hist[i] > hi ? hist[i] : hi;
		widgets_sparkline(win, 0, w - spark, spark, hist, (size_t)spark, 0, hi, ROLE_SPARK);
		/* one cell per minute, the newest the current minute */
		int cells[MARKS_MAX];
		size_t n =
		    marks_cells(v->marks, now - now % 60000 + 59999, 60000, (size_t)spark, cells, MARKS_MAX);
		widgets_sparkline_marks(win, 0, w - spark, spark, cells, n);
	}
}

static enum role pane_logs_sev_role(int sev)
{
	return sev == LOG_SEV_ERROR ? ROLE_CRIT : sev == LOG_SEV_WARN ? ROLE_WARN : ROLE_NORMAL;
}

static void pane_logs_group_row(struct pane_logs_view *v, struct logstore *st, const struct log_group *g,
                                WINDOW *win, int y, int w, int64_t now, bool sel)
{
	char last[16], first[16], head[128];
	util_age(now > g->last_ms ? (uint64_t)(now - g->last_ms) : 0, last, sizeof(last));
	util_age(now > g->first_ms ? (uint64_t)(now - g->first_ms) : 0, first, sizeof(first));
	snprintf(head, sizeof(head), "%c %7llu %4s %4s%s ", g->sev == LOG_SEV_ERROR ? 'E' : 'W',
	         (unsigned long long)g->count, last, first, logstore_group_is_new(st, g) ? v->since : "");
	int x = widgets_text_nopad(win, y, 0, w, head, sel ? ROLE_SELECTION : pane_logs_sev_role(g->sev));
	/* "SOURCE: SAMPLE" in pieces: no allocation per row and frame. */
	enum role role = sel ? ROLE_SELECTION : ROLE_NORMAL;
	x += widgets_text_nopad(win, y, x, w - x, logstore_source_name(st, g->source), role);
	x += widgets_text_nopad(win, y, x, w - x, ": ", role);
	widgets_text(win, y, x, w - x, g->sample, role);
}

static void pane_logs_line_row(struct logstore *st, const struct log_line *l, WINDOW *win, int y, int w,
                               bool sel)
{
	char head[64];
	time_t t = (time_t)(l->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(head, sizeof(head), "%H:%M:%S ", &tm);
	snprintf(head + n, sizeof(head) - n, "%.20s ", logstore_source_name(st, l->source));
	int x = widgets_text_nopad(win, y, 0, w, head, sel ? ROLE_SELECTION : ROLE_DIM);
	widgets_text(win, y, x, w - x, l->text, sel ? ROLE_SELECTION : pane_logs_sev_role(l->sev));
}

/* --- the list's callbacks: rows are the store's groups or lines --- */

static size_t pane_logs_count(struct pane *pane)
{
	struct pane_logs_view *v = pane->view;
	struct logstore *st = pane_logs_store(pane);
	if (st == NULL)
		return 0;
	return v->raw ? logstore_nlines(st) : logstore_ngroups(st);
}

static uint64_t pane_logs_generation(struct pane *pane)
{
	struct logstore *st = pane_logs_store(pane);
	return st != NULL ? logstore_generation(st) : 0;
}

static void pane_logs_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	struct pane_logs_view *v = pane->view;
	struct logstore *st = pane_logs_store(pane);
	if (v->raw)
		pane_logs_line_row(st, logstore_line(st, row), win, y, w, sel);
	else
		pane_logs_group_row(v, st, logstore_group(st, row), win, y, w, v->now, sel);
}

/* A line is known by its arrival number, a group by its fingerprint's hash:
 * groups reorder by recency and old lines leave the ring. */
static const char *pane_logs_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	struct pane_logs_view *v = pane->view;
	struct logstore *st = pane_logs_store(pane);
	if (v->raw)
		snprintf(buf, cap, "l%llu", (unsigned long long)logstore_line(st, row)->seq);
	else
		snprintf(buf, cap, "g%llx", (unsigned long long)logstore_group(st, row)->hash);
	return buf;
}

static bool pane_logs_match(struct pane *pane, size_t row, const struct list *list)
{
	struct pane_logs_view *v = pane->view;
	struct logstore *st = pane_logs_store(pane);
	if (v->raw)
		return list_match(list, logstore_line(st, row)->text);
	const struct log_group *g = logstore_group(st, row);
	return list_match(list, g->sample) || list_match(list, g->fingerprint);
}

static char *pane_logs_row_detail(struct pane *pane, size_t row)
{
	struct pane_logs_view *v = pane->view;
	struct logstore *st = pane_logs_store(pane);
	char t1[32], t2[32];
	if (v->raw) {
		const struct log_line *l = logstore_line(st, row);
		util_rfc3339((time_t)(l->time_ms / 1000), t1, sizeof(t1));
		return xasprintf("%s  %s  %s%s\n\n%s", t1, logstore_source_name(st, l->source),
		                 log_sev_name(l->sev), l->cut ? "  (line was cut)" : "", l->text);
	}
	const struct log_group *g = logstore_group(st, row);
	const struct mark *dep = marks_at_time(marks_of(pane->src->app), logstore_deploy_time(st));
	char since[100];
	snprintf(since, sizeof(since), ", NEW since the deploy of %s",
	         dep != NULL ? dep->id : "which sitrep saw");
	util_rfc3339((time_t)(g->first_ms / 1000), t1, sizeof(t1));
	util_rfc3339((time_t)(g->last_ms / 1000), t2, sizeof(t2));
	return xasprintf("%s, %llu times%s\nfirst seen %s\nlast seen  %s\nsource %s\n\n"
	                 "fingerprint:\n%s\n\nlatest line:\n%s",
	                 log_sev_name(g->sev), (unsigned long long)g->count,
	                 logstore_group_is_new(st, g) ? since : "", t1, t2,
	                 logstore_source_name(st, g->source), g->fingerprint, g->sample);
}

static const char *pane_logs_empty(struct pane *pane, enum role *role)
{
	struct pane_logs_view *v = pane->view;
	*role = ROLE_DIM;
	return v->raw ? "(no lines yet)" : "(no errors or warnings; g: raw lines)";
}

static const struct list_ops pane_logs_list = {
    .count = pane_logs_count,
    .draw_row = pane_logs_draw_row,
    .row_key = pane_logs_row_key,
    .match = pane_logs_match,
    .detail = pane_logs_row_detail,
    .generation = pane_logs_generation,
    .empty = pane_logs_empty,
};

/* --- the pane --- */

static void pane_logs_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	struct logstore *st = pane_logs_store(pane);
	if (st == NULL) {
		for (int y = 0; y < h; y++)
			widgets_text(win, y, 0, w, y == 0 ? "reading logs..." : "", ROLE_DIM);
		return;
	}
	v->now = pane_logs_now();
	v->marks = marks_of(pane->src->app);
	/* The deploy the store counts "new" from, by its id when it is known. */
	const struct mark *dep = marks_at_time(v->marks, logstore_deploy_time(st));
	if (dep != NULL)
		snprintf(v->since, sizeof(v->since), " NEW since %.24s", dep->id);
	else
		snprintf(v->since, sizeof(v->since), " NEW");
	pane_logs_header(v, st, win, w, v->now);
	list_draw(v->list, win, 1, h - 1, w);
}

static bool pane_logs_key(struct pane *pane, int ch)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	if (list_editing(v->list) == NULL && (ch == 'g' || ch == 'v')) {
		v->raw = !v->raw;
		list_set_flags(v->list, pane_logs_flags(v->raw));
		list_reset(v->list);
		return true;
	}
	return list_key(v->list, ch);
}

static char *pane_logs_detail(struct pane *pane)
{
	return list_detail(pane_logs_view(pane)->list);
}

const struct pane_ops pane_logs = {
    .kind = "logs",
    .draw = pane_logs_draw,
    .key = pane_logs_key,
    .detail = pane_logs_detail,
    .free = list_view_free,
};
