/* tui: the dashboard on the app's libuv loop. Handles, all owned by struct
 * tui and closed by tui_stop (the struct is freed by the last close callback):
 *  - a uv_poll_t on stdin: each wake-up drains getch() until ERR;
 *  - a uv_signal_t for SIGWINCH, coalesced by a short timer, then the new size
 *    from the tty, resizeterm, relayout and one full redraw;
 *  - a uv_prepare_t, the one place that draws: once per loop pass it redraws
 *    the dirty panes (wnoutrefresh) and calls doupdate once, and does nothing
 *    when nothing changed;
 *  - a 1 s timer on the wall-clock second for the status bar clock, which
 *    also flags frames whose age text changed.
 * Callbacks elsewhere (sources, keys) only set dirty flags. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/config.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/observe.h"
#include "sitrep/core/source.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/timeline.h"
#include "tui/tui.h"
#include "sitrep/core/util.h"
#include "tui/widgets.h"
#include "tui-internal.h"

#define TUI_RESIZE_DELAY_MS 30
#define TUI_MESSAGE_MS      8000
#define TUI_OUTCOME_MS      6000 /* an action's outcome stays this long on the status line */
#define TUI_KEY_ESC         27

static void tui_vmessage(struct tui *tui, uint64_t ms, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void tui_vmessage(struct tui *tui, uint64_t ms, const char *fmt, va_list ap)
{
	vsnprintf(tui->message, sizeof(tui->message), fmt, ap);
	tui->message_until = uv_now(tui->loop) + ms;
	/* The newest word wins: a finished action's outcome gives way to what
	 * the user just did ("purge cancelled"); a running action's progress
	 * keeps the line. */
	if (tui->act_started == 0)
		tui->act_msg[0] = '\0';
	tui->status_dirty = true;
}

void tui_message(struct tui *tui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tui_vmessage(tui, TUI_MESSAGE_MS, fmt, ap);
	va_end(ap);
}

static void tui_message_long(struct tui *tui, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tui_message_long(struct tui *tui, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tui_vmessage(tui, 60000, fmt, ap);
	va_end(ap);
}

/* --- layout ------------------------------------------------------------ */

static void tui_drop_windows(struct tui *tui)
{
	for (int i = 0; i < tui->npanes; i++) {
		struct pane *p = &tui->panes[i];
		struct layout_rect none = {0, 0, 0, 0};
		pane_place(p, &none);
		tui->rects[i] = none;
	}
	if (tui->status != NULL)
		delwin(tui->status);
	tui->status = NULL;
	if (tui->dialog != NULL)
		dialog_forget_window(tui->dialog);
}

/* Recomputes rectangles; panes whose rectangle changed get new windows.
 * force re-places everything (after a resize). */
static void tui_relayout(struct tui *tui, bool force)
{
	struct layout_rect status;
	struct layout_rect *nr = xcalloc((size_t)tui->npanes + 1, sizeof(*nr));
	tui->mode = layout_compute(COLS, LINES, tui->npanes, tui->zoom, tui->focus, nr, &status);
	for (int i = 0; i < tui->npanes; i++) {
		struct pane *p = &tui->panes[i];
		if (force || memcmp(&nr[i], &tui->rects[i], sizeof(nr[i])) != 0) {
			pane_place(p, &nr[i]);
			tui->rects[i] = nr[i];
		}
		p->src->visible = nr[i].h > 0;
	}
	free(nr);
	if (force || tui->status == NULL || getbegy(tui->status) != status.y ||
	    getmaxx(tui->status) != status.w) {
		if (tui->status != NULL)
			delwin(tui->status);
		tui->status = NULL;
		if (status.h > 0) {
			tui->status = newwin(1, status.w, status.y, status.x);
			if (tui->status != NULL)
				leaveok(tui->status, TRUE);
		}
	}
	tui->status_dirty = true;
	if (tui->dialog != NULL)
		tui->dialog->dirty = true;
}

static void tui_mark_all(struct tui *tui)
{
	for (int i = 0; i < tui->npanes; i++)
		tui->panes[i].dirty = true;
	tui->status_dirty = true;
}

/* --- drawing ------------------------------------------------------------ */

/* A message centred on an otherwise blank screen (too small, no panes),
 * wrapped when the screen is narrower than the message. */
static void tui_draw_message_screen(struct tui *tui, const char *text)
{
	werase(stdscr);
	int rows = 0;
	for (const char *p = text; p != NULL; rows++) {
		size_t len;
		p = widgets_wrap(p, COLS, &len);
	}
	int y = (LINES - rows) / 2;
	for (const char *p = text; p != NULL && y < LINES; y++) {
		size_t len;
		const char *next = widgets_wrap(p, COLS, &len);
		char *line = xstrndup(p, len);
		int x = (COLS - widgets_width(line)) / 2;
		widgets_text_nopad(stdscr, y < 0 ? 0 : y, x < 0 ? 0 : x, COLS, line, ROLE_WARN);
		free(line);
		p = next;
	}
	wnoutrefresh(stdscr);
}

static void tui_on_prepare(uv_prepare_t *h)
{
	struct tui *tui = h->data;
	if (tui->stopping)
		return;
	uint64_t now = uv_now(tui->loop);
	bool drew = false;
	bool panes_shown = tui->mode != LAYOUT_TOO_SMALL && tui->mode != LAYOUT_EMPTY;

	if (tui->full_redraw) {
		tui->full_redraw = false;
		/* The terminal may hold anything after a resize: repaint it all. */
		clearok(curscr, TRUE);
		if (tui->mode == LAYOUT_TOO_SMALL) {
			char msg[96];
			snprintf(msg, sizeof(msg), "terminal too small: %dx%d, need at least %dx%d", COLS,
			         LINES, LAYOUT_MIN_W, LAYOUT_MIN_H);
			tui_draw_message_screen(tui, msg);
		} else if (tui->mode == LAYOUT_EMPTY) {
			tui_draw_message_screen(tui, "no panes configured (sitrep --example-config)");
		}
		tui_mark_all(tui);
		drew = true;
	}
	if (panes_shown) {
		for (int i = 0; i < tui->npanes; i++) {
			struct pane *p = &tui->panes[i];
			if (p->frame == NULL)
				continue;
			if (p->dirty) {
				pane_draw(p, now, false);
				drew = true;
			} else if (p->frame_dirty) {
				pane_draw(p, now, true);
				drew = true;
			}
		}
	}
	if (tui->status_dirty && tui->status != NULL) {
		statusbar_draw(tui, tui->status, now);
		wnoutrefresh(tui->status);
		drew = true;
	}
	tui->status_dirty = false;
	if (tui->dialog != NULL && panes_shown && (tui->dialog->dirty || drew)) {
		if (confirm_active(tui))
			confirm_draw(tui, drew);
		else
			dialog_draw(tui->dialog, drew);
		drew = true;
	}
	if (drew)
		doupdate();
}

/* --- focus, overlays, keys ---------------------------------------------- */

static void tui_set_focus(struct tui *tui, int i)
{
	if (i >= tui->npanes)
		return;
	if (tui->focus >= 0) {
		tui->panes[tui->focus].focused = false;
		tui->panes[tui->focus].dirty = true;
	}
	tui->focus = i;
	if (i >= 0) {
		tui->panes[i].focused = true;
		tui->panes[i].dirty = true;
		if (tui->zoom >= 0)
			tui->zoom = i;
	} else {
		tui->zoom = -1;
	}
	tui->status_dirty = true;
	tui_relayout(tui, false);
}

static void tui_open_dialog(struct tui *tui, const char *title, char *text, bool help)
{
	dialog_close(tui->dialog);
	if (tui->dialog_is_progress)
		progress_closed(tui);
	tui->dialog = dialog_open(title, text);
	tui->dialog_is_help = help;
	tui->dialog_is_timeline = false;
}

static void tui_close_dialog(struct tui *tui)
{
	dialog_close(tui->dialog);
	tui->dialog = NULL;
	tui->dialog_is_timeline = false;
	if (tui->dialog_is_progress)
		progress_closed(tui);
	/* What was under the popup comes back with the next frame. */
	tui_mark_all(tui);
}

static void tui_detail(struct tui *tui, struct pane *p)
{
	char *text = p->ops->detail != NULL ? p->ops->detail(p) : NULL;
	if (text == NULL)
		text = pane_summary(p, uv_now(tui->loop));
	tui_open_dialog(tui, pane_title(p), text, false);
}

static int tui_find_kind(const struct tui *tui, const char *kind)
{
	for (int i = 0; i < tui->npanes; i++)
		if (strcmp(tui->panes[i].src->cfg->kind, kind) == 0)
			return i;
	return -1;
}

/* One entry, short enough for the view: local time, level, pane, what. */
static char *tui_timeline_line(const struct timeline_entry *e)
{
	char when[16];
	time_t t = (time_t)(e->time_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (strcmp(e->type, "action") == 0)
		return xasprintf("%s %-7s %-10s %s %s: %s%s%s", when, e->level, e->pane, e->who, e->subject,
		                 e->level, e->text[0] != '\0' ? " - " : "", e->text);
	if (strcmp(e->type, "note") == 0)
		return xasprintf("%s %-7s %-10s note by %s: %s", when, e->level, e->pane, e->who, e->text);
	return xasprintf("%s %-7s %-10s %s", when, e->level, e->pane, e->text);
}

/* The timeline's text for the view: newest first, one entry a line. */
static char *tui_timeline_text(const struct tui *tui)
{
	const struct timeline *tl = tui->app->timeline;
	size_t n = timeline_count(tl);
	if (n == 0)
		return xstrdup(
		    "Nothing recorded yet: threshold crossings, new error groups, alerts, deploys and every "
		    "action will appear here.");
	char *out = xstrdup("");
	for (size_t i = n; i-- > 0;) {
		char *line = tui_timeline_line(timeline_entry(tl, i));
		char *next = xasprintf("%s%s%s", out, out[0] != '\0' ? "\n" : "", line);
		free(line);
		free(out);
		out = next;
	}
	return out;
}

static void tui_open_timeline(struct tui *tui)
{
	tui_open_dialog(tui, "Incident timeline (newest first; e exports Markdown)", tui_timeline_text(tui),
	                false);
	tui->dialog_is_timeline = true;
	tui->timeline_drawn_gen = timeline_generation(tui->app->timeline);
}

/* `t`: a configured timeline pane takes the focus and the whole screen (a
 * focus alone is easy to miss); otherwise the timeline opens over the panes
 * and follows new events until closed. Esc or z gives the panes back. */
static void tui_focus_timeline(struct tui *tui)
{
	int t = tui_find_kind(tui, "timeline");
	if (t < 0) {
		tui_open_timeline(tui);
		return;
	}
	tui_set_focus(tui, t);
	tui->zoom = t;
	tui_relayout(tui, false);
	tui_mark_all(tui);
}

/* `e`: the timeline as Markdown in the state dir, named by the time; a new
 * 0600 file opened by the state dir's rules (timeline_export). */
static void tui_export_timeline(struct tui *tui)
{
	char *path = NULL;
	char msg[STATEFILE_MSG_MAX];
	int rc = tui->app->observe != NULL ? observe_export(tui->app->observe, &path, msg, sizeof(msg))
	                                   : timeline_export(tui->app->timeline, &path, msg, sizeof(msg));
	if (rc == 0)
		tui_message(tui, "timeline exported to %s", path);
	else
		tui_message(tui, "timeline not exported: %s", msg);
	free(path);
}

/* `a`: a note for the timeline, typed on the status line. Read-only refuses
 * it at once, through the gate (recorded), as every change. */
static void tui_annotate(struct tui *tui)
{
	if (tui->app->observe != NULL) {
		tui_message(tui, "observer: actions belong to the driver (notes too)");
		return;
	}
	if (tui->app->read_only) {
		char msg[300];
		timeline_note(tui->app->timeline, "", msg, sizeof(msg));
		tui_message(tui, "%s", msg);
		return;
	}
	tui->note_editing = true;
	tui->note_len = 0;
	tui->note[0] = '\0';
	tui->status_dirty = true;
}

/* Every key while a note is typed: Enter adds it, Esc drops it. */
static void tui_note_key(struct tui *tui, int ch)
{
	tui->status_dirty = true;
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		tui->note_editing = false;
		char msg[300];
		int rc = timeline_note(tui->app->timeline, tui->note, msg, sizeof(msg));
		if (rc == 0)
			tui_message(tui, "note added to the timeline");
		else
			tui_message(tui, "%s", msg);
		tui_mark_all(tui);
	} else if (ch == TUI_KEY_ESC) {
		tui->note_editing = false;
		tui_message(tui, "note dropped, nothing was added");
	} else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
		/* a whole UTF-8 character */
		while (tui->note_len > 0 && ((unsigned char)tui->note[--tui->note_len] & 0xC0) == 0x80)
			;
		tui->note[tui->note_len] = '\0';
	} else if (ch >= 0x20 && ch < 0x100 && ch != 0x7f && tui->note_len + 1 < sizeof(tui->note) &&
	           tui->note_len < TIMELINE_NOTE_MAX) {
		tui->note[tui->note_len++] = (char)ch;
		tui->note[tui->note_len] = '\0';
	}
}

/* A verb key: the focused pane's kind must have it; the pane fills the
 * action from its selection, the source prepares the exact request, and the
 * one dialog asks. Read-only goes straight to the gate, which refuses and
 * records: an observer never sees a dialog. */
static void tui_verb(struct tui *tui, struct pane *p, const struct verb *verb)
{
	/* an observer has no action path at all: not even a refusal to record */
	if (tui->app->observe != NULL) {
		tui_message(tui, "observer: actions belong to the driver");
		return;
	}
	const struct kind_ops *kind = kind_find(p->src->cfg->kind);
	/* Two kinds may give one word and key to verbs of their own (K,
	 * terminate: a database session, a host process); the keymap holds
	 * one, and the focused pane's kind's verb of that word is the one meant. */
	for (size_t i = 0; kind != NULL && !kind_has_verb(kind, verb) && i < kind->nverbs; i++)
		if (strcmp(kind->verbs[i]->name, verb->name) == 0)
			verb = kind->verbs[i];
	if (!kind_has_verb(kind, verb) && tui->app->read_only) {
		tui_message(tui, "read-only: %s refused, nothing was sent", verb->name);
		return;
	}
	if (!kind_has_verb(kind, verb)) {
		tui_message(tui, "%s: nothing to do in pane %s (a %s pane)", verb->name, pane_title(p),
		            p->src->cfg->kind);
		return;
	}
	struct action *a = action_new(verb, p->src->cfg->id);
	char msg[300] = "";
	bool selected = p->ops->select == NULL || p->ops->select(p, a, msg, sizeof(msg)) == 0;
	if (tui->app->read_only) {
		/* refused and recorded by the gate, with what was selected */
		action_run(tui->app, p->src, a, NULL, NULL, msg, sizeof(msg));
		tui_message(tui, "read-only: %s refused, nothing was sent", verb->name);
		return;
	}
	if (!selected) {
		tui_message(tui, "%s: %s", verb->name, msg[0] != '\0' ? msg : "nothing selected");
		action_free(a);
		return;
	}
	if (action_prepare(p->src, a, msg, sizeof(msg)) != 0) {
		tui_message(tui, "%s: %s (nothing was sent)", verb->name, msg);
		a->app = tui->app;
		a->src = p->src;
		action_audit(tui->app, a, "failed", msg);
		action_free(a);
		return;
	}
	confirm_open(tui, p, a);
}

static bool tui_is_move(enum keymap_action a)
{
	return a == KEYMAP_UP || a == KEYMAP_DOWN || a == KEYMAP_PAGE_UP || a == KEYMAP_PAGE_DOWN ||
	       a == KEYMAP_TOP || a == KEYMAP_BOTTOM;
}

/* An action for the focused pane: its hook first, then what tui can do. */
static void tui_pane_action(struct tui *tui, enum keymap_action a, const struct verb *verb)
{
	if (a == KEYMAP_EXPORT) {
		tui_export_timeline(tui);
		return;
	}
	if (a == KEYMAP_ANNOTATE) {
		tui_annotate(tui);
		return;
	}
	if (a == KEYMAP_VERB && tui->app->observe != NULL) {
		tui_message(tui, "observer: actions belong to the driver");
		return;
	}
	if (tui->focus < 0) {
		if (a == KEYMAP_TIMELINE)
			tui_focus_timeline(tui);
		else
			tui_message(tui, "focus a pane first (Tab or 1-9)");
		return;
	}
	struct pane *p = &tui->panes[tui->focus];
	const struct timeline_entry *row = a == KEYMAP_DETAIL ? pane_timeline_selected(p) : NULL;
	char jmsg[160];
	/* replay: Enter on a timeline row moves the clock to it (the row's
	 * detail stays a live dashboard's and an observer's meaning of Enter) */
	if (row != NULL && observe_jump(tui->app->observe, tui->focus, row->time_ms, row->type, row->subject,
	                                jmsg, sizeof(jmsg))) {
		if (jmsg[0] != '\0')
			tui_message(tui, "%s", jmsg);
		tui_mark_all(tui);
		return;
	}
	if (a == KEYMAP_VERB) {
		tui_verb(tui, p, verb);
		return;
	}
	int key = keymap_canonical(a);
	if (p->ops->key != NULL && p->ops->key(p, key)) {
		p->dirty = true;
		return;
	}
	if (tui_is_move(a)) {
		pane_scroll_key(p, key);
		return;
	}
	switch (a) {
	case KEYMAP_DETAIL: tui_detail(tui, p); return;
	case KEYMAP_TIMELINE: tui_focus_timeline(tui); return;
	default: break;
	}
	tui_message(tui, "%s: nothing to do in pane %s", keymap_action_name(a), pane_title(p));
}

static void tui_refresh(struct tui *tui)
{
	if (tui->app->observe != NULL) {
		tui_message(tui, "observer: the driver refreshes, this screen follows it");
		return;
	}
	if (tui->focus >= 0) {
		source_refresh_now(tui->panes[tui->focus].src);
		tui_message(tui, "refreshing %s", pane_title(&tui->panes[tui->focus]));
		return;
	}
	for (int i = 0; i < tui->npanes; i++)
		source_refresh_now(tui->panes[i].src);
	tui_message(tui, "refreshing every pane");
}

static void tui_key(struct tui *tui, int ch);

static void tui_mouse(struct tui *tui)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	bool up = (ev.bstate & BUTTON4_PRESSED) != 0;
	bool down = (ev.bstate & BUTTON5_PRESSED) != 0;
	if (tui->dialog != NULL) {
		if (up || down) {
			for (int i = 0; i < 3; i++)
				dialog_key(tui->dialog, up ? KEYMAP_UP : KEYMAP_DOWN, 0);
		}
		return;
	}
	for (int i = 0; i < tui->npanes; i++) {
		const struct layout_rect *r = &tui->rects[i];
		if (r->h == 0 || ev.y < r->y || ev.y >= r->y + r->h || ev.x < r->x || ev.x >= r->x + r->w)
			continue;
		if (ev.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED)) {
			if (tui->focus != i)
				tui_set_focus(tui, i);
		}
		if (up || down) {
			struct pane *p = &tui->panes[i];
			int key = up ? KEY_UP : KEY_DOWN;
			for (int n = 0; n < 3; n++)
				if (p->ops->key == NULL || !p->ops->key(p, key))
					pane_scroll_key(p, key);
			p->dirty = true;
		}
		return;
	}
}

