/* pane-checks: draws the checks snapshot, one check per row: ok or FAIL in
 * its colour, the name, the latency, a latency sparkline with the deploy
 * markers of core/marks.c, and the reason it fails (or, when it passes, what
 * it probes). Selection, paging, the `/` filter (name, target, reason) and
 * Enter's details are the list engine's (tui/list.c); the selection follows
 * a check by its name across refreshes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/kinds/checks.h"
#include "tui/list.h"
#include "sitrep/core/marks.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

#define PANE_CHECKS_SPARK_MAX 30

struct pane_checks_view {
	struct list *list; /* first: list_view_free frees the view */
};

static const struct list_ops pane_checks_list;

static struct pane_checks_view *pane_checks_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_checks_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_checks_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static const struct checks_data *pane_checks_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

/* Deploy markers on a check's sparkline: one sample per refresh, the newest
 * taken at the snapshot's time (as the metrics pane does). */
static void pane_checks_marks(struct pane *pane, WINDOW *win, int y, int x, int w, size_t nhistory)
{
	const struct marks *mk = marks_of(pane->src->app);
	if (mk == NULL || marks_count(mk) == 0 || w <= 0 || pane->src->snap.updated_wall == 0)
		return;
	int cells[MARKS_MAX];
	size_t shown = nhistory < (size_t)w ? nhistory : (size_t)w;
	int64_t step = pane->src->refresh_ms > 0 ? (int64_t)pane->src->refresh_ms : 1000;
	size_t n = marks_cells(mk, (int64_t)pane->src->snap.updated_wall * 1000 + 999, step, shown, cells,
	                       MARKS_MAX);
	widgets_sparkline_marks(win, y, x, w, cells, n);
}

/* The columns, by priority: the verdict word, the check's name, the reason
 * (or the target), the latency, the sparkline. Every row gets the same
 * widths (the widest name), so the rows line up. */
enum { CHK_WORD, CHK_NAME, CHK_LAT, CHK_SPARK, CHK_REASON, CHK_NCOLS };

static void pane_checks_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	const struct checks_data *d = pane_checks_data(pane);
	const struct check *c = &d->checks[row];
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	int name = 4;
	for (size_t i = 0; i < d->nchecks; i++)
		if (widgets_width(d->checks[i].name) > name)
			name = widgets_width(d->checks[i].name);
	int spark = w / 4 < PANE_CHECKS_SPARK_MAX ? w / 4 : PANE_CHECKS_SPARK_MAX;
	int reason = 12; /* the widest reason or target: it grows before the latency and sparkline */
	for (size_t i = 0; i < d->nchecks; i++) {
		const char *r = d->checks[i].reason != NULL ? d->checks[i].reason : d->checks[i].target;
		int rw = r != NULL ? widgets_width(r) : 0;
		reason = rw > reason ? rw : reason;
	}
	struct widgets_col col[CHK_NCOLS] = {
	    [CHK_WORD] = {.min = 4, .want = 4, .prio = 0},
	    [CHK_NAME] = {.min = name < 8 ? name : 8, .want = name < 24 ? name : 24, .prio = 1},
	    [CHK_LAT] = {.min = 7, .want = 7, .prio = 3},
	    [CHK_SPARK] = {.min = spark >= 4 ? 4 : 0, .want = spark, .prio = 4},
	    [CHK_REASON] = {.min = 12, .want = reason, .prio = 2, .fill = true},
	};
	widgets_columns(col, CHK_NCOLS, w);
	char lat[16] = "-";
	if (c->latency_ms >= 0)
		snprintf(lat, sizeof(lat), "%5.0fms", c->latency_ms);
	const char *text[CHK_NCOLS] = {
	    [CHK_WORD] = !c->checked ? "wait"
	                 : c->ok     ? "ok"
	                             : "FAIL",
	    [CHK_NAME] = c->name,
	    [CHK_LAT] = lat,
	    [CHK_SPARK] = "",
	    [CHK_REASON] = c->reason != NULL ? c->reason : c->target,
	};
	enum role role[CHK_NCOLS] = {
	    [CHK_WORD] = !c->checked ? ROLE_DIM
	                 : c->ok     ? ROLE_OK
	                             : ROLE_CRIT,
	    [CHK_NAME] = base,
	    [CHK_LAT] = base,
	    [CHK_SPARK] = base,
	    [CHK_REASON] = sel                 ? base
	                   : c->reason != NULL ? ROLE_CRIT
	                                       : ROLE_DIM,
	};
	widgets_row(win, y, 0, w, col, CHK_NCOLS, text, role, base);
	if (col[CHK_SPARK].w > 0) {
		int x = 0;
		for (int i = 0; i < CHK_SPARK; i++)
			x += col[i].w > 0 ? col[i].w + 1 : 0;
		/* From zero: a steady 40 ms must not look like a spike. */
		double hi = 0;
		for (size_t i = 0; i < c->nhistory; i++)
			if (isfinite(c->history[i]) && c->history[i] > hi)
				hi = c->history[i];
		widgets_sparkline(win, y, x, col[CHK_SPARK].w, c->history, c->nhistory, 0, hi > 0 ? hi : 1,
		                  ROLE_SPARK);
		pane_checks_marks(pane, win, y, x, col[CHK_SPARK].w, c->nhistory);
	}
}

