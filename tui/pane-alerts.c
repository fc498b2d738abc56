/* pane-alerts: draws the alerts snapshot, one alert per row: severity,
 * name, age, summary and a few key labels; silenced and inhibited alerts are
 * dimmed. The selection follows the alert (by fingerprint) across refreshes.
 * `s` silences the selected alert after an in-pane confirmation that shows the
 * matchers and the duration; y confirms, any other key cancels. The action
 * itself goes through the gate in core/action.c, which refuses in read-only
 * mode; the pane says so before asking anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/action.h"
#include "sitrep/alerts.h"
#include "sitrep/app.h"
#include "sitrep/pane.h"
#include "sitrep/source.h"
#include "sitrep/util.h"
#include "sitrep/widgets.h"

/* Labels worth a glance on the row; the rest are behind Enter. */
static const char *const pane_alerts_key_labels[] = {"instance", "job",        "service", "namespace",
                                                     "pod",      "mountpoint", "device"};

struct pane_alerts_view {
	char *selected_fp; /* fingerprint of the selected alert */
	bool confirming;
	struct action *pending; /* the action waiting for y, owned until confirmed */
	char *message;          /* last outcome or refusal, cleared by the next key */
	enum role message_role;
};

static struct pane_alerts_view *pane_alerts_view(struct pane *pane)
{
	if (pane->view == NULL)
		pane->view = xcalloc(1, sizeof(struct pane_alerts_view));
	return pane->view;
}

static const struct alerts_data *pane_alerts_data(const struct pane *pane)
{
	return pane->src != NULL ? pane->src->snap.data : NULL;
}

static void pane_alerts_message(struct pane_alerts_view *v, enum role role, const char *text)
{
	free(v->message);
	v->message = text != NULL ? xstrdup(text) : NULL;
	v->message_role = role;
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

/* Keeps pane->selected on the same alert after a refresh reordered the list. */
static void pane_alerts_follow(struct pane *pane, struct pane_alerts_view *v, const struct alerts_data *d)
{
	if (d->nalerts == 0) {
		pane->selected = -1;
		return;
	}
	if (v->selected_fp != NULL) {
		for (size_t i = 0; i < d->nalerts; i++) {
			if (strcmp(d->alerts[i].fingerprint, v->selected_fp) == 0) {
				pane->selected = (int)i;
				return;
			}
		}
	}
	if (pane->selected < 0)
		pane->selected = 0;
	if (pane->selected >= (int)d->nalerts)
		pane->selected = (int)d->nalerts - 1;
}

static void pane_alerts_remember(struct pane *pane, struct pane_alerts_view *v, const struct alerts_data *d)
{
	free(v->selected_fp);
	v->selected_fp = NULL;
	if (pane->selected >= 0 && pane->selected < (int)d->nalerts)
		v->selected_fp = xstrdup(d->alerts[pane->selected].fingerprint);
}

static void pane_alerts_draw_confirm(struct pane_alerts_view *v, WINDOW *win, int h, int w)
{
	char *what = action_describe(v->pending);
	int y = 0;
	widgets_text(win, y++, 0, w, "Silence this alert?", ROLE_WARN);
	char *line = what;
	while (line != NULL && y < h - 1) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		widgets_text(win, y, 0, w, line, y == 1 ? ROLE_VALUE : ROLE_NORMAL);
		y++;
		line = nl != NULL ? nl + 1 : NULL;
	}
	free(what);
	if (y < h)
		widgets_text(win, y++, 0, w, "y: silence   any other key: cancel", ROLE_HELP);
	while (y < h)
		widgets_text(win, y++, 0, w, "", ROLE_NORMAL);
}

