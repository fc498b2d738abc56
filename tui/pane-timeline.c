/* pane-timeline: the incident timeline as a pane, newest first: local time,
 * level in its colour, pane, and what happened (for an action: who, the verb
 * and target, the result). Selection, paging, the `/` filter and Enter are the
 * list engine's (tui/list.c); a row is known by its time and subject. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/list.h"
#include "sitrep/pane.h"
#include "sitrep/source.h"
#include "sitrep/timeline.h"
#include "sitrep/util.h"
#include "sitrep/widgets.h"

static const struct list_ops pane_timeline_list;

static struct list *pane_timeline_view(struct pane *pane)
{
	if (pane->view == NULL)
		pane->view = list_new(pane, &pane_timeline_list, LIST_ALWAYS_SELECT);
	return pane->view;
}

static const struct timeline_data *pane_timeline_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
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
	if (strcmp(e->type, "action") == 0) {
		x += widgets_text_nopad(win, y, x, w - x, e->who, base);
		x += widgets_text_nopad(win, y, x, w - x, " ", base);
		x += widgets_text_nopad(win, y, x, w - x, e->subject, base);
		x += widgets_text_nopad(win, y, x, w - x, e->text[0] != '\0' ? ": " : "", base);
	}
	x += widgets_text_nopad(win, y, x, w - x, e->text, base);
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
	struct list *list = pane_timeline_view(pane);
	list_draw_with_status(list, win, 0, h, w);
}

static bool pane_timeline_key(struct pane *pane, int ch)
{
	return list_key(pane_timeline_view(pane), ch);
}

static char *pane_timeline_detail_selected(struct pane *pane)
{
	return list_detail(pane_timeline_view(pane));
}

static void pane_timeline_free(struct pane *pane)
{
	list_free(pane->view);
	pane->view = NULL;
}

const struct pane_ops pane_timeline = {
    .kind = "timeline",
    .draw = pane_timeline_draw,
    .key = pane_timeline_key,
    .detail = pane_timeline_detail_selected,
    .free = pane_timeline_free,
};
