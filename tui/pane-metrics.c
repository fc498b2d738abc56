/* pane-metrics: draws a struct metrics_data. The body is one list of rows
 * that scrolls as a whole: one row per series (name, value coloured by its
 * level, labels or detail or error, sparkline of its history), then, from
 * procfs, a row of per-core bars and a "top" table of processes. Columns are
 * dropped right to left as the pane narrows, so a small pane still shows
 * every name and value. Selection, paging, the `/` filter (series names and
 * labels, process names) and Enter are the list engine's (tui/list.c); the
 * selection stays on its series or process across refreshes. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include "sitrep/core/action.h"
#include "tui/list.h"
#include "sitrep/core/marks.h"
#include "sitrep/kinds/metrics.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"
#include "tui-internal.h"

/* The value column, right-aligned. */
#define PANE_METRICS_VALUE_W 9

enum metrics_row_kind { ROW_SERIES, ROW_CORES, ROW_PROC_HEADER, ROW_PROC };

struct metrics_row {
	enum metrics_row_kind kind;
	size_t i;
};

static const struct metrics_data *pane_metrics_data(const struct pane *pane)
{
	return pane->src->snap.data;
}

static size_t pane_metrics_nrows(const struct metrics_data *m)
{
	return m->nseries + (m->ncores > 0 ? 1 : 0) + (m->nprocs > 0 ? 1 + m->nprocs : 0);
}

static struct metrics_row pane_metrics_row(const struct metrics_data *m, size_t r)
{
	if (r < m->nseries)
		return (struct metrics_row){ROW_SERIES, r};
	r -= m->nseries;
	if (m->ncores > 0) {
		if (r == 0)
			return (struct metrics_row){ROW_CORES, 0};
		r--;
	}
	if (r == 0)
		return (struct metrics_row){ROW_PROC_HEADER, 0};
	return (struct metrics_row){ROW_PROC, r - 1};
}

/* Thresholds for per-core and per-process CPU, worked out once per draw. */
struct cpu_levels {
	double warn, crit;
};

/* Those of a "CPU" series when there is one, else 80 / 95 %. */
static struct cpu_levels pane_metrics_cpu_levels(const struct metrics_data *m)
{
	struct cpu_levels lv = {80, 95};
	for (size_t i = 0; i < m->nseries; i++) {
		const struct metric_series *s = &m->series[i];
		if (strncasecmp(s->name, "cpu", 3) != 0)
			continue;
		if (s->has_warn)
			lv.warn = s->warn;
		if (s->has_crit)
			lv.crit = s->crit;
		break;
	}
	return lv;
}

static enum role pane_metrics_cpu_role(double v, double warn, double crit)
{
	return widgets_level_role(metrics_level(v, true, warn, true, crit));
}

/* "{mode="idle", cpu="0"}" style, without the braces to save room. */
static void pane_metrics_labels(const struct metric_series *s, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < s->nlabels; i++) {
		int n = snprintf(buf + used, cap - used, "%s%s=%s", i > 0 ? " " : "", s->labels[i].name,
		                 s->labels[i].value);
		if (n < 0 || (size_t)n >= cap - used)
			break;
		used += (size_t)n;
	}
}

static int pane_metrics_name_width(const struct metrics_data *m, int w)
{
	int nw = 4;
	for (size_t i = 0; i < m->nseries; i++) {
		int sw = widgets_width(m->series[i].name);
		if (sw > nw)
			nw = sw;
	}
	int max = w / 3 > 24 ? 24 : w / 3;
	if (max < 4)
		max = 4;
	return nw > max ? max : nw;
}

/* Columns for the sparkline (its leading blank included) out of what is left
 * of a row after the name and the value. */
static int pane_metrics_spark_width(int rest)
{
	if (rest < 20)
		return 0;
	return rest >= 60 ? 30 : rest / 2;
}

/* The width of a series row's sparkline in cells, for a pane w wide whose
 * names take nw: what the source is told so it fetches one point per cell. */
static int pane_metrics_spark_cells(int w, int nw)
{
	if (nw > w)
		nw = w;
	int x = nw < w ? nw + 1 : nw;
	x += PANE_METRICS_VALUE_W < w - x ? PANE_METRICS_VALUE_W : w - x;
	int sw = pane_metrics_spark_width(w - x);
	return sw > 1 ? sw - 1 : 0;
}

