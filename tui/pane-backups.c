/* pane-backups: draws a backups snapshot: the set's verdict and why, the
 * newest backup against the latest deploy ("newest backup 14 min before r3
 * ✓" or "no backup since r3 ✗"), the data a restore would lose, then one
 * row per backup, newest first. Selection, paging, the `/` filter and
 * Enter's details are the list engine's (tui/list.c); the details of a
 * backup end with the exact production restore commands of the newest good
 * one and what they would lose, to copy: restoring production is never a
 * key. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/backups.h"
#include "sitrep/list.h"
#include "sitrep/pane.h"
#include "sitrep/source.h"
#include "sitrep/util.h"
#include "sitrep/widgets.h"

struct pane_backups_view {
	struct list *list; /* first: list_view_free frees the view */
};

static const struct list_ops pane_backups_list;

static struct pane_backups_view *pane_backups_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_backups_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_backups_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static const struct backup_set *pane_backups_set(const struct pane *pane)
{
	const struct backups_data *d = pane->src != NULL ? pane->src->snap.data : NULL;
	return d != NULL && d->nsets > 0 ? &d->sets[0] : NULL;
}

static enum role pane_backups_role(enum backups_verdict v)
{
	return v == BACKUPS_CRIT ? ROLE_CRIT : v == BACKUPS_WARN ? ROLE_WARN : ROLE_OK;
}

static void pane_backups_age(int64_t t, char *buf, size_t cap)
{
	int64_t now = (int64_t)time(NULL);
	util_age(now > t ? (uint64_t)(now - t) * 1000 : 0, buf, cap);
}

/* The header: verdict, deploy, risk. Returns the lines used. */
static int pane_backups_header(struct pane *pane, WINDOW *win, int h, int w)
{
	const struct backup_set *s = pane_backups_set(pane);
	int y = 0;
	if (s == NULL || h <= 0)
		return 0;
	char word[16];
	snprintf(word, sizeof(word), "%-5s",
	         s->verdict == BACKUPS_OK     ? "ok"
	         : s->verdict == BACKUPS_WARN ? "WARN"
	                                      : "CRIT");
	int x = widgets_text(win, y, 0, w < 6 ? w : 6, word, pane_backups_role(s->verdict));
	char *line = xasprintf("%s  %s %s%s%s", s->name, s->source, s->where, s->reason != NULL ? ": " : "",
	                       s->reason != NULL ? s->reason : "");
	if (x < w)
		widgets_text(win, y, x, w - x, line,
		             s->verdict == BACKUPS_OK ? ROLE_NORMAL : pane_backups_role(s->verdict));
	free(line);
	if (++y >= h)
		return y;
	if (s->deploy.known) {
		widgets_text(win, y, 0, w, s->deploy.text, s->deploy.covered ? ROLE_OK : ROLE_CRIT);
		if (++y >= h)
			return y;
	}
	char risk[64];
	backups_risk_text(&s->risk, risk, sizeof(risk));
	if (risk[0] != '\0' || s->risk.error != NULL) {
		char *t = risk[0] != '\0'
		              ? xasprintf("at risk: %s%s%s%s", risk,
		                          s->risk.restore_point != NULL ? "; archive allows " : "",
		                          s->risk.restore_point != NULL ? s->risk.restore_point : "",
		                          s->risk.failing ? " (archiver FAILING)" : "")
		              : xasprintf("at risk: unknown (%s)", s->risk.error);
		widgets_text(win, y, 0, w, t,
		             s->risk.failing   ? ROLE_CRIT
		             : risk[0] != '\0' ? ROLE_WARN
		                               : ROLE_DIM);
		free(t);
		if (++y >= h)
			return y;
	}
	if (s->running != NULL) {
		widgets_text(win, y, 0, w, s->running, ROLE_WARN);
		++y;
	}
	return y;
}

static void pane_backups_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	const struct backup *b = &pane_backups_set(pane)->backups[row];
	enum role base = sel ? ROLE_SELECTION : ROLE_NORMAL;
	char age[16], size[16] = "?";
	pane_backups_age(b->time, age, sizeof(age));
	if (b->size >= 0)
		util_bytes((double)b->size, size, sizeof(size));
	char *t = xasprintf("%5s %-8s %7s  %s", age, b->type, size, b->label);
	int x = widgets_text_nopad(win, y, 0, w, t, b->complete ? base : (sel ? base : ROLE_CRIT));
	free(t);
	if (x < w && !b->complete) {
		char *p = xasprintf("  %s", b->problem != NULL ? b->problem : "incomplete");
		x += widgets_text_nopad(win, y, x, w - x, p, sel ? base : ROLE_CRIT);
		free(p);
	}
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

