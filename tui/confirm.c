/* confirm: the one confirmation dialog every verb takes in the dashboard.
 * It shows action_describe (the verb's words, then the exact effect the
 * source prepared: the request it will send), and asks for y, or for the
 * target's name typed out for the dangerous verbs (rollback, terminate,
 * purge everything). Any other key cancels; a cancel is recorded like the
 * CLI's "not confirmed". The action goes to the gate exactly as shown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/kind.h"
#include "sitrep/sanitize.h"
#include "sitrep/source.h"
#include "sitrep/util.h"
#include "tui-internal.h"

#define CONFIRM_KEY_ESC 27

static bool confirm_typed(const struct action *a)
{
	return a->def != NULL && a->def->confirm == VERB_CONFIRM_TYPED;
}

/* The dialog text: what will happen, then what to press. Caller frees. */
static char *confirm_text(const struct tui *tui)
{
	const struct action *a = tui->confirm;
	char *what = action_describe(a);
	char *out;
	if (confirm_typed(a)) {
		char *name = sanitize_str(a->target);
		char *typed = sanitize_str(tui->confirm_typed);
		out = xasprintf("%s\n\nType \"%s\" and Enter to confirm; Esc cancels.\n> %s_", what, name,
		                typed);
		free(typed);
		free(name);
	} else {
		out = xasprintf("%s\n\ny: %s   any other key: cancel, nothing is sent", what, a->verb);
	}
	free(what);
	return out;
}

static void confirm_show(struct tui *tui)
{
	char *title = xasprintf("Confirm %s", tui->confirm->verb);
	if (tui->dialog_is_progress)
		progress_closed(tui);
	dialog_close(tui->dialog);
	tui->dialog = dialog_open(title, confirm_text(tui));
	tui->dialog_is_help = false;
	free(title);
}

/* The outcome arrives later; the source outlives the pane and the dialog, so
 * it travels as the source's note (drawn by the frame) and a status message. */
static void confirm_done(struct action *a, enum action_result result, const char *msg, void *arg)
{
	struct source *src = arg;
	char *text = xasprintf("%s %s: %s", a->verb,
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
	tui->confirm = a;
	tui->confirm_pane = pane->index;
	tui->confirm_typed[0] = '\0';
	confirm_show(tui);
}

bool confirm_active(const struct tui *tui)
{
	return tui->confirm != NULL;
}

static void confirm_end(struct tui *tui)
{
	tui->confirm = NULL;
	tui->confirm_typed[0] = '\0';
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
		tui_message(tui, "%s cancelled, nothing sent", a->verb);
	action_not_confirmed(tui->app, src, a, why);
}

static void confirm_go(struct tui *tui)
{
	struct action *a = tui->confirm;
	struct source *src = tui->panes[tui->confirm_pane].src;
	confirm_end(tui);
	char msg[300];
	enum action_result r = action_run(tui->app, src, a, confirm_done, src, msg, sizeof(msg));
	tui_message(tui, "%s", msg);
	if (r != ACTION_PENDING)
		source_set_note(src, msg);
}

void confirm_key(struct tui *tui, int key)
{
	struct action *a = tui->confirm;
	if (!confirm_typed(a)) {
		if (key == 'y' || key == 'Y')
			confirm_go(tui);
		else
			confirm_cancel(tui, "not confirmed (cancelled in the dashboard)");
		return;
	}
	size_t n = strlen(tui->confirm_typed);
	if (key == '\n') {
		if (strcmp(tui->confirm_typed, a->target) == 0)
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
	confirm_show(tui);
}