/* Right-aligns text in [x, x+cw). */
static void pane_metrics_right(WINDOW *win, int y, int x, int cw, const char *text, enum role role)
{
	if (cw <= 0)
		return;
	int tw = widgets_width(text);
	int pad = cw - tw > 0 ? cw - tw : 0;
	widgets_fill(win, y, x, pad, ROLE_NORMAL);
	widgets_text(win, y, x + pad, cw - pad, text, role);
}

/* Deploy markers on a series' sparkline: one sample per refresh, the
 * newest taken at the snapshot's time. */
static void pane_metrics_marks(struct pane *pane, WINDOW *win, int y, int x, int w, size_t nhistory)
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

static void pane_metrics_draw_series(struct pane *pane, WINDOW *win, int y, int w,
                                     const struct metric_series *s, int nw, bool selected)
{
	int x = 0;
	const int vw = PANE_METRICS_VALUE_W;
	if (nw > w)
		nw = w;
	widgets_text(win, y, x, nw, s->name, selected ? ROLE_SELECTION : ROLE_LABEL);
	x += nw;
	if (x < w) {
		widgets_fill(win, y, x, 1, ROLE_NORMAL);
		x++;
	}

	/* The value, right-aligned in its column. */
	char value[40];
	enum role vrole;
	if (s->error != NULL && !s->has_value) {
		snprintf(value, sizeof(value), "error");
		vrole = ROLE_ERROR;
	} else if (!s->has_value) {
		snprintf(value, sizeof(value), "-");
		vrole = ROLE_DIM;
	} else {
		widgets_format_value(value, sizeof(value), s->value, s->unit);
		vrole = widgets_level_role(s->status);
	}
	int col = vw < w - x ? vw : w - x;
	if (col > 0) {
		pane_metrics_right(win, y, x, col, value, vrole);
		x += col;
	}
	if (x >= w)
		return;

	/* The rest: middle text and, when there is room, a sparkline. */
	int rest = w - x;
	int sw = s->nhistory > 0 ? pane_metrics_spark_width(rest) : 0;
	int mw = rest - sw;
	char middle[400];
	enum role mrole = ROLE_DIM;
	middle[0] = '\0';
	if (s->error != NULL) {
		snprintf(middle, sizeof(middle), " %s", s->error);
		mrole = ROLE_ERROR;
	} else {
		char labels[300];
		pane_metrics_labels(s, labels, sizeof(labels));
		snprintf(middle, sizeof(middle), "%s%s%s%s", s->detail != NULL ? " " : "",
		         s->detail != NULL ? s->detail : "", labels[0] ? " " : "", labels);
	}
	widgets_text(win, y, x, mw, middle, mrole);
	x += mw;
	if (sw > 1) {
		widgets_fill(win, y, x, 1, ROLE_NORMAL);
		/* Percentages on their full scale; other series from zero when
		 * they never go negative, so small wobbles do not look like spikes. */
		double lo = 0, hi = 0;
		if (strcmp(s->unit, "%") == 0) {
			hi = 100;
		} else {
			for (size_t i = 0; i < s->nhistory; i++) {
				if (!isfinite(s->history[i]))
					continue;
				if (s->history[i] < lo)
					lo = s->history[i];
				if (s->history[i] > hi)
					hi = s->history[i];
			}
			if (lo < 0)
				lo = hi = 0; /* auto-scale */
		}
		widgets_sparkline(win, y, x + 1, sw - 1, s->history, s->nhistory, lo, hi, ROLE_SPARK);
		pane_metrics_marks(pane, win, y, x + 1, sw - 1, s->nhistory);
	} else if (sw == 1) {
		widgets_fill(win, y, x, 1, ROLE_NORMAL);
	}
}

