/* confirm: the one confirmation dialog every verb takes in the dashboard.
 * It shows action_describe (the verb's words, then the exact effect the
 * source prepared: every request it will send) and, pinned under it, a
 * prompt that says what y does and what n does, with the verb and the count
 * from the action and its verb's table entry (this file knows no kind).
 *
 * y sends only what has been on the screen: the list scrolls (j/k, arrows,
 * PgUp/PgDn, Home/End; none of them cancels) and y is refused, with the
 * number of rows still unseen, until every byte of it has been drawn
 * (dialog.c keeps that record across resizes and rewraps). A list that
 * cannot be read sensibly on this screen (longer than CONFIRM_MAX_PAGES
 * screens, or fewer than CONFIRM_MIN_BODY rows of room) asks to type the
 * verb and the count instead, and keeps asking so even if the screen grows:
 * a confirmation never gets weaker while it is open. The dangerous verbs
 * (rollback, terminate, purge everything) always ask for the target's name.
 *
 * n, N, Esc and q cancel; a cancel is recorded like the CLI's "not
 * confirmed". Other keys do nothing but say which keys do something. The
 * action goes to the gate exactly as shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"
#include "tui-internal.h"

#define CONFIRM_KEY_ESC   27
#define CONFIRM_MAX_PAGES 10 /* screens of list still worth scrolling through */
#define CONFIRM_MIN_BODY  3  /* rows of list on screen below which y is not offered */

/* Typed: the verb asks for the target's name, or the list does not fit. */
static bool confirm_typed(const struct tui *tui)
{
	const struct action *a = tui->confirm;
	return a->verb->confirm == VERB_CONFIRM_TYPED || tui->confirm_escalated;
}

/* What must be typed: the target's name for the dangerous verbs, else the
 * verb and the count ("purge 40"). Caller frees. */
static char *confirm_phrase(const struct tui *tui)
{
	const struct action *a = tui->confirm;
	if (a->verb->confirm == VERB_CONFIRM_TYPED)
		return xstrdup(a->target != NULL ? a->target : "");
	size_t n = a->ntargets > 0 ? a->ntargets : a->nselection;
	return n > 0 ? xasprintf("%s %zu", a->verb->name, n) : xstrdup(a->verb->name);
}

/* The prompt under the list, for the dialog as it is now. Caller frees. */
static char *confirm_footer(const struct tui *tui)
{
	const struct action *a = tui->confirm;
	size_t count;
	char *what = action_what(a, &count);
	if (confirm_typed(tui)) {
		char *phrase = confirm_phrase(tui);
		char *shown = sanitize_str(phrase);
		char *typed = sanitize_str(tui->confirm_typed);
		char *out = xasprintf("%sType \"%s\" and Enter: %s · Esc: %s, nothing is sent\n> %s_",
		                      tui->confirm_escalated ? "Too long a list to confirm with y. " : "",
		                      shown, what, action_keep_words(count), typed);
		free(typed);
		free(shown);
		free(phrase);
		free(what);
		return out;
	}
	const char *keep = action_keep_words(count);
	char *out;
	int unseen = dialog_unseen_rows(tui->dialog);
	if (unseen > 0)
		out = xasprintf("y: %s · n or Esc: %s, nothing is sent\n"
		                "%d more line%s to see before y: j/k, PgDn, End scroll",
		                what, keep, unseen, unseen == 1 ? "" : "s");
	else
		out = xasprintf("y: %s · n or Esc: %s, nothing is sent", what, keep);
	free(what);
	return out;
}

/* Brings the dialog's prompt and mode up to date with the screen: escalates
 * to a typed confirmation when the list does not fit sensibly, and
 * refreshes the prompt (the unseen count, the typed text). */
static void confirm_update(struct tui *tui)
{
	struct dialog *dlg = tui->dialog;
	struct dialog_geom g;
	/* a list that fits is never escalated, however short */
	if (!confirm_typed(tui) && dialog_measure(dlg, &g) && g.rows > g.body_h &&
	    (g.body_h < CONFIRM_MIN_BODY || g.rows > CONFIRM_MAX_PAGES * g.body_h)) {
		tui->confirm_escalated = true;
		tui->confirm_typed[0] = '\0';
	}
	dlg->scroll_keys = confirm_typed(tui) ? "arrows/PgDn/End" : "j/k/PgDn/End";
	dialog_set_footer(dlg, confirm_footer(tui));
}

void confirm_draw(struct tui *tui, bool force)
{
	/* The prompt counts what is still unseen, which this very draw may
	 * change: a second pass when it did (the seen record only grows). */
	for (int pass = 0; pass < 3; pass++) {
		confirm_update(tui);
		if (pass > 0 && !tui->dialog->dirty)
			break;
		dialog_draw(tui->dialog, force);
		if (!dialog_on_screen(tui->dialog))
			break;
	}
}

/* The outcome arrives later; the source outlives the pane and the dialog, so
 * it travels as the source's note (drawn by the frame) and a status message. */
static void confirm_done(struct action *a, enum action_result result, const char *msg, void *arg)
{
	struct source *src = arg;
	char *text = xasprintf("%s %s: %s", a->verb->name,
	                       result == ACTION_OK           ? "done"
	                       : result == ACTION_UNKNOWN    ? "outcome unknown"
	                       : result == ACTION_UNVERIFIED ? "sent, not verified"
	                                                     : "failed",
	                       msg);
	source_set_note(src, text);
	free(text);
}

