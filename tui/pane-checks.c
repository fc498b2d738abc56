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

static void pane_checks_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	const struct check *c = &pane_checks_data(pane)->checks[row];
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	enum role word_role = !c->checked ? ROLE_DIM : c->ok ? ROLE_OK : ROLE_CRIT;
	const char *word = !c->checked ? "wait " : c->ok ? "ok   " : "FAIL ";
	int x = widgets_text(win, y, 0, w < 5 ? w : 5, word, word_role);
	int name_w = w >= 70 ? 18 : w / 4;
	if (x < w)
		x += widgets_text(win, y, x, w - x < name_w ? w - x : name_w, c->name, base);
	char lat[16] = "     -";
	if (c->latency_ms >= 0)
		snprintf(lat, sizeof(lat), " %5.0fms", c->latency_ms);
	if (x < w)
		x += widgets_text(win, y, x, w - x < 8 ? w - x : 8, lat, base);
	/* The sparkline takes a quarter of what is left, at most 30 cells. */
	int sw = (w - x) / 4;
	if (sw > PANE_CHECKS_SPARK_MAX)
		sw = PANE_CHECKS_SPARK_MAX;
	if (sw >= 4) {
		widgets_fill(win, y, x, 1, base);
		/* From zero: a steady 40 ms must not look like a spike. */
		double hi = 0;
		for (size_t i = 0; i < c->nhistory; i++)
			if (isfinite(c->history[i]) && c->history[i] > hi)
				hi = c->history[i];
		widgets_sparkline(win, y, x + 1, sw - 1, c->history, c->nhistory, 0, hi > 0 ? hi : 1,
		                  ROLE_SPARK);
		pane_checks_marks(pane, win, y, x + 1, sw - 1, c->nhistory);
		x += sw;
	}
	if (x >= w)
		return;
	widgets_fill(win, y, x, 1, base);
	x++;
	if (x >= w)
		return;
	if (c->reason != NULL)
		widgets_text(win, y, x, w - x, c->reason, sel ? base : ROLE_CRIT);
	else
		widgets_text(win, y, x, w - x, c->target, sel ? base : ROLE_DIM);
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