static void pane_metrics_draw_cores(WINDOW *win, int y, int w, const struct metrics_data *m,
                                    const struct cpu_levels *lv)
{
	double warn = lv->warn, crit = lv->crit;
	int x = widgets_text(win, y, 0, w < 6 ? w : 6, "cores", ROLE_LABEL);
	if (w < 6) /* the label took the whole row */
		return;
	x = 6;
	int avail = w - x;
	size_t n = m->ncores;
	if (n > 0 && (int)n * 4 <= avail) {
		/* Mini bars, as wide as the room allows (up to 8). */
		int bw = avail / (int)n - 1;
		if (bw > 8)
			bw = 8;
		for (size_t i = 0; i < n; i++) {
			widgets_bar(win, y, x, bw, m->cores[i],
			            pane_metrics_cpu_role(m->cores[i], warn, crit));
			widgets_fill(win, y, x + bw, 1, ROLE_NORMAL);
			x += bw + 1;
		}
	} else {
		/* One glyph per core; what does not fit is counted. */
		size_t fit = (size_t)avail;
		if (fit < n && fit >= 4)
			fit -= 4;
		else if (fit < n)
			fit = 0;
		if (fit > n)
			fit = n;
		for (size_t i = 0; i < fit; i++) {
			widgets_sparkline(win, y, x, 1, &m->cores[i], 1, 0, 100,
			                  pane_metrics_cpu_role(m->cores[i], warn, crit));
			x++;
		}
		if (fit < n) {
			char more[32];
			snprintf(more, sizeof(more), " +%zu", n - fit);
			x += widgets_text_nopad(win, y, x, w - x, more, ROLE_DIM);
		}
	}
	widgets_fill(win, y, x, w - x, ROLE_NORMAL);
}

/* Columns of the process table for a width: PID and RSS go first when narrow. */
struct proc_cols {
	int pid, name, cpu, rss;
};

static struct proc_cols pane_metrics_proc_cols(int w)
{
	struct proc_cols c = {7, 0, 7, 7};
	if (w < 32)
		c.rss = 0;
	if (w < 22)
		c.pid = 0;
	if (w < 12)
		c.cpu = 0;
	c.name = w - c.pid - c.cpu - c.rss;
	if (c.name < 0)
		c.name = 0;
	return c;
}

static void pane_metrics_draw_proc(WINDOW *win, int y, int w, const struct cpu_levels *lv,
                                   const struct metric_proc *p, bool selected)
{
	struct proc_cols c = pane_metrics_proc_cols(w);
	int x = 0;
	enum role base = selected ? ROLE_SELECTION : ROLE_NORMAL;
	if (p == NULL) {
		pane_metrics_right(win, y, x, c.pid - 1, "PID", ROLE_LABEL);
		if (c.pid > 0)
			widgets_fill(win, y, x + c.pid - 1, 1, ROLE_NORMAL);
		x += c.pid;
		widgets_text(win, y, x, c.name, "NAME", ROLE_LABEL);
		x += c.name;
		pane_metrics_right(win, y, x, c.cpu, "CPU%", ROLE_LABEL);
		x += c.cpu;
		pane_metrics_right(win, y, x, c.rss, "RSS", ROLE_LABEL);
		return;
	}
	char buf[32];
	snprintf(buf, sizeof(buf), "%d", p->pid);
	pane_metrics_right(win, y, x, c.pid - 1, buf, base);
	if (c.pid > 0)
		widgets_fill(win, y, x + c.pid - 1, 1, base);
	x += c.pid;
	widgets_text(win, y, x, c.name, p->name != NULL ? p->name : "?", base);
	x += c.name;
	snprintf(buf, sizeof(buf), "%.1f", p->cpu);
	pane_metrics_right(win, y, x, c.cpu, buf, pane_metrics_cpu_role(p->cpu, lv->warn, lv->crit));
	x += c.cpu;
	util_bytes((double)p->rss, buf, sizeof(buf));
	pane_metrics_right(win, y, x, c.rss, buf, ROLE_NORMAL);
}

/* What every row of one draw shares, worked out once per draw. */
struct pane_metrics_view {
	struct list *list; /* first: list_view_free frees the view */
	int name_w;
	struct cpu_levels lv;
};

static const struct list_ops pane_metrics_list;

static struct pane_metrics_view *pane_metrics_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_metrics_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_metrics_list, 0);
		pane->view = v;
	}
	return pane->view;
}

static void pane_metrics_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_metrics_view *v = pane_metrics_view(pane);
	const struct metrics_data *m = pane_metrics_data(pane);
	v->name_w = pane_metrics_name_width(m, w);
	/* Tells a source that fetches history (prometheus) how many points fit. */
	source_set_view_cells(pane->src, pane_metrics_spark_cells(w, v->name_w));
	v->lv = pane_metrics_cpu_levels(m);
	/* The rows left for processes: zoomed, the host pane lists as many as
	 * fit, not only the configured "top" (procfs reads them anyway). */
	if (m != NULL) {
		int fixed = (int)m->nseries + (m->ncores > 0 ? 1 : 0) + 1;
		pane->src->view_rows = h - fixed > 0 ? h - fixed : 0;
	}
	list_draw_with_status(v->list, win, 0, h, w);
}

