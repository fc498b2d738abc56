/* statusbar: the bottom row. From left to right: the time in UTC and local
 * time (incident notes need both), a READ-ONLY badge, one mark per pane
 * ("1:host ok 2s", the state in its colour, the age of the data), a passing
 * message or else the triage hint (a state file that cannot be written,
 * the latest deploy, then what is wrong now: "deploy r42 9m ago → errors: 3 new error groups since the deploy
 * · host: CPU crit 98 %"), and the help key at the right edge. When the marks do not fit they lose their
 * ages, then get clipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/source.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"
#include "tui-internal.h"

/* The marks at a level of detail (2: id and age, 1: id, 0: number and
 * state only); returns their total width. */
static int statusbar_marks(struct tui *tui, WINDOW *win, int x, int w, int detail, bool draw, uint64_t now_ms)
{
	int used = 0;
	for (int i = 0; i < tui->npanes; i++) {
		const struct pane *p = &tui->panes[i];
		const struct snapshot *snap = &p->src->snap;
		enum pane_state st = pane_state_now(p, now_ms);
		char name[96], state[32], age[16] = "";
		if (detail > 0)
			snprintf(name, sizeof(name), "%s%d:%s ", i > 0 ? "  " : " ", i + 1, p->src->cfg->id);
		else
			snprintf(name, sizeof(name), " %d:", i + 1);
		if (detail > 1 && snap->updated_ms != 0)
			util_age(now_ms > snap->updated_ms ? now_ms - snap->updated_ms : 0, age, sizeof(age));
		snprintf(state, sizeof(state), "%s%s%s", pane_state_label(p, st), age[0] ? " " : "", age);
		int nw = widgets_width(name), sw = widgets_width(state);
		if (draw && used < w) {
			attr_t na = widgets_status_attr(ROLE_STATUS);
			if (p->focused)
				na = widgets_status_attr(ROLE_TITLE) | A_BOLD;
			widgets_text_attr(win, 0, x + used, w - used, name, na);
			if (used + nw < w)
				widgets_text_attr(win, 0, x + used + nw, w - used - nw, state,
				                  widgets_status_attr(pane_state_role(st)));
		}
		used += nw + sw;
	}
	return used;
}

/* How long the latest warn/crit event stays in the hint. */
#define STATUSBAR_HINT_MS (10 * 60 * 1000)
/* How long a deploy leads the hint: the first suspect for what broke. */
#define STATUSBAR_DEPLOY_MS (6 * 60 * 60 * 1000)

/* Appends part to *out with the separator; frees part. */
static void statusbar_join(char **out, char *part, const char *sep)
{
	if (part == NULL)
		return;
	if (*out == NULL) {
		*out = part;
		return;
	}
	char *next = xasprintf("%s%s%s", *out, sep, part);
	free(*out);
	free(part);
	*out = next;
}

/* The lead of the triage hint: the latest deploy in view, "deploy r42 9m
 * ago", NULL when there was none in the last hours. */
static char *statusbar_deploy(const struct tui *tui, int64_t now_ms)
{
	const struct mark *m = marks_latest(marks_of(tui->app));
	if (m == NULL || m->time_ms > now_ms + 60000 || now_ms - m->time_ms > STATUSBAR_DEPLOY_MS)
		return NULL;
	char age[16];
	util_age(now_ms > m->time_ms ? (uint64_t)(now_ms - m->time_ms) : 0, age, sizeof(age));
	return xasprintf("deploy %s %s%s", m->id, age, strcmp(age, "now") == 0 ? "" : " ago");
}

/* What is wrong now, in one line: the latest warn or crit event of the last
 * minutes with its time ("errors: new error group ... since 22:15"), then
 * what every pane's kind says ("host: CPU crit 98 %", "cdn: 2 assets
 * stale"), joined by " · ". Caller frees; NULL when all is well. */
/* Causes before symptoms: what changed and broke comes first, what it did
 * to the host and the logs after. Kinds not listed come last. */
static const char *const statusbar_hint_order[] = {"deploys", "cdn",  "database", "checks",
                                                   "alerts",  "logs", "metrics"};

static int statusbar_hint_rank(const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(statusbar_hint_order); i++)
		if (strcmp(statusbar_hint_order[i], kind) == 0)
			return (int)i;
	return (int)ARRAY_LEN(statusbar_hint_order);
}