static void pane_alerts_draw(struct pane *pane, WINDOW *win, int h, int w)
{
	struct pane_alerts_view *v = pane_alerts_view(pane);
	const struct alerts_data *d = pane_alerts_data(pane);
	if (v->confirming && v->pending != NULL) {
		pane_alerts_draw_confirm(v, win, h, w);
		return;
	}
	int rows = h;
	const char *msg = v->message; /* the source's note is drawn by the frame */
	if (msg != NULL && rows > 1)
		rows--;
	pane_alerts_follow(pane, v, d);
	pane_clamp_scroll(pane, (int)d->nalerts, rows);
	time_t now = time(NULL);
	int name_w = w >= 60 ? 24 : w / 3;
	for (int y = 0; y < rows; y++) {
		size_t i = (size_t)(pane->scroll + y);
		if (i >= d->nalerts) {
			widgets_text(win, y, 0, w, y == 0 && d->nalerts == 0 ? "no alerts firing" : "",
			             y == 0 ? ROLE_OK : ROLE_NORMAL);
			continue;
		}
		const struct alert *a = &d->alerts[i];
		bool dim = a->silenced || a->inhibited;
		bool sel = (int)i == pane->selected && pane->focused;
		enum role base = sel ? ROLE_SELECTION : dim ? ROLE_DIM : ROLE_NORMAL;
		char age[16] = "-";
		if (a->since != 0)
			util_age(now > a->since ? (uint64_t)(now - a->since) * 1000 : 0, age, sizeof(age));
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
			continue;
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
	if (msg != NULL && rows < h)
		widgets_text(win, h - 1, 0, w, msg, v->message_role);
}

/* The outcome of a silence arrives later; the source outlives the pane, so
 * the message travels as the source's note (drawn by the frame). */
static void pane_alerts_done(struct action *a, enum action_result result, const char *msg, void *arg)
{
	struct source *src = arg;
	char *text = xasprintf("%s: %s", result == ACTION_OK ? "done" : "failed", msg);
	source_set_note(src, text);
	free(text);
}

static void pane_alerts_begin_silence(struct pane *pane, struct pane_alerts_view *v,
                                      const struct alerts_data *d)
{
	char why[200];
	struct app *app = pane->src->app;
	if (action_refused(app, why, sizeof(why))) {
		pane_alerts_message(v, ROLE_ERROR, why);
		/* The gate records the refusal too, so it is audited like any other. */
		if (pane->selected >= 0 && pane->selected < (int)d->nalerts) {
			struct action *a = action_new("silence", d->alerts[pane->selected].name);
			action_run(app, pane->src, a, NULL, NULL, why, sizeof(why));
		}
		return;
	}
	if (pane->selected < 0 || pane->selected >= (int)d->nalerts) {
		pane_alerts_message(v, ROLE_WARN, "no alert selected");
		return;
	}
	const struct alert *al = &d->alerts[pane->selected];
	struct action *a = action_new("silence", al->name);
	a->key = xstrdup(al->fingerprint);
	a->comment = xstrdup("silenced from the sitrep dashboard");
	/* The confirmation lists the labels that become the matchers. */
	for (size_t i = 0; i < al->nlabels; i++)
		action_add_param(a, al->labels[i].name, al->labels[i].value);
	a->duration_s = d->silence_seconds; /* the pane's "silence_duration" */
	action_free(v->pending);
	v->pending = a;
	v->confirming = true;
	pane->grab_keys = true; /* y or anything else must reach this pane */
}

static bool pane_alerts_key(struct pane *pane, int ch)
{
	struct pane_alerts_view *v = pane_alerts_view(pane);
	const struct alerts_data *d = pane_alerts_data(pane);
	if (v->confirming) {
		struct action *a = v->pending;
		v->pending = NULL;
		v->confirming = false;
		pane->grab_keys = false;
		if (ch == 'y' && a != NULL) {
			char msg[300];
			/* The raw labels are taken by the source from the fingerprint;
			 * the sanitized ones here only served the confirmation. */
			for (size_t i = 0; i < a->nparams; i++) {
				free(a->params[i].name);
				free(a->params[i].value);
			}
			a->nparams = 0;
			enum action_result r = action_run(pane->src->app, pane->src, a, pane_alerts_done,
			                                  pane->src, msg, sizeof(msg));
			pane_alerts_message(v, r == ACTION_PENDING ? ROLE_OK : ROLE_ERROR, msg);
		} else {
			action_free(a);
			pane_alerts_message(v, ROLE_DIM, "cancelled, nothing sent");
		}
		pane_mark_dirty(pane);
		return true;
	}
	if (v->message != NULL || pane->src->snap.note != NULL) {
		pane_alerts_message(v, ROLE_NORMAL, NULL);
		source_set_note(pane->src, NULL);
		pane_mark_dirty(pane);
	}
	if (d == NULL)
		return false;
	int n = (int)d->nalerts;
	int page = pane_body_rows(pane) > 1 ? pane_body_rows(pane) - 1 : 1;
	switch (ch) {
	case 's': pane_alerts_begin_silence(pane, v, d); break;
	case KEY_DOWN: pane->selected = pane->selected + 1 < n ? pane->selected + 1 : n - 1; break;
	case KEY_UP: pane->selected = pane->selected > 0 ? pane->selected - 1 : 0; break;
	case KEY_NPAGE: pane->selected = pane->selected + page < n ? pane->selected + page : n - 1; break;
	case KEY_PPAGE: pane->selected = pane->selected > page ? pane->selected - page : 0; break;
	case KEY_HOME: pane->selected = 0; break;
	case KEY_END: pane->selected = n - 1; break;
	default: return false;
	}
	pane_alerts_remember(pane, v, d);
	pane_mark_dirty(pane);
	return true;
}

static char *pane_alerts_detail(struct pane *pane)
{
	const struct alerts_data *d = pane_alerts_data(pane);
	if (d == NULL || pane->selected < 0 || pane->selected >= (int)d->nalerts)
		return NULL;
	const struct alert *a = &d->alerts[pane->selected];
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

static void pane_alerts_free(struct pane *pane)
{
	struct pane_alerts_view *v = pane->view;
	if (v == NULL)
		return;
	free(v->selected_fp);
	free(v->message);
	action_free(v->pending);
	free(v);
	pane->view = NULL;
}

const struct pane_ops pane_alerts = {
    .kind = "alerts",
    .draw = pane_alerts_draw,
    .key = pane_alerts_key,
    .detail = pane_alerts_detail,
    .free = pane_alerts_free,
};
