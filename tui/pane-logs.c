/* pane-logs: the logs pane. It answers "what is failing right now, how often,
 * since when": a header with counts, the error rate and an errors-per-minute
 * sparkline, then either the fingerprint groups (default: severity, count,
 * last and first seen, source, a sample line; "new" when the group began
 * after the last known deploy) or the raw recent lines. `g` or `v` switches
 * the view; `/` filters either view with a regex (typed into the header line);
 * n/N move to the next/previous matching row; Enter shows a whole line, or a
 * group's whole latest event and its latest lines with the lines around them;
 * `@` jumps the raw lines to a time typed in the header.
 *
 * Selection, paging, the filter and n/N are the list engine's (tui/list.c);
 * this file says what a row is in each view. Everything drawn comes from the
 * logstore (already sanitized text) and this pane's view state. The raw view
 * follows the newest line until the user moves the selection, like
 * `less +F`. */
#include <stdarg.h>
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
	bool jumping;              /* `@`: a time is being typed (pane->grab_keys) */
	char jump[40];
	char jump_error[80]; /* why the last time typed was not understood */
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

/* n with its thousands grouped: 29,098,288. */
static void pane_logs_digits(uint64_t n, char *out, size_t cap)
{
	char raw[24];
	int len = snprintf(raw, sizeof(raw), "%llu", (unsigned long long)n);
	size_t o = 0;
	for (int i = 0; i < len && o + 2 < cap; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = raw[i];
	}
	out[o] = '\0';
}

