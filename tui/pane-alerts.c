/* pane-alerts: draws the alerts snapshot, one alert per row: severity,
 * name, age, summary and a few key labels; silenced and inhibited alerts are
 * dimmed. Selection, paging, the `/` filter (on name, severity, summary,
 * state and label values) and Enter are the list engine's (tui/list.c); the
 * selection follows the alert by its fingerprint across refreshes.
 * The silence verb (`s`, from the alerts kind's table) is the TUI's: this
 * pane only says which alert is selected (its select hook), the source
 * prepares the exact request, and the one confirmation dialog (tui/confirm.c)
 * asks before the gate in core/action.c sends it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/kinds/alerts.h"
#include "sitrep/core/app.h"
#include "tui/list.h"
#include "tui/pane.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"

/* Labels worth a glance on the row; the rest are behind Enter. */
static const char *const pane_alerts_key_labels[] = {"instance", "job",        "service", "namespace",
                                                     "pod",      "mountpoint", "device"};

struct pane_alerts_view {
	struct list *list; /* first: list_view_free frees the view */
	time_t now; /* wall clock of the draw in progress, for the ages */
};

static const struct list_ops pane_alerts_list;

static struct pane_alerts_view *pane_alerts_view(struct pane *pane)
{
	if (pane->view == NULL) {
		struct pane_alerts_view *v = xcalloc(1, sizeof(*v));
		v->list = list_new(pane, &pane_alerts_list, LIST_ALWAYS_SELECT);
		pane->view = v;
	}
	return pane->view;
}

static const struct alerts_data *pane_alerts_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

static enum role pane_alerts_severity_role(const struct alert *a)
{
	switch (alerts_severity_rank(a->severity)) {
	case 0:
	case 1: return ROLE_CRIT;
	case 2: return ROLE_WARN;
	default: return ROLE_LABEL;
	}
}

/* The alert selected, NULL when none. */
static const struct alert *pane_alerts_selected(struct pane *pane, struct pane_alerts_view *v,
                                                const struct alerts_data *d)
{
	size_t row;
	if (d == NULL || !list_selected_row(v->list, &row) || row >= d->nalerts)
		return NULL;
	return &d->alerts[row];
}

static void pane_alerts_draw_row(struct pane *pane, WINDOW *win, int y, int w, size_t row, bool sel)
{
	struct pane_alerts_view *v = pane->view;
	const struct alert *a = &pane_alerts_data(pane)->alerts[row];
	int name_w = w >= 60 ? 24 : w / 3;
	bool dim = a->silenced || a->inhibited;
	enum role base = sel ? ROLE_SELECTION : dim ? ROLE_DIM : ROLE_NORMAL;
	char age[16] = "-";
	if (a->since != 0)
		util_age(v->now > a->since ? (uint64_t)(v->now - a->since) * 1000 : 0, age, sizeof(age));
	int x = 0;
	char sev[12];
	snprintf(sev, sizeof(sev), "%-8.8s ", a->severity[0] != '\0' ? a->severity : "-");
	x += widgets_text(win, y, x, w - x < 9 ? w - x : 9, sev,
	                  sel || dim ? base : pane_alerts_severity_role(a));
	if (x < w)
		x += widgets_text(win, y, x, w - x < name_w ? w - x : name_w, a->name, base);
	char mid[24];
	snprintf(mid, sizeof(mid), " %4s %s", age, a->silenced ? "S " : a->inhibited ? "I " : "  ");
	if (x < w)
		x += widgets_text(win, y, x, w - x < 8 ? w - x : 8, mid, base);
	if (x >= w)
		return;
	/* Summary, then the key labels that fit, drawn in pieces (no copy per
	 * row per frame), and the rest of the row blanked. */
	x += widgets_text_nopad(win, y, x, w - x, a->summary, base);
	for (size_t k = 0; k < ARRAY_LEN(pane_alerts_key_labels) && x < w; k++) {
		for (size_t l = 0; l < a->nlabels && x < w; l++) {
			if (strcmp(a->labels[l].name, pane_alerts_key_labels[k]) != 0)
				continue;
			x += widgets_text_nopad(win, y, x, w - x, "  ", base);
			x += widgets_text_nopad(win, y, x, w - x, a->labels[l].name, base);
			x += widgets_text_nopad(win, y, x, w - x, "=", base);
			x += widgets_text_nopad(win, y, x, w - x, a->labels[l].value, base);
		}
	}
	if (x < w)
		widgets_fill(win, y, x, w - x, base);
}