/* What is wrong now: every pane's kind hint, causes first; then the latest
 * warn or crit event of the last minutes when no pane hint says it already. */
static char *statusbar_hint(const struct tui *tui, int64_t now_ms, bool *cause)
{
	char *out = NULL;
	*cause = false;
	for (int rank = 0; rank <= (int)ARRAY_LEN(statusbar_hint_order); rank++) {
		for (int i = 0; i < tui->npanes; i++) {
			const struct snapshot *snap = &tui->panes[i].src->snap;
			if (snap->data == NULL || snap->kind == NULL || snap->kind->hint == NULL ||
			    statusbar_hint_rank(snap->kind->name) != rank)
				continue;
			char *h = snap->kind->hint(snap->data);
			if (h == NULL)
				continue;
			char *part = xasprintf("%s: %s", tui->panes[i].src->cfg->id, h);
			free(h);
			*cause = *cause || rank < statusbar_hint_rank("logs");
			statusbar_join(&out, part, " \u00b7 ");
		}
	}
	if (tui->hint[0] != '\0' && now_ms - tui->hint_ms < STATUSBAR_HINT_MS &&
	    (out == NULL || strstr(out, tui->hint) == NULL)) {
		struct tm tm;
		time_t t = (time_t)(tui->hint_ms / 1000);
		localtime_r(&t, &tm);
		char hm[8];
		strftime(hm, sizeof(hm), "%H:%M", &tm);
		statusbar_join(&out, xasprintf("%s since %s", tui->hint, hm), " \u00b7 ");
	}
	return out;
}

/* The marks folded into counts by state, the worst first, in their colours,
 * when a cause needs the room: " 9 ok", " 1 error 2 stale 6 ok". */
static int statusbar_summary(struct tui *tui, WINDOW *win, int x, int w, uint64_t now_ms)
{
	static const enum pane_state order[] = {PANE_ERROR, PANE_STALE, PANE_INIT, PANE_OK};
	int used = 0;
	for (size_t k = 0; k < ARRAY_LEN(order); k++) {
		int n = 0;
		for (int i = 0; i < tui->npanes; i++)
			n += pane_state_now(&tui->panes[i], now_ms) == order[k];
		if (n == 0 || used >= w)
			continue;
		char part[32];
		snprintf(part, sizeof(part), " %d %s", n, snapshot_state_name(order[k]));
		used += widgets_text_attr(win, 0, x + used, w - used, part,
		                          widgets_status_attr(pane_state_role(order[k])));
	}
	return used;
}

/* statusbar_hint, asked again when the second turned or an event changed
 * the hint; the status bar redraws at every publish and the kinds' hints
 * walk their data. Caller frees. */
static char *statusbar_hint_cached(struct tui *tui, int64_t now_ms, bool *cause)
{
	int64_t sec = now_ms / 1000;
	if (sec != tui->hint_cached_sec || tui->hint_gen != tui->hint_cached_gen) {
		free(tui->hint_cached);
		tui->hint_cached = statusbar_hint(tui, now_ms, &tui->hint_cached_cause);
		tui->hint_cached_sec = sec;
		tui->hint_cached_gen = tui->hint_gen;
	}
	*cause = tui->hint_cached_cause;
	return tui->hint_cached != NULL ? xstrdup(tui->hint_cached) : NULL;
}