/* Header: counts, rate, filter state, and the sparkline at the right. */
static void pane_logs_header(struct pane_logs_view *v, struct logstore *st, WINDOW *win, int w, int64_t now)
{
	if (list_editing(v->list) != NULL) {
		list_draw_status(v->list, win, 0, w);
		return;
	}
	if (v->jumping || v->jump_error[0] != '\0') {
		char line[200];
		if (v->jumping)
			snprintf(line, sizeof(line),
			         "jump to (HH:MM[:SS], a timestamp, or -5m), Enter: go, Esc: cancel: %s_",
			         v->jump);
		else
			snprintf(line, sizeof(line), "%s (@: try again)", v->jump_error);
		widgets_text(win, 0, 0, w, line, v->jumping ? ROLE_LABEL : ROLE_WARN);
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
	/* Each figure with its label and its digits grouped: "869,256 errors",
	 * never a bare number beside the view's name. */
	char e[32], wn[32], l[32], left[700];
	pane_logs_digits(s->errors, e, sizeof(e));
	pane_logs_digits(s->warnings, wn, sizeof(wn));
	pane_logs_digits(s->lines, l, sizeof(l));
	/* A backlog being read says how far it is first: the counts still grow. */
	char prog[200];
	if (logstore_progress_text(st, now, prog, sizeof(prog))) {
		size_t pl = strlen(prog);
		snprintf(prog + pl, sizeof(prog) - pl, " · ");
	}
	snprintf(left, sizeof(left), "%s%s%s: %s error%s, %s warning%s, %s line%s, %.0f errors/min", prog,
	         v->raw ? "lines" : "groups", filter, e, s->errors == 1 ? "" : "s", wn,
	         s->warnings == 1 ? "" : "s", l, s->lines == 1 ? "" : "s",
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

/* Where a line's message starts: after a leading timestamp ("2026-12-07T21:43:16.365Z",
 * "2024/05/01 10:00:00", "[01/May/2024:10:00:00 +0000]") and a level word
 * (the row's severity says it already). The full line is in the detail. */
static const char *pane_logs_message(const char *text)
{
	const char *p = text;
	for (int tokens = 0; tokens < 3; tokens++) {
		while (*p == ' ')
			p++;
		const char *q = p;
		if (*q == '[') {
			const char *close = strchr(q, ']');
			if (close == NULL || close - q > 40 || strpbrk(q, ":") == NULL ||
			    strpbrk(q, ":") > close)
				break;
			q = close + 1;
		} else if (*q >= '0' && *q <= '9') {
			while ((*q >= '0' && *q <= '9') || strchr("-:./TZ+,", *q) != NULL)
				q++;
			if (q - p < 5 || (*q != ' ' && *q != '\0'))
				break;
		} else {
			break;
		}
		p = q;
	}
	while (*p == ' ')
		p++;
	/* upper-case level words, or "error:" with its colon: a lower-case
	 * "error alpha ..." is the message's own first word */
	static const char *const levels[] = {"ERROR",    "ERRO",  "ERR",    "WARNING",  "WARN",
	                                     "CRITICAL", "FATAL", "error:", "warning:", "warn:"};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		size_t n = strlen(levels[i]);
		if (strncmp(p, levels[i], n) == 0 &&
		    (p[n] == ' ' || p[n] == ':' || levels[i][n - 1] == ':')) {
			p += n + (p[n] == ':');
			while (*p == ' ')
				p++;
			break;
		}
	}
	return *p != '\0' ? p : text;
}

/* A group's row leads with what a tired eye needs: severity, count, how
 * long ago it was last seen, and the message; then whether it is new since
 * the deploy, its first sighting and its source, as room allows. */
enum { LOG_SEV, LOG_COUNT, LOG_LAST, LOG_NEW, LOG_MSG, LOG_FIRST, LOG_SOURCE, LOG_NCOLS };

static void pane_logs_group_row(struct pane_logs_view *v, struct logstore *st, const struct log_group *g,
                                WINDOW *win, int y, int w, int64_t now, bool sel)
{
	char last[16], first[24], count[24];
	util_age(now > g->last_ms ? (uint64_t)(now - g->last_ms) : 0, last, sizeof(last));
	util_age(now > g->first_ms ? (uint64_t)(now - g->first_ms) : 0, first + 6, sizeof(first) - 6);
	memcpy(first, "since ", 6);
	snprintf(count, sizeof(count), "\u00d7%llu", (unsigned long long)g->count);
	bool fresh = logstore_group_is_new(st, g);
	struct widgets_col col[LOG_NCOLS] = {
	    [LOG_SEV] = {.min = 1, .want = 1, .prio = 0},
	    [LOG_COUNT] = {.min = 4, .want = 7, .prio = 1},
	    [LOG_LAST] = {.min = 3, .want = 4, .prio = 2},
	    [LOG_NEW] = {.min = fresh ? widgets_width(v->since) - 1 : 0,
	                 .want = widgets_width(v->since) - 1,
	                 .prio = 4},
	    [LOG_MSG] = {.min = 16,
	                 .want = widgets_width(pane_logs_message(g->sample)),
	                 .prio = 3,
	                 .fill = true},
	    [LOG_FIRST] = {.min = 9, .want = 10, .prio = 6},
	    [LOG_SOURCE] = {.min = 6, .want = 14, .prio = 5},
	};
	/* the first sighting and the source only when the message keeps 60 cells */
	if (w < 100)
		col[LOG_FIRST].min = col[LOG_SOURCE].min = 0;
	widgets_columns(col, LOG_NCOLS, w);
	const char *text[LOG_NCOLS] = {
	    [LOG_SEV] = g->sev == LOG_SEV_ERROR ? "E" : "W",
	    [LOG_COUNT] = count,
	    [LOG_LAST] = last,
	    [LOG_NEW] = v->since[0] == ' ' ? v->since + 1 : v->since,
	    [LOG_MSG] = pane_logs_message(g->sample),
	    [LOG_FIRST] = first,
	    [LOG_SOURCE] = logstore_source_name(st, g->source),
	};
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	enum role role[LOG_NCOLS] = {
	    [LOG_SEV] = sel ? base : pane_logs_sev_role(g->sev),
	    [LOG_COUNT] = sel ? base : pane_logs_sev_role(g->sev),
	    [LOG_LAST] = base,
	    [LOG_NEW] = sel ? base : ROLE_DEPLOY_MARKER,
	    [LOG_MSG] = base,
	    [LOG_FIRST] = sel ? base : ROLE_DIM,
	    [LOG_SOURCE] = sel ? base : ROLE_DIM,
	};
	widgets_row(win, y, 0, w, col, LOG_NCOLS, text, role, base);
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
	widgets_text_cut(win, y, x, w - x, pane_logs_message(l->text),
	                 sel ? ROLE_SELECTION : pane_logs_sev_role(l->sev));
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

/* The group's latest lines, each with PANE_LOGS_CONTEXT lines of its source
 * before and after, from the lines the store kept (its ring). Appended to *out. */
#define PANE_LOGS_ESC     27
#define PANE_LOGS_LATEST  3
#define PANE_LOGS_CONTEXT 2

static void pane_logs_append(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pane_logs_append(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *more = NULL;
	if (vasprintf(&more, fmt, ap) < 0)
		more = NULL;
	va_end(ap);
	if (more == NULL)
		return;
	char *next = xasprintf("%s%s", *out, more);
	free(more);
	free(*out);
	*out = next;
}

static void pane_logs_context(struct logstore *st, const struct log_group *g, char **out)
{
	size_t n = logstore_nlines(st), hits[PANE_LOGS_LATEST], nh = 0;
	for (size_t i = n; i-- > 0 && nh < PANE_LOGS_LATEST;)
		if (logstore_line(st, i)->group == g->hash)
			hits[nh++] = i;
	size_t lmax, gmax, bmax;
	logstore_limits(st, &lmax, &gmax, &bmax);
	if (nh == 0) {
		pane_logs_append(out, "\n\nits lines are no longer among the %zu lines sitrep keeps", lmax);
		return;
	}
	pane_logs_append(
	    out, "\n\nlatest %zu line%s, with the lines around %s (from the %zu lines sitrep keeps):", nh,
	    nh == 1 ? "" : "s", nh == 1 ? "it" : "each", lmax);
	for (size_t k = nh; k-- > 0;) {
		size_t at = hits[k];
		unsigned src = logstore_line(st, at)->source;
		/* the lines of the same source just before and after it */
		size_t from = at, want = PANE_LOGS_CONTEXT;
		while (from > 0 && want > 0) {
			from--;
			if (logstore_line(st, from)->source == src)
				want--;
		}
		pane_logs_append(out, "\n");
		for (size_t i = from, after = 0; i < n && after <= PANE_LOGS_CONTEXT; i++) {
			const struct log_line *l = logstore_line(st, i);
			if (l->source != src)
				continue;
			if (i > at)
				after++;
			if (after > PANE_LOGS_CONTEXT)
				break;
			char t[32];
			time_t tt = (time_t)(l->time_ms / 1000);
			struct tm tm;
			localtime_r(&tt, &tm);
			strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
			pane_logs_append(out, "\n%s %s %s", i == at ? ">" : " ", t, l->text);
		}
	}
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
	/* A multi-line event is shown whole (each line already sanitized), its
	 * root cause first. */
	char *cause = g->cause != NULL ? xasprintf("root cause: %s\n\n", g->cause) : xstrdup("");
	char *out = xasprintf("%s, %llu times%s\nfirst seen %s\nlast seen  %s\nsource %s\n\n"
	                      "fingerprint:\n%s\n\n%slatest %s:\n%s",
	                      log_sev_name(g->sev), (unsigned long long)g->count,
	                      logstore_group_is_new(st, g) ? since : "", t1, t2,
	                      logstore_source_name(st, g->source), g->fingerprint, cause,
	                      g->event != NULL ? "event" : "line", g->event != NULL ? g->event : g->sample);
	free(cause);
	pane_logs_context(st, g, &out);
	return out;
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

/* The time typed after `@`: a timestamp ("2025-06-01 10:00:30", RFC 3339),
 * HH:MM[:SS] on the day of the newest line, or -DURATION before now (-5m,
 * -90s, -2h). 0 when not understood. */
static int64_t pane_logs_jump_time(struct logstore *st, const char *s, int64_t now)
{
	size_t len = strlen(s);
	int64_t t = logtime_parse(s, len, now);
	if (t > 0)
		return t;
	if (s[0] == '-') {
		char *end;
		double n = strtod(s + 1, &end);
		double unit = *end == 's'   ? 1
		              : *end == 'm' ? 60
		              : *end == 'h' ? 3600
		              : *end == 'd' ? 86400
		                            : 0;
		if (end == s + 1 || unit == 0 || end[1] != '\0')
			return 0;
		return now - (int64_t)(n * unit * 1000);
	}
	int hh, mm, ss = 0, used = 0;
	if ((sscanf(s, "%d:%d:%d%n", &hh, &mm, &ss, &used) == 3 ||
	     sscanf(s, "%d:%d%n", &hh, &mm, &used) == 2) &&
	    (size_t)used == len && hh >= 0 && hh < 24 && mm >= 0 && mm < 60 && ss >= 0 && ss < 60) {
		size_t n = logstore_nlines(st);
		time_t day = (time_t)((n > 0 ? logstore_line(st, n - 1)->time_ms : now) / 1000);
		struct tm tm;
		localtime_r(&day, &tm);
		tm.tm_hour = hh;
		tm.tm_min = mm;
		tm.tm_sec = ss;
		tm.tm_isdst = -1;
		return (int64_t)mktime(&tm) * 1000;
	}
	return 0;
}

/* Enter after `@`: the raw lines, the first line at or after that time selected. */
static void pane_logs_jump(struct pane *pane, struct pane_logs_view *v)
{
	struct logstore *st = pane_logs_store(pane);
	int64_t t = st != NULL ? pane_logs_jump_time(st, v->jump, pane_logs_now()) : 0;
	if (t == 0) {
		snprintf(v->jump_error, sizeof(v->jump_error), "not a time: %.40s", v->jump);
		return;
	}
	v->jump_error[0] = '\0';
	if (!v->raw) {
		v->raw = true;
		list_set_flags(v->list, pane_logs_flags(true));
	}
	if (list_filter(v->list)[0] != '\0')
		list_key(v->list, PANE_LOGS_ESC);
	list_reset(v->list);
	size_t n = logstore_nlines(st), at = 0;
	while (at + 1 < n && logstore_line(st, at)->time_ms < t)
		at++;
	list_key(v->list, KEY_HOME);
	for (size_t i = 0; i < at; i++)
		list_key(v->list, KEY_DOWN);
}

static bool pane_logs_key(struct pane *pane, int ch)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	if (v->jumping) {
		size_t len = strlen(v->jump);
		if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
			v->jumping = pane->grab_keys = false;
			pane_logs_jump(pane, v);
		} else if (ch == PANE_LOGS_ESC) {
			v->jumping = pane->grab_keys = false;
		} else if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len > 0) {
			v->jump[len - 1] = '\0';
		} else if (ch >= 0x20 && ch < 0x7f && len + 1 < sizeof(v->jump)) {
			v->jump[len] = (char)ch;
			v->jump[len + 1] = '\0';
		}
		pane_mark_dirty(pane);
		return true;
	}
	if (v->jump_error[0] != '\0') {
		v->jump_error[0] = '\0'; /* said until the next key */
		pane_mark_dirty(pane);
	}
	if (list_editing(v->list) == NULL && ch == '@') {
		v->jumping = pane->grab_keys = true;
		v->jump[0] = v->jump_error[0] = '\0';
		pane_mark_dirty(pane);
		return true;
	}
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