static void tui_schedule_resize(struct tui *tui);

static void tui_key(struct tui *tui, int ch)
{
	if (ch == KEY_RESIZE) {
		tui_schedule_resize(tui);
		return;
	}
	if (ch == KEY_MOUSE) {
		tui_mouse(tui);
		return;
	}
	int key = keymap_normalize(ch);
	const struct verb *verb = NULL;
	enum keymap_action a = keymap_lookup(&tui->keymap, key, &verb);

	if (confirm_active(tui)) {
		confirm_key(tui, key, a);
		return;
	}
	if (tui->note_editing) {
		tui_note_key(tui, key);
		return;
	}
	if (tui->dialog != NULL && tui->dialog_is_timeline && a == KEYMAP_EXPORT) {
		tui_export_timeline(tui);
		return;
	}
	/* The progress view is not modal: it scrolls with the move keys, Esc
	 * hides it, and any other key hides it and acts as if it were not there. */
	if (tui->dialog != NULL && tui->dialog_is_progress && !tui_is_move(a) && key != TUI_KEY_ESC)
		tui_close_dialog(tui);
	if (tui->dialog != NULL) {
		if (dialog_key(tui->dialog, a, key))
			tui_close_dialog(tui);
		return;
	}
	struct pane *focused = tui->focus >= 0 ? &tui->panes[tui->focus] : NULL;
	if (focused != NULL && focused->grab_keys && focused->ops->key != NULL &&
	    focused->ops->key(focused, key)) {
		focused->dirty = true;
		return;
	}
	if (tui->mode == LAYOUT_TOO_SMALL && a != KEYMAP_QUIT)
		return;

	if (a != KEYMAP_QUIT)
		tui->quit_armed = false;
	switch (a) {
	case KEYMAP_QUIT:
		/* An action waiting for its answer may apply anyway: ask first. */
		if (action_in_flight(tui->app) > 0 && !tui->quit_armed) {
			tui->quit_armed = true;
			tui_message(tui,
			            "an action is still in flight: press %s again to quit anyway (recorded "
			            "as unknown)",
			            "q");
			return;
		}
		app_quit(tui->app, 0);
		return;
	case KEYMAP_HELP:
		tui_open_dialog(tui, "sitrep help", help_text(&tui->keymap, tui->app->read_only, observe_replaying(tui->app->observe)), true);
		return;
	case KEYMAP_ZOOM:
		if (tui->npanes == 0)
			return;
		if (tui->focus < 0)
			tui_set_focus(tui, 0);
		tui->zoom = tui->zoom >= 0 ? -1 : tui->focus;
		tui_relayout(tui, false);
		tui_mark_all(tui);
		return;
	case KEYMAP_NEXT_PANE:
	case KEYMAP_PREV_PANE:
		if (tui->npanes == 0)
			return;
		if (tui->focus < 0)
			tui_set_focus(tui, a == KEYMAP_NEXT_PANE ? 0 : tui->npanes - 1);
		else
			tui_set_focus(tui, (tui->focus + (a == KEYMAP_NEXT_PANE ? 1 : tui->npanes - 1)) %
			                       tui->npanes);
		return;
	case KEYMAP_REFRESH: tui_refresh(tui); return;
	case KEYMAP_NONE: break;
	default: tui_pane_action(tui, a, verb); return;
	}

	/* replay's clock keys */
	char omsg[160];
	if (tui->app->observe != NULL && observe_key(tui->app->observe, key, omsg, sizeof(omsg))) {
		if (omsg[0] != '\0')
			tui_message(tui, "%s", omsg);
		tui_mark_all(tui);
		return;
	}
	if (key >= '1' && key <= '9') {
		if (key - '1' < tui->npanes)
			tui_set_focus(tui, key - '1');
		return;
	}
	if (key == TUI_KEY_ESC) {
		/* The focused pane first (a logs filter is cleared), then the zoom,
		 * then the focus: Esc undoes the innermost thing. */
		if (focused != NULL && focused->ops->key != NULL && focused->ops->key(focused, key)) {
			focused->dirty = true;
			return;
		}
		if (tui->zoom >= 0) {
			tui->zoom = -1;
			tui_relayout(tui, false);
			tui_mark_all(tui);
		} else {
			tui_set_focus(tui, -1);
		}
		return;
	}
	/* Unbound keys may still mean something to the focused pane. */
	if (focused != NULL && focused->ops->key != NULL && focused->ops->key(focused, key))
		focused->dirty = true;
}

