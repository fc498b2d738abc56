/* pane-logs: the logs pane. It answers "what is failing right now, how often,
 * since when": a header with counts, the error rate and an errors-per-minute
 * sparkline, then either the fingerprint groups (default: severity, count,
 * last and first seen, source, a sample line; "new" when the group began
 * after the last known deploy) or the raw recent lines. `g` or `v` switches
 * the view; `/` filters either view with a regex (typed into the header line);
 * n/N move to the next/previous matching row; Enter shows a whole line.
 *
 * Everything drawn comes from the logstore (already sanitized text) and this
 * pane's view state. The raw view follows the newest line until the user
 * moves the selection, like `less +F`. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/logs.h"
#include "sitrep/pane.h"
#include "sitrep/source.h"
#include "sitrep/util.h"
#include "sitrep/widgets.h"

#define PANE_LOGS_EDIT_MAX 200
#define PANE_LOGS_KEY_ESC  27

struct pane_logs_view {
	bool raw;
	bool editing;
	char edit[PANE_LOGS_EDIT_MAX + 1];
	size_t elen;
	char filter[PANE_LOGS_EDIT_MAX + 1];
	pcre2_code *re;
	pcre2_match_data *md;
	char msg[160]; /* "bad regex: ..." */
	/* Rows shown: indexes into the store's lines or groups, filtered. */
	size_t *rows;
	size_t nrows, cap;
	uint64_t rows_gen;
	bool rows_raw;
	bool rows_valid;
};

static struct pane_logs_view *pane_logs_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_logs_view *v = xcalloc(1, sizeof(*v));
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

static bool pane_logs_match(struct pane_logs_view *v, const char *s)
{
	if (v->re == NULL)
		return true;
	return pcre2_match(v->re, (PCRE2_SPTR)s, strlen(s), 0, 0, v->md, NULL) >= 0;
}

/* Recomputes the filtered rows when the store or the view changed. */
static void pane_logs_rows(struct pane_logs_view *v, struct logstore *st)
{
	uint64_t gen = logstore_generation(st);
	if (v->rows_valid && v->rows_gen == gen && v->rows_raw == v->raw)
		return;
	size_t n = v->raw ? logstore_nlines(st) : logstore_ngroups(st);
	if (n > v->cap) {
		v->cap = n;
		v->rows = xrealloc(v->rows, n * sizeof(*v->rows));
	}
	v->nrows = 0;
	for (size_t i = 0; i < n; i++) {
		bool keep;
		if (v->raw) {
			keep = pane_logs_match(v, logstore_line(st, i)->text);
		} else {
			const struct log_group *g = logstore_group(st, i);
			keep = pane_logs_match(v, g->sample) || pane_logs_match(v, g->fingerprint);
		}
		if (keep)
			v->rows[v->nrows++] = i;
	}
	v->rows_gen = gen;
	v->rows_raw = v->raw;
	v->rows_valid = true;
}

static void pane_logs_set_filter(struct pane_logs_view *v, const char *text)
{
	pcre2_code_free(v->re);
	pcre2_match_data_free(v->md);
	v->re = NULL;
	v->md = NULL;
	v->msg[0] = '\0';
	snprintf(v->filter, sizeof(v->filter), "%s", text);
	v->rows_valid = false;
	if (text[0] == '\0')
		return;
	int code;
	PCRE2_SIZE off;
	v->re = pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS | PCRE2_UTF, &code,
	                      &off, NULL);
	if (v->re == NULL) {
		char err[120];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)err, sizeof(err));
		snprintf(v->msg, sizeof(v->msg), "bad regex: %s", err);
		v->filter[0] = '\0';
		return;
	}
	pcre2_jit_compile(v->re, PCRE2_JIT_COMPLETE);
	v->md = pcre2_match_data_create_from_pattern(v->re, NULL);
}

static enum role pane_logs_sev_role(int sev)
{
	return sev == LOG_SEV_ERROR ? ROLE_CRIT : sev == LOG_SEV_WARN ? ROLE_WARN : ROLE_NORMAL;
}