static void pane_backups_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_backups_view *v = pane_backups_view(pane);
	int top = pane_backups_header(pane, win, h, w);
	list_draw_with_status(v->list, win, top, h - top, w);
}

static bool pane_backups_key(struct pane *pane, int ch)
{
	if (pane_backups_set(pane) == NULL)
		return false;
	return list_key(pane_backups_view(pane)->list, ch);
}

static size_t pane_backups_count(struct pane *pane)
{
	const struct backup_set *s = pane_backups_set(pane);
	return s != NULL ? s->nbackups : 0;
}

static const char *pane_backups_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	(void)buf, (void)cap;
	return pane_backups_set(pane)->backups[row].label;
}

static bool pane_backups_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct backup *b = &pane_backups_set(pane)->backups[row];
	return list_match(list, b->label) || list_match(list, b->type) ||
	       (b->problem != NULL && list_match(list, b->problem));
}

static char *pane_backups_row_detail(struct pane *pane, size_t row)
{
	const struct backup_set *s = pane_backups_set(pane);
	const struct backup *b = &s->backups[row];
	char when[32], start[32] = "-", size[16] = "?", stored[16] = "?", age[16];
	util_rfc3339((time_t)b->time, when, sizeof(when));
	if (b->start > 0)
		util_rfc3339((time_t)b->start, start, sizeof(start));
	if (b->size >= 0)
		util_bytes((double)b->size, size, sizeof(size));
	if (b->stored >= 0)
		util_bytes((double)b->stored, stored, sizeof(stored));
	pane_backups_age(b->time, age, sizeof(age));
	struct util_buf out = {0};
	char *head =
	    xasprintf("%s\ntype: %s%s%s\ncomplete: %s (%s ago)\nstarted: %s\nsize: %s (stored: %s)\n"
	              "state: %s%s%s%s%s",
	              b->label, b->type, b->format[0] != '\0' ? ", format " : "", b->format, when, age, start,
	              size, stored, b->complete ? "usable" : "NOT USABLE: ",
	              b->complete ? "" : (b->problem != NULL ? b->problem : "incomplete"),
	              b->stop_lsn != NULL ? "\nstop LSN: " : "", b->stop_lsn != NULL ? b->stop_lsn : "",
	              s->verify_result != NULL && row == 0 ? "" : "");
	util_buf_add(&out, head, strlen(head));
	free(head);
	if (row == 0 && s->verify_result != NULL) {
		char *v = xasprintf("\nchecked: %s", s->verify_result);
		util_buf_add(&out, v, strlen(v));
		free(v);
	}
	if (s->restore != NULL && s->restore[0] != NULL) {
		char risk[64];
		backups_risk_text(&s->risk, risk, sizeof(risk));
		char *r = xasprintf("\n\nrestore production (copy; sitrep never runs these)%s%s:",
		                    risk[0] != '\0' ? ", loses " : "", risk[0] != '\0' ? risk : "");
		util_buf_add(&out, r, strlen(r));
		free(r);
		for (size_t i = 0; s->restore[i] != NULL; i++) {
			util_buf_add(&out, "\n", 1);
			util_buf_add(&out, s->restore[i], strlen(s->restore[i]));
		}
	}
	return out.s;
}

static const char *pane_backups_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_CRIT;
	return "no backups";
}

static const struct list_ops pane_backups_list = {
    .count = pane_backups_count,
    .draw_row = pane_backups_draw_row,
    .row_key = pane_backups_row_key,
    .match = pane_backups_match,
    .detail = pane_backups_row_detail,
    .empty = pane_backups_empty,
};

static char *pane_backups_detail(struct pane *pane)
{
	return list_detail(pane_backups_view(pane)->list);
}

const struct pane_ops pane_backups = {
    .kind = "backups",
    .draw = pane_backups_draw,
    .key = pane_backups_key,
    .detail = pane_backups_detail,
    .free = list_view_free,
};