/* --- handles ------------------------------------------------------------- */

static void tui_on_input(uv_poll_t *h, int status, int events)
{
	struct tui *tui = h->data;
	if (tui->stopping)
		return;
	if (status < 0) {
		uv_poll_stop(h);
		return;
	}
	int got = 0, ch;
	while (!tui->stopping && (ch = wgetch(tui->screen.input)) != ERR) {
		got++;
		tui_key(tui, ch);
	}
	if (tui->stopping)
		return;
	/* Readable but nothing to read, again and again: the terminal is gone. */
	if (got == 0 && ++tui->idle_wakeups > 100) {
		uv_poll_stop(h);
		app_quit(tui->app, 1);
	} else if (got > 0) {
		tui->idle_wakeups = 0;
	}
}

static void tui_on_resize(uv_timer_t *t)
{
	struct tui *tui = t->data;
	if (tui->stopping)
		return;
	int rows, cols;
	/* Windows are rebuilt from scratch rather than resized by ncurses. */
	tui_drop_windows(tui);
	if (screen_query_size(&rows, &cols) == 0)
		resizeterm(rows, cols);
	tui_relayout(tui, true);
	tui->full_redraw = true;
}

static void tui_schedule_resize(struct tui *tui)
{
	/* Restarting the timer coalesces a burst into one relayout. */
	uv_timer_start(&tui->resize_timer, tui_on_resize, TUI_RESIZE_DELAY_MS, 0);
}