/* Header: counts, rate, filter state, and the sparkline at the right. */
static void pane_logs_header(struct pane *pane, struct pane_logs_view *v, struct logstore *st, WINDOW *win,
                             int w, int64_t now)
{
	char left[PANE_LOGS_EDIT_MAX + 200]; /* the filter plus the counts */
	if (v->editing) {
		snprintf(left, sizeof(left), "/%s_", v->edit);
		widgets_text(win, 0, 0, w, left, ROLE_LABEL);
		return;
	}
	const struct logstore_stats *s = logstore_stats(st);
	/* The filter comes right after the view's name: in a narrow pane the
	 * counts may be cut, but whether the rows are filtered must stay visible. */
	char filter[PANE_LOGS_EDIT_MAX + 48] = "";
	if (v->msg[0] != '\0')
		snprintf(filter, sizeof(filter), " %s", v->msg);
	else if (v->filter[0] != '\0')
		snprintf(filter, sizeof(filter), " /%s (%zu)", v->filter, v->nrows);
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
	}
}

static void pane_logs_group_row(struct logstore *st, const struct log_group *g, WINDOW *win, int y, int w,
                                int64_t now, bool sel)
{
	char last[16], first[16], head[96];
	util_age(now > g->last_ms ? (uint64_t)(now - g->last_ms) : 0, last, sizeof(last));
	util_age(now > g->first_ms ? (uint64_t)(now - g->first_ms) : 0, first, sizeof(first));
	snprintf(head, sizeof(head), "%c %7llu %4s %4s%s ", g->sev == LOG_SEV_ERROR ? 'E' : 'W',
	         (unsigned long long)g->count, last, first, logstore_group_is_new(st, g) ? " NEW" : "");
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

static void pane_logs_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	struct logstore *st = pane_logs_store(pane);
	int y = 0;
	if (st == NULL) {
		for (; y < h; y++)
			widgets_text(win, y, 0, w, y == 0 ? "reading logs..." : "", ROLE_DIM);
		return;
	}
	int64_t now = pane_logs_now();
	pane_logs_rows(v, st);
	pane_logs_header(pane, v, st, win, w, now);
	y = 1;
	int body = h - 1;
	int n = (int)v->nrows;
	/* Raw view without a selection follows the newest lines. */
	if (pane->selected < 0 && v->raw)
		pane->scroll = n - body;
	pane_clamp_scroll(pane, n, body);
	for (int r = pane->scroll; r < n && y < h; r++, y++) {
		bool sel = pane->focused && r == pane->selected;
		if (v->raw)
			pane_logs_line_row(st, logstore_line(st, v->rows[r]), win, y, w, sel);
		else
			pane_logs_group_row(st, logstore_group(st, v->rows[r]), win, y, w, now, sel);
	}
	if (n == 0 && y < h) {
		const char *empty = v->filter[0] != '\0' ? "(nothing matches the filter)"
		                    : v->raw             ? "(no lines yet)"
		                                         : "(no errors or warnings; g: raw lines)";
		widgets_text(win, y++, 0, w, empty, ROLE_DIM);
	}
	for (; y < h; y++)
		widgets_text(win, y, 0, w, "", ROLE_NORMAL);
}

/* Text entry for the filter while grab_keys is set. */
static bool pane_logs_edit_key(struct pane *pane, struct pane_logs_view *v, int ch)
{
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		v->editing = false;
		pane->grab_keys = false;
		v->edit[v->elen] = '\0';
		pane_logs_set_filter(v, v->edit);
		pane->selected = -1;
		pane->scroll = 0;
	} else if (ch == PANE_LOGS_KEY_ESC) {
		v->editing = false;
		pane->grab_keys = false;
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		if (v->elen > 0)
			v->edit[--v->elen] = '\0';
	} else if (ch >= 0x20 && ch < 0x7f && v->elen < PANE_LOGS_EDIT_MAX) {
		v->edit[v->elen++] = (char)ch;
		v->edit[v->elen] = '\0';
	}
	pane_mark_dirty(pane);
	return true;
}

