/* help: the text of the `?` overlay. It is built from the live keymap and
 * the tables (core/keys.c for the dashboard's actions, the kinds' verbs), so
 * it lists every action with the keys the user actually has (after
 * rebinding), plus the fixed keys (1..9, Esc) and the mouse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/keys.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"
#include "tui-internal.h"

static void help_add(char **text, const char *keys, const char *what)
{
	char *more = xasprintf("%s%-16s %s\n", *text, keys, what);
	free(*text);
	*text = more;
}

char *help_text(const struct keymap *km, bool read_only, bool replay)
{
	char *text = xstrdup("Keys (rebind them in the config's \"keys\" object)\n\n");
	char keys[128];
	help_add(&text, "1..9", "focus pane N");
	for (size_t i = 0; i < keys_nui; i++) {
		enum keymap_action a = (enum keymap_action)(KEYMAP_QUIT + (int)i);
		keymap_keys_of(km, a, keys, sizeof(keys));
		help_add(&text, keys[0] ? keys : "(unbound)", keymap_action_help(a));
	}
	help_add(&text, "Esc", "close this window; clear the focus");
	help_add(&text, "mouse", "click focuses a pane, the wheel scrolls it");
	if (replay) {
		/* replay's clock keys are fixed, like 1..9: core/observe.c reads them */
		char *clock = xasprintf("%s\nReplay (the recorded incident; every action refused)\n", text);
		free(text);
		text = clock;
		help_add(&text, "[ ]", "step the clock 10 s back or forward");
		help_add(&text, "{ }", "jump to the previous or next timeline event");
		help_add(&text, "Enter", "on a timeline pane's row: jump to that row's time");
	}

	char *more =
	    xasprintf("%s\nActions (the focused pane's; each asks to confirm)%s\n"
	              "The dialog lists every request; a long list scrolls with the move keys and y\n"
	              "waits until all of it has been shown. n or Esc cancels: nothing is sent.\n",
	              text, read_only ? " - READ-ONLY: all refused" : "");
	free(text);
	text = more;
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		if (kind->nverbs == 0)
			continue;
		more = xasprintf("%s\n%s panes\n", text, kind->name);
		free(text);
		text = more;
		for (size_t v = 0; v < kind->nverbs; v++) {
			keymap_keys_of_verb(km, kind->verbs[v], keys, sizeof(keys));
			help_add(&text, keys[0] ? keys : "(unbound)", kind->verbs[v]->help);
		}
	}
	/* No trailing newline: it would show as an empty last row. */
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	return text;
}