static void tui_on_winch(uv_signal_t *s, int signum)
{
	struct tui *tui = s->data;
	if (!tui->stopping)
		tui_schedule_resize(tui);
}

static uint64_t tui_ms_to_next_second(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Past the boundary, so the displayed second has turned, and after the
	 * sources that refresh on the second (app.c, +5 ms): usually their frame
	 * has drawn the new second already and this tick changes nothing. */
	return 1000 - (uint64_t)(ts.tv_nsec / 1000000) + 15;
}

static void tui_on_clock(uv_timer_t *t)
{
	struct tui *tui = t->data;
	if (tui->stopping)
		return;
	uint64_t now = uv_now(tui->loop);
	tui->status_dirty = true;
	for (int i = 0; i < tui->npanes; i++) {
		struct pane *p = &tui->panes[i];
		if (p->frame != NULL && !p->dirty && pane_clock_changed(p, now))
			p->frame_dirty = true;
	}
	if (tui->message[0] != '\0' && now >= tui->message_until)
		tui->message[0] = '\0';
	if (tui->act_msg[0] != '\0' && tui->act_started == 0 && now >= tui->act_until)
		tui->act_msg[0] = '\0';
	if (tui->dialog != NULL && tui->dialog_is_timeline &&
	    timeline_generation(tui->app->timeline) != tui->timeline_drawn_gen) {
		int scroll = tui->dialog->scroll;
		tui_open_timeline(tui);
		tui->dialog->scroll = scroll;
	}
	uv_timer_start(&tui->clock_timer, tui_on_clock, tui_ms_to_next_second(), 0);
}