void confirm_open(struct tui *tui, struct pane *pane, struct action *a)
{
	confirm_cancel(tui, "replaced by another action");
	if (tui->dialog_is_progress)
		progress_closed(tui);
	dialog_close(tui->dialog);
	tui->confirm = a;
	tui->confirm_pane = pane->index;
	tui->confirm_typed[0] = '\0';
	tui->confirm_escalated = false;
	char *title = xasprintf("Confirm %s", a->verb->name);
	tui->dialog = dialog_open(title, xstrdup(action_what_confirmed(a)));
	free(title);
	dialog_track_seen(tui->dialog);
	tui->dialog_is_help = false;
	tui->dialog_is_timeline = false;
	confirm_update(tui);
}

bool confirm_active(const struct tui *tui)
{
	return tui->confirm != NULL;
}

static void confirm_end(struct tui *tui)
{
	tui->confirm = NULL;
	tui->confirm_typed[0] = '\0';
	tui->confirm_escalated = false;
	dialog_close(tui->dialog);
	tui->dialog = NULL;
	for (int i = 0; i < tui->npanes; i++)
		tui->panes[i].dirty = true;
	tui->status_dirty = true;
}

void confirm_cancel(struct tui *tui, const char *why)
{
	if (tui->confirm == NULL)
		return;
	struct action *a = tui->confirm;
	struct source *src = tui->panes[tui->confirm_pane].src;
	confirm_end(tui);
	if (!tui->stopping)
		tui_message(tui, "%s cancelled, nothing sent", a->verb->name);
	action_not_confirmed(tui->app, src, a, why);
}

static void confirm_go(struct tui *tui)
{
	struct action *a = tui->confirm;
	struct source *src = tui->panes[tui->confirm_pane].src;
	confirm_end(tui);
	char msg[300];
	enum action_result r = action_run(tui->app, src, a, confirm_done, src, msg, sizeof(msg));
	/* a pending action's progress and outcome have their own line (tui.c) */
	if (r != ACTION_PENDING) {
		tui_message(tui, "%s", msg);
		source_set_note(src, msg);
	}
}

/* The scrolling keys that are never text: they move in both modes. */
static enum keymap_action confirm_fixed_move(int key)
{
	switch (key) {
	case KEY_UP: return KEYMAP_UP;
	case KEY_DOWN: return KEYMAP_DOWN;
	case KEY_PPAGE: return KEYMAP_PAGE_UP;
	case KEY_NPAGE: return KEYMAP_PAGE_DOWN;
	case KEY_HOME: return KEYMAP_TOP;
	case KEY_END: return KEYMAP_BOTTOM;
	default: return KEYMAP_NONE;
	}
}

/* y: only with the dialog on the screen and every line of it shown. */
static void confirm_yes(struct tui *tui)
{
	struct dialog *dlg = tui->dialog;
	if (!dialog_on_screen(dlg)) {
		tui_message(tui, "%s: the dialog is not on the screen (too small?); nothing sent",
		            tui->confirm->verb->name);
		return;
	}
	int unseen = dialog_unseen_rows(dlg);
	if (unseen > 0) {
		tui_message(tui, "scroll to the end first (%d more line%s); nothing sent", unseen,
		            unseen == 1 ? "" : "s");
		return;
	}
	confirm_go(tui);
}

static void confirm_typed_key(struct tui *tui, int key)
{
	struct action *a = tui->confirm;
	size_t n = strlen(tui->confirm_typed);
	if (key == '\n') {
		if (!dialog_on_screen(tui->dialog)) {
			tui_message(tui, "%s: the dialog is not on the screen (too small?); nothing sent",
			            a->verb->name);
			return;
		}
		char *phrase = confirm_phrase(tui);
		bool match = strcmp(tui->confirm_typed, phrase) == 0;
		free(phrase);
		if (match)
			confirm_go(tui);
		else
			confirm_cancel(tui, "not confirmed (the name typed did not match)");
		return;
	}
	if (key == CONFIRM_KEY_ESC) {
		confirm_cancel(tui, "not confirmed (cancelled in the dashboard)");
		return;
	}
	if (key == KEY_BACKSPACE) {
		if (n > 0)
			tui->confirm_typed[n - 1] = '\0';
	} else if (key >= ' ' && key < 127 && n + 1 < sizeof(tui->confirm_typed)) {
		tui->confirm_typed[n] = (char)key;
		tui->confirm_typed[n + 1] = '\0';
	} else {
		return;
	}
	confirm_update(tui);
}

void confirm_key(struct tui *tui, int key, enum keymap_action action)
{
	enum keymap_action move = confirm_fixed_move(key);
	if (move != KEYMAP_NONE) {
		dialog_scroll(tui->dialog, move);
		return;
	}
	if (confirm_typed(tui)) {
		confirm_typed_key(tui, key);
		return;
	}
	if (key == 'y' || key == 'Y') {
		confirm_yes(tui);
		return;
	}
	if (key == 'n' || key == 'N' || key == CONFIRM_KEY_ESC || key == 'q') {
		confirm_cancel(tui, "not confirmed (cancelled in the dashboard)");
		return;
	}
	if (dialog_scroll(tui->dialog, action))
		return;
	tui_message(tui, "%s: y confirms, n or Esc cancels; j/k, PgDn, End scroll", tui->confirm->verb->name);
}