static void pane_metrics_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t r, bool sel)
{
	struct pane_metrics_view *v = pane->view;
	const struct metrics_data *m = pane_metrics_data(pane);
	struct metrics_row row = pane_metrics_row(m, r);
	switch (row.kind) {
	case ROW_SERIES: pane_metrics_draw_series(pane, win, y, w, &m->series[row.i], v->name_w, sel); break;
	case ROW_CORES: pane_metrics_draw_cores(win, y, w, m, &v->lv); break;
	case ROW_PROC_HEADER: pane_metrics_draw_proc(win, y, w, &v->lv, NULL, false); break;
	case ROW_PROC: pane_metrics_draw_proc(win, y, w, &v->lv, &m->procs[row.i], sel); break;
	}
}

static size_t pane_metrics_count(struct pane *pane)
{
	const struct metrics_data *m = pane_metrics_data(pane);
	return m != NULL ? pane_metrics_nrows(m) : 0;
}

/* A series is known by its name and labels, a process by its pid: the top
 * table reorders on every refresh, and the selection stays on its process. */
static const char *pane_metrics_row_key(struct pane *pane, size_t r, char *buf, size_t cap)
{
	const struct metrics_data *m = pane_metrics_data(pane);
	struct metrics_row row = pane_metrics_row(m, r);
	switch (row.kind) {
	case ROW_SERIES: {
		const struct metric_series *s = &m->series[row.i];
		int n = snprintf(buf, cap, "s%s", s->name);
		if (n > 0 && (size_t)n < cap)
			pane_metrics_labels(s, buf + n, cap - (size_t)n);
		return buf;
	}
	case ROW_CORES: return "cores";
	case ROW_PROC_HEADER: return "top";
	case ROW_PROC: snprintf(buf, cap, "p%d", m->procs[row.i].pid); return buf;
	}
	return "";
}

/* The filter looks at series names and labels and at process names. */
static bool pane_metrics_match(struct pane *pane, size_t r, const struct list *list)
{
	const struct metrics_data *m = pane_metrics_data(pane);
	struct metrics_row row = pane_metrics_row(m, r);
	if (row.kind == ROW_PROC)
		return m->procs[row.i].name != NULL && list_match(list, m->procs[row.i].name);
	if (row.kind != ROW_SERIES)
		return false;
	const struct metric_series *s = &m->series[row.i];
	if (list_match(list, s->name))
		return true;
	for (size_t i = 0; i < s->nlabels; i++)
		if (list_match(list, s->labels[i].value))
			return true;
	return false;
}

static const char *pane_metrics_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_DIM;
	return "no series";
}

static bool pane_metrics_key(struct pane *pane, int ch)
{
	if (pane_metrics_data(pane) == NULL)
		return false;
	return list_key(pane_metrics_view(pane)->list, ch);
}

static char *pane_metrics_series_detail(const struct metric_series *s)
{
	char value[40] = "-";
	if (s->has_value)
		widgets_format_value(value, sizeof(value), s->value, s->unit);
	char *text = xasprintf("%s\nvalue: %s (%s)", s->name, value, metrics_level_name(s->status));
	char *more;
	if (s->has_warn || s->has_crit) {
		char wv[40] = "-", cv[40] = "-";
		if (s->has_warn)
			widgets_format_value(wv, sizeof(wv), s->warn, s->unit);
		if (s->has_crit)
			widgets_format_value(cv, sizeof(cv), s->crit, s->unit);
		more = xasprintf("%s\nthresholds: warn >= %s, crit >= %s", text, wv, cv);
		free(text);
		text = more;
	}
	if (s->detail != NULL) {
		more = xasprintf("%s\n%s", text, s->detail);
		free(text);
		text = more;
	}
	for (size_t i = 0; i < s->nlabels; i++) {
		more = xasprintf("%s\n%s%s=\"%s\"", text, i == 0 ? "labels: " : "        ", s->labels[i].name,
		                 s->labels[i].value);
		free(text);
		text = more;
	}
	if (s->nhistory > 0) {
		double lo = NAN, hi = NAN, sum = 0;
		size_t n = 0;
		for (size_t i = 0; i < s->nhistory; i++) {
			double v = s->history[i];
			if (!isfinite(v))
				continue;
			lo = n == 0 || v < lo ? v : lo;
			hi = n == 0 || v > hi ? v : hi;
			sum += v;
			n++;
		}
		if (n > 0) {
			char a[40], b[40], c[40];
			widgets_format_value(a, sizeof(a), lo, s->unit);
			widgets_format_value(b, sizeof(b), sum / (double)n, s->unit);
			widgets_format_value(c, sizeof(c), hi, s->unit);
			more =
			    xasprintf("%s\nhistory (%zu samples): min %s, avg %s, max %s", text, n, a, b, c);
			free(text);
			text = more;
		}
	}
	if (s->error != NULL) {
		more = xasprintf("%s\nerror: %s", text, s->error);
		free(text);
		text = more;
	}
	return text;
}