static void tui_free(struct tui *tui)
{
	free(tui->hint_cached);
	free(tui->progress);
	free(tui->panes);
	free(tui->rects);
	free(tui);
}

static void tui_on_close(uv_handle_t *h)
{
	struct tui *tui = h->data;
	if (--tui->open_handles == 0)
		tui_free(tui);
}

static void tui_close(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, tui_on_close);
}

/* The action's line on the status line: progress while it runs ("db:
 * cancel running", with its newest output line), then the outcome for
 * TUI_OUTCOME_MS, in the outcome's colour. A passing message that said
 * "started" is over once the action is. */
static void tui_action_line(struct tui *tui, const struct event *ev)
{
	const char *subject = ev->subject != NULL ? ev->subject : "action";
	const char *text = ev->text != NULL ? ev->text : "";
	uint64_t now = uv_now(tui->loop);
	switch (ev->type) {
	case EVENT_ACTION_STARTED:
		snprintf(tui->act_verb, sizeof(tui->act_verb), "%s", subject);
		snprintf(tui->act_msg, sizeof(tui->act_msg), "%s running", subject);
		tui->act_started = now;
		tui->act_until = 0;
		tui->act_role = ROLE_WARN;
		tui->message[0] = '\0';
		break;
	case EVENT_ACTION_PROGRESS:
		if (tui->act_started == 0)
			return;
		snprintf(tui->act_msg, sizeof(tui->act_msg), "%s running: %s", subject, text);
		break;
	case EVENT_ACTION_ENDED:
		snprintf(tui->act_msg, sizeof(tui->act_msg), "%s %s", subject, text);
		tui->act_started = 0;
		tui->act_until = now + TUI_OUTCOME_MS;
		tui->act_role = ev->level == EVENT_OK     ? ROLE_OK
		                : ev->level == EVENT_WARN ? ROLE_WARN
		                                          : ROLE_CRIT;
		tui->message[0] = '\0';
		break;
	default: return;
	}
	tui->status_dirty = true;
}

