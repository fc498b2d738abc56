/* keys: the dashboard's own key actions as a table (see keys.h); the verbs
 * join them from the kind tables. The order here is the TUI's enum order
 * (tui-internal.h, KEYMAP_QUIT first) and the help overlay's. */
#include <string.h>

#include "sitrep/core/keys.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/util.h"

const struct keys_action keys_ui[] = {
    {"quit", "q", "quit sitrep"},
    {"help", "?", "this help"},
    {"zoom", "z", "zoom the focused pane to the whole screen, or back"},
    {"next_pane", "Tab", "focus the next pane"},
    {"prev_pane", "S-Tab", "focus the previous pane"},
    {"refresh", "R", "refresh the focused pane now (all panes without focus)"},
    {"up", "Up k", "move up / scroll up"},
    {"down", "Down j", "move down / scroll down"},
    {"page_up", "PgUp", "one page up"},
    {"page_down", "PgDn", "one page down"},
    {"top", "Home", "to the top"},
    {"bottom", "End G", "to the bottom"},
    {"detail", "Enter", "details of the selected row"},
    {"filter", "/", "filter the focused pane"},
    {"next_match", "n", "next match"},
    {"prev_match", "N", "previous match"},
    {"timeline", "t", "show the incident timeline"},
    {"toggle_view", "v g", "switch the focused pane's view"},
    {"export", "e", "export the timeline as Markdown (state dir)"},
    {"annotate", "a", "add a note to the incident timeline (who and when are recorded)"},
};

const size_t keys_nui = ARRAY_LEN(keys_ui);

bool keys_known(const char *name)
{
	for (size_t i = 0; i < keys_nui; i++)
		if (strcmp(keys_ui[i].name, name) == 0)
			return true;
	return kind_verb_find(name, NULL) != NULL;
}

const char *keys_names(void)
{
	static char names[768];
	if (names[0] != '\0')
		return names;
	for (size_t i = 0; i < keys_nui; i++) {
		if (i > 0)
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
		strncat(names, keys_ui[i].name, sizeof(names) - strlen(names) - 1);
	}
	for (size_t k = 0; kind_at(k) != NULL; k++) {
		const struct kind_ops *kind = kind_at(k);
		for (size_t v = 0; v < kind->nverbs; v++) {
			strncat(names, ", ", sizeof(names) - strlen(names) - 1);
			strncat(names, kind->verbs[v]->name, sizeof(names) - strlen(names) - 1);
		}
	}
	return names;
}