static char *pane_metrics_row_detail(struct pane *pane, size_t r)
{
	const struct metrics_data *m = pane_metrics_data(pane);
	struct metrics_row row = pane_metrics_row(m, r);
	switch (row.kind) {
	case ROW_SERIES: return pane_metrics_series_detail(&m->series[row.i]);
	case ROW_PROC: {
		const struct metric_proc *p = &m->procs[row.i];
		char rss[32], started[40] = "?";
		util_bytes((double)p->rss, rss, sizeof(rss));
		if (p->started > 0)
			util_rfc3339((time_t)p->started, started, sizeof(started));
		return xasprintf(
		    "process %d (%s)\nuser: %s\nstarted: %s\nCPU: %.1f %% of one core\n"
		    "memory (RSS): %s\ncommand line:\n%s\n\nK: SIGTERM it · X: SIGKILL it (type its pid)",
		    p->pid, p->name != NULL ? p->name : "?", p->user != NULL ? p->user : "?", started, p->cpu,
		    rss,
		    p->cmdline != NULL && p->cmdline[0] ? p->cmdline : "(none: a kernel thread, or gone)");
	}
	case ROW_CORES: {
		char *text = xasprintf("%zu cores, busy percent:", m->ncores);
		for (size_t i = 0; i < m->ncores; i++) {
			char *more = xasprintf("%s\ncpu%zu %5.1f %%", text, i, m->cores[i]);
			free(text);
			text = more;
		}
		return text;
	}
	default: return NULL;
	}
}

static const struct list_ops pane_metrics_list = {
    .count = pane_metrics_count,
    .draw_row = pane_metrics_draw_row,
    .row_key = pane_metrics_row_key,
    .match = pane_metrics_match,
    .detail = pane_metrics_row_detail,
    .empty = pane_metrics_empty,
};

/* K and X: the selected process, by its identity (pid and starttime) for
 * the source, its pid as the target (typed for X) and its name for the
 * dialog's words. */
static int pane_metrics_select(struct pane *pane, struct action *a, char *err, size_t cap)
{
	const struct metrics_data *m = pane_metrics_data(pane);
	size_t r;
	if (m == NULL || !list_selected_row(pane_metrics_view(pane)->list, &r) ||
	    pane_metrics_row(m, r).kind != ROW_PROC) {
		snprintf(err, cap, "select a process first (j/k down to the top list)");
		return -1;
	}
	const struct metric_proc *p = &m->procs[pane_metrics_row(m, r).i];
	if (p->start_ticks == 0) {
		snprintf(err, cap, "process %d cannot be named exactly (no start time); nothing to do",
		         p->pid);
		return -1;
	}
	char id[64];
	snprintf(id, sizeof(id), "%d:%llu", p->pid, (unsigned long long)p->start_ticks);
	action_select(a, id);
	free(a->target);
	a->target = xasprintf("%d", p->pid);
	if (p->name != NULL)
		action_add_param(a, "name", p->name);
	return 0;
}

static char *pane_metrics_detail(struct pane *pane)
{
	if (pane_metrics_data(pane) == NULL)
		return NULL;
	return list_detail(pane_metrics_view(pane)->list);
}

const struct pane_ops pane_metrics = {
    .kind = "metrics",
    .draw = pane_metrics_draw,
    .key = pane_metrics_key,
    .select = pane_metrics_select,
    .detail = pane_metrics_detail,
    .free = list_view_free,
};