/* Subscribed to the bus: a pane's data changed, draw it on this pass; a
 * warn or crit event becomes the status line's hint; the open timeline
 * view follows (it is rebuilt on the next clock tick, not per event). */
static void tui_on_event(const struct event *ev, void *arg)
{
	struct tui *tui = arg;
	if (ev->type == EVENT_DATA_CHANGED) {
		tui_mark_dirty(tui, ev->pane_index);
		return;
	}
	if (ev->type == EVENT_ACTION_PROGRESS || ev->type == EVENT_ACTION_ENDED)
		progress_event(tui, ev);
	tui_action_line(tui, ev);
	if (ev->type == EVENT_ACTION_PROGRESS)
		return;
	if (ev->level == EVENT_WARN || ev->level == EVENT_CRIT) {
		snprintf(tui->hint, sizeof(tui->hint), "%s%s%s", ev->pane != NULL ? ev->pane : "",
		         ev->pane != NULL ? ": " : "", ev->text != NULL ? ev->text : "");
		tui->hint_ms = ev->time_ms;
		tui->hint_pane = ev->pane_index;
		tui->hint_once = ev->once;
		tui->hint_gen++;
		snprintf(tui->hint_subject, sizeof(tui->hint_subject), "%s",
		         ev->subject != NULL ? ev->subject : "");
	} else if (ev->level == EVENT_OK && tui->hint[0] != '\0' && ev->pane_index == tui->hint_pane &&
	           ev->subject != NULL && strcmp(ev->subject, tui->hint_subject) == 0) {
		/* what the hint said is over: the same subject back to ok (a
		 * recovered pane, a series, an alert resolved, an asset fresh) */
		tui->hint[0] = '\0';
		tui->hint_gen++;
	}
	tui->status_dirty = true;
}

