/* statusbar: the bottom row. From left to right: the time in UTC and local
 * time (incident notes need both), a READ-ONLY badge, one mark per pane
 * ("1:host crit 2s": its health in its colour, the age of the data, or
 * "stale"/"error"/"init"), a passing
 * message or else the triage hint (a state file that cannot be written,
 * the latest deploy, then what is wrong now: "deploy r42 9m ago → errors: 3 new error groups since the deploy
 * · host: CPU crit 98 %"), and the help key at the right edge. When the marks do not fit they lose their
 * ages, then get clipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/app.h"
#include "sitrep/core/health.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/marks.h"
#include "sitrep/core/observe.h"
#include "sitrep/core/share.h"
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
		struct pane_badge b;
		pane_badge(p, now_ms, &b);
		char name[96], state[48];
		if (detail > 0)
			snprintf(name, sizeof(name), "%s%d:%s ", i > 0 ? "  " : " ", i + 1, p->src->cfg->id);
		else
			snprintf(name, sizeof(name), " %d:", i + 1);
		/* the health leads ("crit"); the age only at full detail, and the
		 * word "stale"/"error"/"init" whenever there is no health to say */
		const char *fresh = b.age;
		if (b.state == PANE_OK)
			fresh = detail > 1 ? b.age : "";
		else if (detail < 2)
			fresh = b.state == PANE_STALE ? "stale" : b.state == PANE_ERROR ? "error" : b.age;
		snprintf(state, sizeof(state), "%s%s%s", b.health, b.health[0] && fresh[0] ? " " : "", fresh);
		int nw = widgets_width(name), hw = widgets_width(b.health), sw = widgets_width(state);
		if (draw && used < w) {
			attr_t na = widgets_status_attr(ROLE_STATUS);
			if (p->focused)
				na = widgets_status_attr(ROLE_TITLE) | A_BOLD;
			widgets_text_attr(win, 0, x + used, w - used, name, na);
			if (used + nw < w)
				widgets_text_attr(
				    win, 0, x + used + nw, w - used - nw, state,
				    widgets_status_attr(b.health[0] ? b.health_role : b.age_role));
			if (b.health[0] && sw > hw && used + nw + hw < w)
				widgets_text_attr(
				    win, 0, x + used + nw + hw, w - used - nw - hw, state + strlen(b.health),
				    widgets_status_attr(b.state == PANE_OK ? ROLE_STATUS : b.age_role));
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

/* Whether one of the " · "-joined parts of out starts with prefix. */
static bool statusbar_has_part(const char *out, const char *prefix)
{
	const char *sep = " \u00b7 ";
	for (const char *p = strstr(out, sep); p != NULL; p = strstr(p + 1, sep))
		if (strncmp(p + strlen(sep), prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* What is wrong now: every pane's kind hint, causes first (core/health.c,
 * the same list `--once --json` prints as "causes"); then the latest warn or
 * crit event of the last minutes when no pane hint says it already. */
static char *statusbar_hint(const struct tui *tui, int64_t now_ms, bool *cause)
{
	char *out = NULL;
	char **causes;
	size_t n;
	health_causes(tui->app->sources, tui->app->nsources, &causes, &n, cause);
	for (size_t i = 0; i < n; i++) {
		statusbar_join(&out, causes[i], " \u00b7 ");
		causes[i] = NULL;
	}
	health_causes_free(causes, n);
	/* a state event is left out when its pane has a cause in the list
	 * already ("hot: Memory crit 1.3%" says what "hot: Memory crit: 1.3%
	 * (crit at 1)" would); an occurrence (a new error group, a spike) is
	 * news the pane's cause does not say ("errors: 16 errors/min"), left
	 * out only when the list holds its very words */
	const char *colon = strstr(tui->hint, ": ");
	char *pane = colon != NULL ? xstrndup(tui->hint, (size_t)(colon - tui->hint) + 2) : NULL;
	bool said =
	    out != NULL && (strstr(out, tui->hint) != NULL ||
	                    (pane != NULL && !tui->hint_once &&
	                     (strncmp(out, pane, strlen(pane)) == 0 || statusbar_has_part(out, pane))));
	free(pane);
	if (tui->hint[0] != '\0' && now_ms - tui->hint_ms < STATUSBAR_HINT_MS && !said) {
		struct tm tm;
		time_t t = (time_t)(tui->hint_ms / 1000);
		localtime_r(&t, &tm);
		char hm[8];
		strftime(hm, sizeof(hm), "%H:%M", &tm);
		statusbar_join(&out, xasprintf("%s since %s", tui->hint, hm), " \u00b7 ");
	}
	return out;
}

/* The marks folded into counts, the worst first, in their colours, when a
 * cause needs the room: " 2 crit 1 warn 6 ok". "ok" counts the healthy
 * panes only (fresh data that shows nothing wrong); a pane is counted once,
 * by the worst of its health and its state. */
static int statusbar_summary(struct tui *tui, WINDOW *win, int x, int w, uint64_t now_ms)
{
	enum { S_ERROR, S_CRIT, S_WARN, S_STALE, S_INIT, S_OK, S_N };
	static const char *const words[S_N] = {"error", "crit", "warn", "stale", "init", "ok"};
	static const enum role roles[S_N] = {ROLE_ERROR, ROLE_CRIT, ROLE_WARN, ROLE_STALE, ROLE_DIM, ROLE_OK};
	int count[S_N] = {0};
	for (int i = 0; i < tui->npanes; i++) {
		struct pane_badge b;
		pane_badge(&tui->panes[i], now_ms, &b);
		int k = b.state == PANE_ERROR   ? S_ERROR
		        : b.level == LEVEL_CRIT ? S_CRIT
		        : b.level == LEVEL_WARN ? S_WARN
		        : b.state == PANE_STALE ? S_STALE
		        : b.state == PANE_INIT  ? S_INIT
		                                : S_OK;
		count[k]++;
	}
	int used = 0;
	for (int k = 0; k < S_N; k++) {
		if (count[k] == 0 || used >= w)
			continue;
		char part[32];
		snprintf(part, sizeof(part), " %d %s", count[k], words[k]);
		used += widgets_text_attr(win, 0, x + used, w - used, part, widgets_status_attr(roles[k]));
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

/* The hint cut to w columns: whole causes where it can (up to a " · "
 * that leaves at most a quarter of w empty, then "…"), else at a word
 * (widgets_cut).
 * Caller frees. */
static char *statusbar_cut_causes(const char *line, int w)
{
	if (widgets_width(line) <= w)
		return xstrdup(line);
	const char *sep = " \u00b7 ";
	size_t best = 0;
	for (const char *p = strstr(line, sep); p != NULL; p = strstr(p + 1, sep)) {
		char *head = xstrndup(line, (size_t)(p - line));
		int hw = widgets_width(head);
		free(head);
		if (hw + 2 > w)
			break;
		best = (size_t)(p - line);
	}
	if (best > 0) {
		char *head = xstrndup(line, best);
		/* whole causes unless that leaves more than a quarter empty */
		if ((widgets_width(head) + 2) * 4 >= w * 3) {
			char *out = xasprintf("%s %s", head, widgets_utf8() ? "\u2026" : "...");
			free(head);
			return out;
		}
		free(head);
	}
	return widgets_cut(line, w);
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
	/* below 100 columns, or when local time is UTC, UTC alone: the room
	 * goes to the hint and the message */
	if (w >= 100 && local.tm_gmtoff != 0)
		strncat(clock, lt, sizeof(clock) - strlen(clock) - 1);
	else
		strncat(clock, " ", sizeof(clock) - strlen(clock) - 1);

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
	/* the share stream: "shared · 3 watching", or an observer's WATCHING / REPLAY */
	char badge[600] = "";
	if (tui->app->observe != NULL)
		observe_badge(tui->app->observe, badge, sizeof(badge));
	else if (share_socket_path(tui->app->share) != NULL)
		snprintf(badge, sizeof(badge), "shared \u00b7 %d watching", share_watching(tui->app->share));
	if (badge[0] != '\0' && x < left) {
		x += widgets_text_attr(win, 0, x, left - x, " ", base);
		x += widgets_text_nopad(win, 0, x, left - x, badge, ROLE_BADGE);
	}
	if (tui->app->read_only && tui->app->observe == NULL && x < left) {
		x += widgets_text_attr(win, 0, x, left - x, " ", base);
		x += widgets_text_nopad(win, 0, x, left - x, " READ-ONLY ", ROLE_BADGE);
	}
	if (x < left)
		x += widgets_text_attr(win, 0, x, left - x, " ", base);

	/* The hint (what changed, what is wrong now) and a message (an action's
	 * progress or outcome, or a passing word) share the line: the hint keeps
	 * its place on the left, the message sits at the right end, and both
	 * matter more than the marks' detail (the marks keep their numbers). */
	char msgbuf[320] = "";
	enum role msg_role = ROLE_WARN;
	/* A passing message is the user's newest word ("still in flight: press
	 * q again"): it shows over a running action's progress for its few
	 * seconds (an action's start and end clear it, tui.c). */
	if (tui->message[0] != '\0' && now_ms < tui->message_until) {
		snprintf(msgbuf, sizeof(msgbuf), "%s", tui->message);
	} else if (tui->act_msg[0] != '\0') {
		char took[16] = "";
		if (tui->act_started != 0)
			util_age(now_ms > tui->act_started ? now_ms - tui->act_started : 0, took,
			         sizeof(took));
		snprintf(msgbuf, sizeof(msgbuf), "%s%s%s", tui->act_msg, took[0] ? " " : "", took);
		msg_role = tui->act_role;
	}
	bool msg = msgbuf[0] != '\0';
	int64_t wall_ms = (int64_t)time(NULL) * 1000;
	char *deploy = statusbar_deploy(tui, wall_ms);
	bool cause = false;
	char *hint = statusbar_hint_cached(tui, wall_ms, &cause);
	/* State files that cannot be written (or read) lead, and stay until a
	 * write succeeds: events silently not saved would be worse than a slow
	 * pane. Not behind a deploy's arrow: the deploy did not cause it. */
	const char *state = timeline_state_error(tui->app->timeline, NULL);
	if (state != NULL) {
		char *joined = hint != NULL ? xasprintf("%s \u00b7 %s", state, hint) : xstrdup(state);
		free(hint);
		hint = joined;
		cause = true;
		free(deploy);
		deploy = NULL;
	}
	/* the hint as one text: "deploy r3 8s ago → cdn: ... · db: ..." */
	char *line = NULL;
	if (deploy != NULL || hint != NULL)
		line = xasprintf("%s%s%s", deploy != NULL ? deploy : "",
		                 deploy != NULL && hint != NULL ? (widgets_utf8() ? " \u2192 " : " -> ") : "",
		                 hint != NULL ? hint : "");
	/* Symptoms alone (a metric's warning, the error rate) take what the marks
	 * leave; a cause (a deploy, a stale asset, a storm, a failing check, an
	 * alert) takes the room it needs. */
	int msg_w = msg ? widgets_width(msgbuf) + 2 : 0;
	int want = msg_w + (line != NULL && (deploy != NULL || cause) ? widgets_width(line) + 2 : 0);
	int room = left - x - want;
	int detail = 2;
	while (detail > 0 && statusbar_marks(tui, win, x, left - x, detail, false, now_ms) > room)
		detail--;
	if (statusbar_marks(tui, win, x, left - x, 0, false, now_ms) > room && want > 0)
		x += statusbar_summary(tui, win, x, left - x, now_ms); /* "2 crit 7 ok" */
	else
		x += statusbar_marks(tui, win, x, left - x, detail, true, now_ms);
	if (x > left)
		x = left;

	/* the message (short-lived, the answer to what the user just pressed)
	 * takes what it needs beside symptoms; beside a cause it takes up to
	 * two thirds of what is left, the cause the rest */
	int avail = left - x;
	int mw = msg ? msg_w : 0;
	bool is_cause = deploy != NULL || cause;
	if (line != NULL && is_cause && mw > avail * 2 / 3 && widgets_width(line) + 2 > avail - mw)
		mw = avail * 2 / 3;
	if (line != NULL && avail - mw > 4) {
		int lw = avail - mw;
		char *cut = statusbar_cut_causes(line, lw - 2);
		x += widgets_text_attr(win, 0, x, left - x, "  ", base);
		int dw = 0;
		if (deploy != NULL) {
			/* the deploy in its marker colour, the rest in crit */
			size_t dl = strlen(deploy);
			char *d = xstrndup(cut, strlen(cut) < dl ? strlen(cut) : dl);
			dw = widgets_text_attr(win, 0, x, left - x, d,
			                       widgets_status_attr(ROLE_DEPLOY_MARKER));
			free(d);
			if (strlen(cut) > dl)
				dw += widgets_text_attr(win, 0, x + dw, left - x - dw, cut + dl,
				                        widgets_status_attr(ROLE_CRIT));
		} else {
			dw = widgets_text_attr(win, 0, x, left - x, cut, widgets_status_attr(ROLE_CRIT));
		}
		x += dw;
		free(cut);
	}
	if (msg && left - x > 2) {
		char *cut = widgets_cut(msgbuf, left - x - 2);
		int cw = widgets_width(cut);
		int at = left - cw - 1 > x + 1 ? left - cw - 1 : x + 1;
		if (at > x) {
			wattrset(win, base);
			mvwhline(win, 0, x, ' ', at - x);
			wattrset(win, A_NORMAL);
		}
		x = at + widgets_text_attr(win, 0, at, left - at, cut, widgets_status_attr(msg_role));
		free(cut);
	}
	free(line);
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
