/* help: the text of the `?` overlay. It is built from the live keymap, so it
 * lists every action with the keys the user actually has (after rebinding),
 * plus the fixed keys (1..9, Esc) and the mouse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/util.h"
#include "tui-internal.h"

static void help_add(char **text, const char *keys, const char *what)
{
	char *more = xasprintf("%s%-16s %s\n", *text, keys, what);
	free(*text);
	*text = more;
}

static const enum action help_order[] = {
	ACTION_NEXT_PANE, ACTION_PREV_PANE, ACTION_ZOOM,       ACTION_UP,          ACTION_DOWN,
	ACTION_PAGE_UP,   ACTION_PAGE_DOWN, ACTION_TOP,        ACTION_BOTTOM,      ACTION_DETAIL,
	ACTION_FILTER,    ACTION_NEXT_MATCH, ACTION_PREV_MATCH, ACTION_TOGGLE_VIEW, ACTION_TIMELINE,
	ACTION_REFRESH,   ACTION_HELP,      ACTION_QUIT,
};

static const enum action help_actions[] = {
	ACTION_PURGE, ACTION_PURGE_ALL, ACTION_RESTART, ACTION_ROLLBACK, ACTION_SILENCE, ACTION_EXPORT,
};

char *help_text(const struct keymap *km, bool read_only)
{
	char *text = xstrdup("Keys (rebind them in the config's \"keys\" object)\n\n");
	char keys[128];
	help_add(&text, "1..9", "focus pane N");
	for (size_t i = 0; i < ARRAY_LEN(help_order); i++) {
		keymap_keys_of(km, help_order[i], keys, sizeof(keys));
		help_add(&text, keys[0] ? keys : "(unbound)", keymap_action_help(help_order[i]));
	}
	help_add(&text, "Esc", "close this window; clear the focus");
	help_add(&text, "mouse", "click focuses a pane, the wheel scrolls it");

	char *more = xasprintf("%s\nActions (the focused pane's; each asks to confirm)%s\n\n", text,
			       read_only ? " - READ-ONLY: all refused" : "");
	free(text);
	text = more;
	for (size_t i = 0; i < ARRAY_LEN(help_actions); i++) {
		keymap_keys_of(km, help_actions[i], keys, sizeof(keys));
		help_add(&text, keys[0] ? keys : "(unbound)", keymap_action_help(help_actions[i]));
	}
	/* No trailing newline: it would show as an empty last row. */
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	return text;
}