struct tui *tui_start(struct app *app)
{
	struct tui *tui = xcalloc(1, sizeof(*tui));
	tui->app = app;
	tui->loop = app->loop;
	tui->focus = -1;
	tui->zoom = -1;

	char err[700];
	const char *theme = app->opt.theme != NULL ? app->opt.theme : app->cfg.theme;
	bool theme_failed = theme_load(&tui->theme, theme, err, sizeof(err)) < 0;
	keymap_init(&tui->keymap);
	keymap_apply(&tui->keymap, app->cfg.keys, app->cfg.nkeys);

	/* Every handle is initialised before anything can fail, so one path
	 * (tui_stop) closes them all. SIGWINCH is ours before newterm, so
	 * ncurses does not install a handler of its own. */
	uv_signal_init(tui->loop, &tui->winch);
	uv_timer_init(tui->loop, &tui->resize_timer);
	uv_timer_init(tui->loop, &tui->clock_timer);
	uv_prepare_init(tui->loop, &tui->prepare);
	tui->winch.data = tui->resize_timer.data = tui->clock_timer.data = tui->prepare.data = tui;
	tui->open_handles = 4;
	uv_signal_start(&tui->winch, tui_on_winch, SIGWINCH);

	char serr[300];
	if (screen_open(&tui->screen, app->cfg.mouse, serr, sizeof(serr)) < 0) {
		fprintf(stderr, "sitrep: %s\n", serr);
		tui_stop(tui);
		return NULL;
	}
	tui->screen_open = true;
	if (uv_poll_init(tui->loop, &tui->input, 0) < 0) {
		fprintf(stderr, "sitrep: cannot watch the terminal for input\n");
		tui_stop(tui);
		return NULL;
	}
	tui->input.data = tui;
	tui->input_open = true;
	tui->open_handles++;

