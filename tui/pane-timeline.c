/* pane-timeline: the incident timeline as a pane, newest first: local time,
 * level in its colour, pane, and what happened (for an action: who, the verb
 * and target, the result). Selection, paging, the `/` filter and Enter are the
 * list engine's (tui/list.c); a row is known by its time and subject.
 *
 * The pane follows the incident: while the selection is on the newest row
 * (the start), new entries come into view and the selection stays on the
 * newest. Once the user moves away to read, the rows stay put and a line
 * says "N new ↑" until they come back to the top (Home, or Up to it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

static const struct list_ops pane_timeline_list;

/* The pane's view (list_view_free frees it: the list comes first). */
struct pane_timeline_view {
	struct list *list;
	bool away;         /* the user moved off the newest row: do not follow */
	size_t unseen;     /* entries that arrived while away */
	uint64_t last_seq; /* the newest arrival counted */
};

static struct pane_timeline_view *pane_timeline_state(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_timeline_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_timeline_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static struct list *pane_timeline_view(struct pane *pane)
{
	return pane_timeline_state(pane)->list;
}

static const struct timeline_data *pane_timeline_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

/* Counts what arrived since the last look: following, the newest row is
 * selected and in view; away, the count grows for the "N new" line. */
static void pane_timeline_catch_up(struct pane *pane)
{
	struct pane_timeline_view *v = pane_timeline_state(pane);
	const struct timeline_data *d = pane_timeline_data(pane);
	uint64_t newest = v->last_seq;
	size_t fresh = 0;
	for (size_t i = 0; d != NULL && i < d->n; i++) {
		if (d->entries[i].seq > v->last_seq)
			fresh++;
		if (d->entries[i].seq > newest)
			newest = d->entries[i].seq;
	}
	bool first = v->last_seq == 0;
	v->last_seq = newest;
	if (v->away) {
		/* the rows stay put: the view moves with the selected row as
		 * newer rows push it down */
		int before = pane->selected;
		list_count(v->list);
		if (before >= 0 && pane->selected > before)
			pane->scroll += pane->selected - before;
		if (!first)
			v->unseen += fresh;
		return;
	}
	v->unseen = 0;
	if (list_count(v->list) > 0 && pane->selected != 0) {
		list_key(v->list, KEY_HOME);
		pane->scroll = 0;
	}
}

static size_t pane_timeline_count(struct pane *pane)
{
	const struct timeline_data *d = pane_timeline_data(pane);
	return d != NULL ? d->n : 0;
}

static enum role pane_timeline_role(const struct timeline_entry *e)
{
	if (strcmp(e->level, "crit") == 0 || strcmp(e->level, "failed") == 0)
		return ROLE_CRIT;
	if (strcmp(e->level, "warn") == 0 || strcmp(e->level, "unknown") == 0 ||
	    strcmp(e->level, "unverified") == 0 || strcmp(e->level, "refused") == 0)
		return ROLE_WARN;
	if (strcmp(e->level, "ok") == 0)
		return ROLE_OK;
	return ROLE_LABEL;
}

static void pane_timeline_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool selected)
{
	const struct timeline_entry *e = &pane_timeline_data(pane)->entries[row];
	enum role base = selected ? ROLE_SELECTION : ROLE_NORMAL;
	char when[16];
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S ", &tm);
	int x = widgets_text(win, y, 0, w < 9 ? w : 9, when, selected ? base : ROLE_DIM);
	char level[12];
	snprintf(level, sizeof(level), "%-7.7s ", e->level);
	if (x < w)
		x += widgets_text(win, y, x, w - x < 8 ? w - x : 8, level,
		                  selected ? base : pane_timeline_role(e));
	char where[16];
	snprintf(where, sizeof(where), "%-10.10s ", e->pane);
	if (x < w)
		x += widgets_text(win, y, x, w - x < 11 ? w - x : 11, where, selected ? base : ROLE_LABEL);
	if (x >= w)
		return;
	/* the sentence in one piece, cut at a word with "…" when it does not
	 * fit (a row cut mid-word reads as something else) */
	char *line;
	if (strcmp(e->type, "action") == 0)
		line = xasprintf("%s %s%s%s", e->who, e->subject, e->text[0] != '\0' ? ": " : "", e->text);
	else if (strcmp(e->type, "note") == 0) /* a note is someone's word: who said it leads */
		line = xasprintf("note by %s: %s", e->who, e->text);
	else
		line = xstrdup(e->text);
	char *cut = widgets_cut(line, w - x);
	x += widgets_text_nopad(win, y, x, w - x, cut, base);
	free(cut);
	free(line);
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

static const char *pane_timeline_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	const struct timeline_entry *e = &pane_timeline_data(pane)->entries[row];
	snprintf(buf, cap, "%lld %s %s", (long long)e->time_ms, e->type, e->subject);
	return buf;
}