static bool pane_logs_key(struct pane *pane, int ch)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	if (v->editing)
		return pane_logs_edit_key(pane, v, ch);
	struct logstore *st = pane_logs_store(pane);
	int n = 0;
	if (st != NULL) {
		pane_logs_rows(v, st);
		n = (int)v->nrows;
	}
	int page = pane_body_rows(pane) - 2;
	if (page < 1)
		page = 1;
	int sel = pane->selected;
	switch (ch) {
	case 'g':
	case 'v':
		v->raw = !v->raw;
		v->rows_valid = false;
		pane->selected = -1;
		pane->scroll = 0;
		pane_mark_dirty(pane);
		return true;
	case '/':
		v->editing = true;
		pane->grab_keys = true;
		snprintf(v->edit, sizeof(v->edit), "%s", v->filter);
		v->elen = strlen(v->edit);
		pane_mark_dirty(pane);
		return true;
	case PANE_LOGS_KEY_ESC:
		if (v->filter[0] == '\0' && v->msg[0] == '\0')
			return false;
		pane_logs_set_filter(v, "");
		pane_mark_dirty(pane);
		return true;
	case 'n':
	case 'N':
		if (n == 0)
			return true;
		/* Rows are the matches: step through them, wrapping. */
		if (sel < 0)
			sel = ch == 'n' ? 0 : n - 1;
		else
			sel = (sel + (ch == 'n' ? 1 : n - 1)) % n;
		pane->selected = sel;
		pane_mark_dirty(pane);
		return true;
	case KEY_UP: sel = sel < 0 ? (v->raw ? n - 1 : 0) : sel - 1; break;
	/* The raw view without a selection sits at its newest line: moving down
	 * from there stays at the bottom rather than jumping to the oldest. */
	case KEY_DOWN: sel = sel < 0 ? (v->raw ? n - 1 : 0) : sel + 1; break;
	case KEY_PPAGE: sel = (sel < 0 ? (v->raw ? n - 1 : 0) : sel) - page; break;
	case KEY_NPAGE: sel = (sel < 0 ? (v->raw ? n - 1 : 0) : sel) + page; break;
	case KEY_HOME: sel = 0; break;
	case KEY_END:
		/* In the raw view, the end means following again. */
		sel = v->raw ? -1 : n - 1;
		pane->selected = sel;
		pane_mark_dirty(pane);
		return true;
	default: return false;
	}
	return pane_select(pane, sel, n);
}

static char *pane_logs_detail(struct pane *pane)
{
	struct pane_logs_view *v = pane_logs_view(pane);
	struct logstore *st = pane_logs_store(pane);
	if (st == NULL || pane->selected < 0)
		return NULL;
	pane_logs_rows(v, st);
	if ((size_t)pane->selected >= v->nrows)
		return NULL;
	size_t i = v->rows[pane->selected];
	char t1[32], t2[32];
	if (v->raw) {
		const struct log_line *l = logstore_line(st, i);
		util_rfc3339((time_t)(l->time_ms / 1000), t1, sizeof(t1));
		return xasprintf("%s  %s  %s%s\n\n%s", t1, logstore_source_name(st, l->source),
		                 log_sev_name(l->sev), l->cut ? "  (line was cut)" : "", l->text);
	}
	const struct log_group *g = logstore_group(st, i);
	util_rfc3339((time_t)(g->first_ms / 1000), t1, sizeof(t1));
	util_rfc3339((time_t)(g->last_ms / 1000), t2, sizeof(t2));
	return xasprintf("%s, %llu times%s\nfirst seen %s\nlast seen  %s\nsource %s\n\n"
	                 "fingerprint:\n%s\n\nlatest line:\n%s",
	                 log_sev_name(g->sev), (unsigned long long)g->count,
	                 logstore_group_is_new(st, g) ? ", NEW since the last deploy" : "", t1, t2,
	                 logstore_source_name(st, g->source), g->fingerprint, g->sample);
}

static void pane_logs_free(struct pane *pane)
{
	struct pane_logs_view *v = pane->view;
	if (v == NULL)
		return;
	pcre2_code_free(v->re);
	pcre2_match_data_free(v->md);
	free(v->rows);
	free(v);
	pane->view = NULL;
}

const struct pane_ops pane_logs = {
    .kind = "logs",
    .draw = pane_logs_draw,
    .key = pane_logs_key,
    .detail = pane_logs_detail,
    .free = pane_logs_free,
};
