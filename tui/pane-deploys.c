/* pane-deploys: the deploys snapshot, one release per row, newest first:
 * a mark on the current one, the id, its age, author, status and message
 * (or branch and commit). Bad releases are dimmed and say so. The last
 * action's outcome is the source's note, drawn by the frame.
 *
 * Selection, paging, the `/` filter and Enter are the list engine's; the
 * selection follows its release by id. The verbs (r restart, b rollback)
 * come from the kind's table: this pane only says what is selected (select
 * hook), the source prepares the exact effect and the one dialog asks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/deploys.h"
#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

struct pane_deploys_view {
	struct list *list; /* first: list_view_free frees the view */
	time_t now; /* wall clock of the draw in progress */
};

static const struct list_ops pane_deploys_list;

static struct pane_deploys_view *pane_deploys_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_deploys_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_deploys_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static const struct deploys_data *pane_deploys_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

static void pane_deploys_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	struct pane_deploys_view *v = pane->view;
	const struct deploy *p = &pane_deploys_data(pane)->deploys[row];
	enum role base = sel ? ROLE_SELECTION : p->bad ? ROLE_DIM : ROLE_NORMAL;
	char age[16] = "-";
	if (p->time > 0)
		util_age(v->now > p->time ? (uint64_t)(v->now - p->time) * 1000 : 0, age, sizeof(age));
	const char *mark = !p->current ? "  " : widgets_utf8() ? "\u25b6 " : "> ";
	int x = widgets_text_nopad(win, y, 0, w, mark, sel ? ROLE_SELECTION : ROLE_OK);
	int idw = w >= 70 ? 20 : w / 3;
	if (x < w)
		x += widgets_text(win, y, x, w - x < idw ? w - x : idw, p->id,
		                  sel          ? base
		                  : p->current ? ROLE_VALUE
		                               : base);
	char mid[64];
	snprintf(mid, sizeof(mid), " %5s %-12.12s ", age, p->author[0] != '\0' ? p->author : "-");
	if (x < w)
		x += widgets_text_nopad(win, y, x, w - x, mid, base);
	if (x < w && p->status[0] != '\0') {
		enum role sr = sel ? base : p->bad ? ROLE_WARN : ROLE_DIM;
		x += widgets_text_nopad(win, y, x, w - x, p->status, sr);
		x += widgets_text_nopad(win, y, x, w - x, " ", base);
	}
	if (x < w) {
		if (p->message[0] != '\0') {
			x += widgets_text_nopad(win, y, x, w - x, p->message, base);
		} else {
			x += widgets_text_nopad(win, y, x, w - x, p->branch, base);
			if (p->branch[0] != '\0' && p->revision[0] != '\0')
				x += widgets_text_nopad(win, y, x, w - x, " ", base);
			x += widgets_text_nopad(win, y, x, w - x, p->revision, sel ? base : ROLE_DIM);
		}
	}
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

static void pane_deploys_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_deploys_view *v = pane_deploys_view(pane);
	v->now = time(NULL);
	list_draw_with_status(v->list, win, 0, h, w);
}

static bool pane_deploys_key(struct pane *pane, int ch)
{
	struct pane_deploys_view *v = pane_deploys_view(pane);
	if (pane_deploys_data(pane) == NULL)
		return false;
	return list_key(v->list, ch);
}

static size_t pane_deploys_count(struct pane *pane)
{
	const struct deploys_data *d = pane_deploys_data(pane);
	return d != NULL ? d->n : 0;
}

static const char *pane_deploys_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	(void)buf, (void)cap;
	return pane_deploys_data(pane)->deploys[row].id;
}

static bool pane_deploys_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct deploy *p = &pane_deploys_data(pane)->deploys[row];
	return list_match(list, p->id) || list_match(list, p->author) || list_match(list, p->message) ||
	       list_match(list, p->status) || list_match(list, p->revision) || list_match(list, p->branch);
}

static char *pane_deploys_row_detail(struct pane *pane, size_t row)
{
	const struct deploy *p = &pane_deploys_data(pane)->deploys[row];
	char when[32] = "-";
	if (p->time > 0)
		util_rfc3339((time_t)p->time, when, sizeof(when));
	return xasprintf("%s%s\ntime: %s\nauthor: %s\nstatus: %s%s\nbranch: %s\nrevision: %s\nmessage: %s",
	                 p->id, p->current ? " (current)" : "", when, p->author[0] != '\0' ? p->author : "-",
	                 p->status[0] != '\0' ? p->status : "-", p->bad ? " (rollback will not pick it)" : "",
	                 p->branch[0] != '\0' ? p->branch : "-", p->revision[0] != '\0' ? p->revision : "-",
	                 p->message[0] != '\0' ? p->message : "-");
}

static const char *pane_deploys_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_DIM;
	return "no deploys found";
}

static const struct list_ops pane_deploys_list = {
    .count = pane_deploys_count,
    .draw_row = pane_deploys_draw_row,
    .row_key = pane_deploys_row_key,
    .match = pane_deploys_match,
    .detail = pane_deploys_row_detail,
    .empty = pane_deploys_empty,
};

/* Rollback goes to the selected release, or, with the current one
 * selected, to the one before it (the source picks it and says which).
 * Restart acts on the pane as a whole. */
static int pane_deploys_select(struct pane *pane, struct action *a, char *err, size_t cap)
{
	(void)err, (void)cap;
	if (a->verb != &kind_deploys_rollback)
		return 0;
	struct pane_deploys_view *v = pane_deploys_view(pane);
	const struct deploys_data *d = pane_deploys_data(pane);
	size_t row;
	free(a->target);
	if (d != NULL && list_selected_row(v->list, &row) && row < d->n && !d->deploys[row].current) {
		a->target = xstrdup(d->deploys[row].id);
		action_select(a, d->deploys[row].id);
	} else {
		a->target = xstrdup("");
	}
	return 0;
}

static char *pane_deploys_detail(struct pane *pane)
{
	return list_detail(pane_deploys_view(pane)->list);
}

const struct pane_ops pane_deploys = {
    .kind = "deploys",
    .draw = pane_deploys_draw,
    .key = pane_deploys_key,
    .select = pane_deploys_select,
    .detail = pane_deploys_detail,
    .free = list_view_free,
};