static bool pane_timeline_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct timeline_entry *e = &pane_timeline_data(pane)->entries[row];
	return list_match(list, e->text) || list_match(list, e->subject) || list_match(list, e->pane) ||
	       list_match(list, e->type) || list_match(list, e->who) || list_match(list, e->level);
}

static char *pane_timeline_detail(struct pane *pane, size_t row)
{
	const struct timeline_entry *e = &pane_timeline_data(pane)->entries[row];
	char when[32];
	util_rfc3339((time_t)(e->time_ms / 1000), when, sizeof(when));
	return xasprintf("%s\n\ntime: %s\ntype: %s\nlevel: %s\npane: %s\nwho: %s\nsubject: %s", e->text, when,
	                 e->type, e->level, e->pane[0] != '\0' ? e->pane : "-", e->who, e->subject);
}

static const char *pane_timeline_empty(struct pane *pane, enum role *role)
{
	*role = ROLE_DIM;
	/* the history could not be read (the warning in the frame says why):
	 * "nothing recorded" would be a claim about the files */
	if (pane->src != NULL && pane->src->snap.warning != NULL) {
		*role = ROLE_WARN;
		return "nothing to show: the state files could not be used (the warning above says why)";
	}
	return "nothing recorded yet: crossings, new errors, alerts, deploys and actions appear here";
}

static const struct list_ops pane_timeline_list = {
    .count = pane_timeline_count,
    .draw_row = pane_timeline_draw_row,
    .row_key = pane_timeline_row_key,
    .match = pane_timeline_match,
    .detail = pane_timeline_detail,
    .empty = pane_timeline_empty,
};

static void pane_timeline_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_timeline_view *v = pane_timeline_state(pane);
	pane_timeline_catch_up(pane);
	int y = 0;
	if (v->away && v->unseen > 0 && h > 1) {
		char line[96];
		snprintf(line, sizeof(line), "%zu new ↑  (Home: back to the newest)", v->unseen);
		widgets_text(win, y++, 0, w, line, ROLE_WARN);
	}
	list_draw_with_status(v->list, win, y, h - y, w);
}

static bool pane_timeline_key(struct pane *pane, int ch)
{
	struct pane_timeline_view *v = pane_timeline_state(pane);
	pane_timeline_catch_up(pane);
	bool used = list_key(v->list, ch);
	/* on the newest row (Home, Up to it, a new filter): following again */
	v->away = pane->selected > 0;
	if (!v->away)
		v->unseen = 0;
	return used;
}

static char *pane_timeline_detail_selected(struct pane *pane)
{
	return list_detail(pane_timeline_view(pane));
}

const struct timeline_entry *pane_timeline_selected(struct pane *pane)
{
	size_t row;
	const struct timeline_data *d = pane_timeline_data(pane);
	if (pane->ops != &pane_timeline || d == NULL || !list_selected_row(pane_timeline_view(pane), &row) ||
	    row >= d->n)
		return NULL;
	return &d->entries[row];
}

static void pane_timeline_free(struct pane *pane)
{
	list_view_free(pane);
}

const struct pane_ops pane_timeline = {
    .kind = "timeline",
    .draw = pane_timeline_draw,
    .key = pane_timeline_key,
    .detail = pane_timeline_detail_selected,
    .free = pane_timeline_free,
};
