/* progress: the view of a running action's output. A restart or rollback
 * prints as it works; the source passes each line to action_progress, which
 * publishes EVENT_ACTION_PROGRESS; the TUI keeps the newest lines here and
 * shows them in a dialog over the panes, titled with the action. The view
 * opens on the first line (a silence prints nothing, so it never opens),
 * never replaces a dialog the user opened, and on EVENT_ACTION_ENDED shows the
 * outcome and stays until a key closes it. It is not modal: the move keys
 * scroll it, any other key closes it and does what it does (tui.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/util.h"
#include "tui-internal.h"

#define PROGRESS_MAX (16u << 10)

static void progress_append(struct tui *tui, const char *line)
{
	char *next = xasprintf("%s%s%s", tui->progress != NULL ? tui->progress : "",
	                       tui->progress != NULL && tui->progress[0] != '\0' ? "\n" : "", line);
	free(tui->progress);
	tui->progress = next;
	size_t len = strlen(next);
	if (len > PROGRESS_MAX) {
		/* keep the newest lines: drop whole lines from the front */
		const char *cut = strchr(next + (len - PROGRESS_MAX), '\n');
		char *kept = xstrdup(cut != NULL ? cut + 1 : next + (len - PROGRESS_MAX));
		free(tui->progress);
		tui->progress = kept;
	}
}

static void progress_show(struct tui *tui, const char *title)
{
	int scroll = tui->dialog != NULL ? tui->dialog->scroll : 0;
	bool at_end = tui->dialog == NULL || tui->dialog->scroll + tui->dialog->body_h >= tui->dialog->rows;
	dialog_close(tui->dialog);
	tui->dialog = dialog_open(title, xstrdup(tui->progress));
	tui->dialog_is_help = tui->dialog_is_timeline = false;
	tui->dialog_is_progress = true;
	/* following the end unless the user scrolled up */
	tui->dialog->scroll = at_end ? 1 << 30 : scroll;
	for (int i = 0; i < tui->npanes; i++)
		tui->panes[i].dirty = true;
}

void progress_event(struct tui *tui, const struct event *ev)
{
	if (confirm_active(tui))
		return;
	bool mine = tui->dialog_is_progress && tui->progress_pane == ev->pane_index;
	if (ev->type == EVENT_ACTION_PROGRESS) {
		if (!mine) {
			if (tui->dialog != NULL || confirm_active(tui))
				return; /* never over what the user opened */
			free(tui->progress);
			tui->progress = NULL;
			tui->progress_pane = ev->pane_index;
			tui->progress_ended = false;
		}
		progress_append(tui, ev->text != NULL ? ev->text : "");
		char *title = xasprintf("%s: %s (running; a key hides it)", ev->pane != NULL ? ev->pane : "",
		                        ev->subject != NULL ? ev->subject : "action");
		progress_show(tui, title);
		free(title);
		return;
	}
	if (ev->type == EVENT_ACTION_ENDED && mine && !tui->progress_ended) {
		tui->progress_ended = true;
		char *line = xasprintf("=> %s", ev->text != NULL ? ev->text : "ended");
		progress_append(tui, line);
		free(line);
		char *title = xasprintf("%s: %s (ended; a key closes it)", ev->pane != NULL ? ev->pane : "",
		                        ev->subject != NULL ? ev->subject : "action");
		progress_show(tui, title);
		free(title);
	}
}

void progress_closed(struct tui *tui)
{
	tui->dialog_is_progress = false;
	free(tui->progress);
	tui->progress = NULL;
}
