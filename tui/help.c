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

static const enum keymap_action help_order[] = {
    KEYMAP_NEXT_PANE,  KEYMAP_PREV_PANE,   KEYMAP_ZOOM,     KEYMAP_UP,      KEYMAP_DOWN,   KEYMAP_PAGE_UP,
    KEYMAP_PAGE_DOWN,  KEYMAP_TOP,         KEYMAP_BOTTOM,   KEYMAP_DETAIL,  KEYMAP_FILTER, KEYMAP_NEXT_MATCH,
    KEYMAP_PREV_MATCH, KEYMAP_TOGGLE_VIEW, KEYMAP_TIMELINE, KEYMAP_REFRESH, KEYMAP_HELP,   KEYMAP_QUIT,
};

static const enum keymap_action help_actions[] = {
    KEYMAP_PURGE, KEYMAP_PURGE_ALL, KEYMAP_RESTART, KEYMAP_ROLLBACK, KEYMAP_SILENCE, KEYMAP_EXPORT,
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