static void pane_checks_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_checks_view *v = pane_checks_view(pane);
	list_draw_with_status(v->list, win, 0, h, w);
}

static bool pane_checks_key(struct pane *pane, int ch)
{
	if (pane_checks_data(pane) == NULL)
		return false;
	return list_key(pane_checks_view(pane)->list, ch);
}

/* --- the list's callbacks: one row per check, known by its name --- */

static size_t pane_checks_count(struct pane *pane)
{
	const struct checks_data *d = pane_checks_data(pane);
	return d != NULL ? d->nchecks : 0;
}

static const char *pane_checks_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	(void)buf, (void)cap;
	return pane_checks_data(pane)->checks[row].name;
}

static bool pane_checks_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct check *c = &pane_checks_data(pane)->checks[row];
	return list_match(list, c->name) || list_match(list, c->target) ||
	       (c->reason != NULL && list_match(list, c->reason));
}

static char *pane_checks_row_detail(struct pane *pane, size_t row)
{
	const struct check *c = &pane_checks_data(pane)->checks[row];
	char status[24] = "-", lat[24] = "-", tls[24] = "unknown";
	if (c->status > 0)
		snprintf(status, sizeof(status), "%ld", c->status);
	if (c->latency_ms >= 0)
		snprintf(lat, sizeof(lat), "%.0f ms", c->latency_ms);
	if (c->tls_days >= 0)
		snprintf(tls, sizeof(tls), "%d days", c->tls_days);
	double sum = 0, max = 0;
	size_t n = 0, gaps = 0;
	for (size_t i = 0; i < c->nhistory; i++) {
		if (isnan(c->history[i])) {
			gaps++;
			continue;
		}
		sum += c->history[i];
		max = c->history[i] > max ? c->history[i] : max;
		n++;
	}
	char *out = xasprintf("%s\nprobe: %s\nresult: %s%s%s\nstatus: %s\nlatency: %s\n"
	                      "last %zu runs: average %.0f ms, slowest %.0f ms, %zu without an answer",
	                      c->name, c->target,
	                      !c->checked ? "not checked yet"
	                      : c->ok     ? "ok"
	                                  : "failing",
	                      c->reason != NULL ? ": " : "", c->reason != NULL ? c->reason : "", status, lat,
	                      c->nhistory, n > 0 ? sum / (double)n : 0, max, gaps);
	if (c->type == CHECK_HTTP && strstr(c->target, "https://") != NULL) {
		char *next = xasprintf("%s\nTLS certificate: %s", out, tls);
		free(out);
		out = next;
	}
	return out;
}

static const char *pane_checks_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_DIM;
	return "no checks";
}

static const struct list_ops pane_checks_list = {
    .count = pane_checks_count,
    .draw_row = pane_checks_draw_row,
    .row_key = pane_checks_row_key,
    .match = pane_checks_match,
    .detail = pane_checks_row_detail,
    .empty = pane_checks_empty,
};

static char *pane_checks_detail(struct pane *pane)
{
	return list_detail(pane_checks_view(pane)->list);
}

const struct pane_ops pane_checks = {
    .kind = "checks",
    .draw = pane_checks_draw,
    .key = pane_checks_key,
    .detail = pane_checks_detail,
    .free = list_view_free,
};