static void pane_alerts_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_alerts_view *v = pane_alerts_view(pane);
	/* Below the rows: the filter line (an action's outcome is the source's
	 * note, drawn by the frame). */
	v->now = time(NULL);
	list_draw_with_status(v->list, win, 0, h, w);
}

static bool pane_alerts_key(struct pane *pane, int ch)
{
	struct pane_alerts_view *v = pane_alerts_view(pane);
	/* any key clears the last action's outcome */
	if (pane->src->snap.note != NULL) {
		source_set_note(pane->src, NULL);
		pane_mark_dirty(pane);
	}
	if (pane_alerts_data(pane) == NULL)
		return false;
	return list_key(v->list, ch);
}

/* --- the list's callbacks: one row per alert, known by its fingerprint --- */

static size_t pane_alerts_count(struct pane *pane)
{
	const struct alerts_data *d = pane_alerts_data(pane);
	return d != NULL ? d->nalerts : 0;
}

static const char *pane_alerts_row_key(struct pane *pane, size_t row, char *buf, size_t cap)
{
	(void)buf, (void)cap;
	return pane_alerts_data(pane)->alerts[row].fingerprint;
}

/* The filter looks at what the row and the details show. */
static bool pane_alerts_match(struct pane *pane, size_t row, const struct list *list)
{
	const struct alert *a = &pane_alerts_data(pane)->alerts[row];
	if (list_match(list, a->name) || list_match(list, a->severity) || list_match(list, a->summary) ||
	    list_match(list, a->state))
		return true;
	for (size_t i = 0; i < a->nlabels; i++)
		if (list_match(list, a->labels[i].value))
			return true;
	return false;
}

static char *pane_alerts_row_detail(struct pane *pane, size_t row)
{
	const struct alert *a = &pane_alerts_data(pane)->alerts[row];
	char since[32] = "-";
	if (a->since != 0)
		util_rfc3339(a->since, since, sizeof(since));
	char *out =
	    xasprintf("%s\nseverity: %s\nstate: %s%s%s\nsince: %s\nsummary: %s\nlabels:", a->name,
	              a->severity[0] != '\0' ? a->severity : "-", a->state, a->silenced ? " (silenced)" : "",
	              a->inhibited ? " (inhibited)" : "", since, a->summary);
	for (size_t i = 0; i < a->nlabels; i++) {
		char *next = xasprintf("%s\n  %s=%s", out, a->labels[i].name, a->labels[i].value);
		free(out);
		out = next;
	}
	return out;
}

static const char *pane_alerts_empty(struct pane *pane, enum role *role)
{
	(void)pane;
	*role = ROLE_OK;
	return "no alerts firing";
}

static const struct list_ops pane_alerts_list = {
    .count = pane_alerts_count,
    .draw_row = pane_alerts_draw_row,
    .row_key = pane_alerts_row_key,
    .match = pane_alerts_match,
    .detail = pane_alerts_row_detail,
    .empty = pane_alerts_empty,
};

/* For the one confirmation dialog (tui/confirm.c): the selected alert, by
 * its fingerprint, from which the source takes the alert's exact labels. */
static int pane_alerts_select(struct pane *pane, struct action *a, char *err, size_t cap)
{
	struct pane_alerts_view *v = pane_alerts_view(pane);
	const struct alerts_data *d = pane_alerts_data(pane);
	const struct alert *al = pane_alerts_selected(pane, v, d);
	if (al == NULL) {
		snprintf(err, cap, "no alert selected");
		return -1;
	}
	free(a->target);
	a->target = xstrdup(al->name);
	free(a->key);
	a->key = xstrdup(al->fingerprint);
	/* The full identity: a server may send one fingerprint twice, so the
	 * labels as the row showed them go along (the source matches both). */
	action_select(a, al->fingerprint);
	for (size_t i = 0; i < al->nlabels; i++) {
		char *pair = xasprintf("%s=%s", al->labels[i].name, al->labels[i].value);
		action_select(a, pair);
		free(pair);
	}
	a->duration_s = d->silence_seconds;
	free(a->comment);
	a->comment = xstrdup("silenced from the sitrep dashboard");
	return 0;
}

static char *pane_alerts_detail(struct pane *pane)
{
	return list_detail(pane_alerts_view(pane)->list);
}

const struct pane_ops pane_alerts = {
    .kind = "alerts",
    .draw = pane_alerts_draw,
    .key = pane_alerts_key,
    .select = pane_alerts_select,
    .detail = pane_alerts_detail,
    .free = list_view_free,
};
