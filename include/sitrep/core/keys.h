/* keys: the key contract (docs/sitrep.1, KEYS) as data. The dashboard's own actions
 * (quit, help, zoom, ...) with their default keys and help, in help order;
 * the verbs' keys come from the kind tables (kind.h). The config's "keys"
 * object is checked against both, and the TUI's key map is built from both,
 * so an action is named once. Key specs: a printable character, or Tab,
 * S-Tab, Enter, Esc, Space, Up, Down, Left, Right, PgUp, PgDn, Home, End,
 * Backspace, Delete, Insert, F1..F12; several are separated by spaces. */
#ifndef SITREP_KEYS_H
#define SITREP_KEYS_H

#include <stdbool.h>
#include <stddef.h>

struct keys_action {
	const char *name; /* as in the config's "keys": "next_pane" */
	const char *keys; /* default key specs: "j Down" */
	const char *help; /* one line for the help overlay */
};

/* The dashboard's own actions, in the order the help overlay lists them. */
extern const struct keys_action keys_ui[];
extern const size_t keys_nui;

/* True when name is a dashboard action or any kind's verb. */
bool keys_known(const char *name);
/* Every name keys_known accepts, for error messages: "quit, help, ...". */
const char *keys_names(void);

#endif