	widgets_setup(tui->screen.utf8, &tui->theme, tui->screen.colors);
	bkgdset(widgets_attr(ROLE_NORMAL) | ' ');

	tui->npanes = (int)app->nsources;
	tui->panes = xcalloc((size_t)tui->npanes + 1, sizeof(*tui->panes));
	tui->rects = xcalloc((size_t)tui->npanes + 1, sizeof(*tui->rects));
	for (int i = 0; i < tui->npanes; i++) {
		struct pane *p = &tui->panes[i];
		p->src = &app->sources[i];
		p->ops = pane_ops_find(p->src->cfg->kind);
		p->index = i;
		p->selected = -1;
	}
	/* focus starts on the first pane, so Enter and the action keys work
	 * without a Tab first; Esc clears it */
	if (tui->npanes > 0)
		tui_set_focus(tui, 0);
	tui_relayout(tui, true);
	tui->full_redraw = true;
	if (theme_failed)
		tui_message_long(tui, "%s", err);
	else if (config_warning() != NULL)
		tui_message(tui, "%s",
		            config_warning()); /* a few seconds: it must not hide the panes' states */

	if (event_subscribe(&app->bus, EVENT_ALL, tui_on_event, tui) != 0) {
		/* a dashboard that hears nothing would show old data as current */
		fprintf(stderr, "sitrep: the dashboard cannot follow the event bus\n");
		tui_stop(tui);
		return NULL;
	}
	uv_poll_start(&tui->input, UV_READABLE, tui_on_input);
	uv_prepare_start(&tui->prepare, tui_on_prepare);
	uv_timer_start(&tui->clock_timer, tui_on_clock, tui_ms_to_next_second(), 0);
	return tui;
}

void tui_mark_dirty(struct tui *tui, int pane_index)
{
	if (tui == NULL || tui->stopping || pane_index < 0 || pane_index >= tui->npanes)
		return;
	tui->panes[pane_index].dirty = true;
	tui->status_dirty = true;
}

void tui_stop(struct tui *tui)
{
	if (tui == NULL || tui->stopping)
		return;
	event_unsubscribe(&tui->app->bus, tui_on_event, tui);
	confirm_cancel(tui, "not confirmed (sitrep quit)");
	tui->stopping = true;
	if (tui->screen_open) {
		dialog_close(tui->dialog);
		tui->dialog = NULL;
		for (int i = 0; i < tui->npanes; i++)
			pane_destroy(&tui->panes[i]);
		if (tui->status != NULL)
			delwin(tui->status);
		tui->status = NULL;
		screen_close(&tui->screen);
		tui->screen_open = false;
	}
	if (tui->input_open)
		tui_close((uv_handle_t *)&tui->input);
	tui_close((uv_handle_t *)&tui->winch);
	tui_close((uv_handle_t *)&tui->resize_timer);
	tui_close((uv_handle_t *)&tui->clock_timer);
	tui_close((uv_handle_t *)&tui->prepare);
}

static void *tui_frontend_start(struct app *app)
{
	return tui_start(app);
}

static void tui_frontend_stop(void *ui)
{
	tui_stop(ui);
}

const struct app_frontend tui_frontend = {
    .start = tui_frontend_start,
    .stop = tui_frontend_stop,
};