void statusbar_draw(struct tui *tui, WINDOW *win, uint64_t now_ms)
{
	int w = getmaxx(win);
	attr_t base = widgets_status_attr(ROLE_STATUS);
	int x = 0;

	time_t t = time(NULL);
	struct tm utc, local;
	gmtime_r(&t, &utc);
	localtime_r(&t, &local);
	char clock[64], lt[32];
	strftime(clock, sizeof(clock), " %H:%M:%SZ", &utc);
	strftime(lt, sizeof(lt), " %H:%M:%S %Z ", &local);
	strncat(clock, lt, sizeof(clock) - strlen(clock) - 1);

	char helpkey[48], keys[32];
	keymap_keys_of(&tui->keymap, KEYMAP_HELP, keys, sizeof(keys));
	snprintf(helpkey, sizeof(helpkey), " %s help ", keys[0] ? keys : "?");
	int hw = widgets_width(helpkey);
	int left = w - hw > 0 ? w - hw : 0;

	x += widgets_text_attr(win, 0, x, left - x, clock, base);
	if (tui->note_editing) {
		/* `a`: the one-line input of a note takes the line */
		char *line =
		    xasprintf(" note: %s_   Enter: add to the timeline \u00b7 Esc: cancel", tui->note);
		if (x < left)
			x += widgets_text_attr(win, 0, x, left - x, line, widgets_status_attr(ROLE_WARN));
		free(line);
		if (x < left) {
			wattrset(win, base);
			mvwhline(win, 0, x, ' ', left - x);
			wattrset(win, A_NORMAL);
		}
		if (hw <= w)
			widgets_text_attr(win, 0, left, hw, helpkey, base);
		return;
	}
	if (tui->app->read_only && x < left) {
		x += widgets_text_attr(win, 0, x, left - x, " ", base);
		x += widgets_text_nopad(win, 0, x, left - x, " READ-ONLY ", ROLE_BADGE);
	}
	if (x < left)
		x += widgets_text_attr(win, 0, x, left - x, " ", base);

	/* A passing message, else the hint, matters more than the marks'
	 * detail: make room for it (the marks keep at least their numbers). */
	bool msg = tui->message[0] != '\0' && now_ms < tui->message_until;
	int64_t wall_ms = (int64_t)time(NULL) * 1000;
	char *deploy = msg ? NULL : statusbar_deploy(tui, wall_ms);
	bool cause = false;
	char *hint = msg ? NULL : statusbar_hint_cached(tui, wall_ms, &cause);
	/* State files that cannot be written (or read) lead, and stay until a
	 * write succeeds: events silently not saved would be worse than a slow
	 * pane. Not behind a deploy's arrow: the deploy did not cause it. */
	const char *state = msg ? NULL : timeline_state_error(tui->app->timeline, NULL);
	if (state != NULL) {
		char *joined = hint != NULL ? xasprintf("%s \u00b7 %s", state, hint) : xstrdup(state);
		free(hint);
		hint = joined;
		cause = true;
		free(deploy);
		deploy = NULL;
	}
	/* Symptoms alone (a metric's warning, the error rate) take what the marks
	 * leave; a cause (a deploy, a stale asset, a storm, a failing check, an
	 * alert) takes the room it needs. */
	int want = msg                       ? widgets_width(tui->message) + 2
	           : deploy != NULL || cause ? (deploy != NULL ? widgets_width(deploy) + 5 : 0) +
	                                           (hint != NULL ? widgets_width(hint) + 2 : 0)
	                                     : 0;
	int room = left - x - want;
	int detail = 2;
	while (detail > 0 && statusbar_marks(tui, win, x, left - x, detail, false, now_ms) > room)
		detail--;
	if (statusbar_marks(tui, win, x, left - x, 0, false, now_ms) > room && want > 0)
		x += statusbar_summary(tui, win, x, left - x, now_ms); /* "9 panes ok", "7 ok 2 stale" */
	else
		x += statusbar_marks(tui, win, x, left - x, detail, true, now_ms);
	if (x > left)
		x = left;

	if (msg && x < left) {
		x += widgets_text_attr(win, 0, x, left - x, "  ", base);
		if (x < left)
			x += widgets_text_attr(win, 0, x, left - x, tui->message,
			                       widgets_status_attr(ROLE_WARN));
	} else if (x + 4 < left) {
		/* No message: the hint says what changed and what is wrong now. */
		if (deploy != NULL || hint != NULL)
			x += widgets_text_attr(win, 0, x, left - x, "  ", base);
		if (deploy != NULL && x < left) {
			x += widgets_text_attr(win, 0, x, left - x, deploy,
			                       widgets_status_attr(ROLE_DEPLOY_MARKER));
			if (hint != NULL && x < left)
				x += widgets_text_attr(win, 0, x, left - x,
				                       widgets_utf8() ? " \u2192 " : " -> ", base);
		}
		if (hint != NULL && x < left)
			x += widgets_text_attr(win, 0, x, left - x, hint, widgets_status_attr(ROLE_CRIT));
	}
	free(deploy);
	free(hint);
	if (x < left) {
		wattrset(win, base);
		mvwhline(win, 0, x, ' ', left - x);
		wattrset(win, A_NORMAL);
	}
	if (hw <= w)
		widgets_text_attr(win, 0, left, hw, helpkey, base);
}
