/* theme: colours by role. Drawing code names roles only; themes/NAME.json map
 * each role to a foreground, background and attributes, reduced to what the
 * terminal can do (256, 16, 8 colours, or none under NO_COLOR). */
#ifndef SITREP_THEME_H
#define SITREP_THEME_H

#include <stdbool.h>
#include <stddef.h>

enum role {
	ROLE_NORMAL,
	ROLE_TITLE,
	ROLE_TITLE_FOCUS,
	ROLE_BORDER,
	ROLE_BORDER_FOCUS,
	ROLE_LABEL,
	ROLE_VALUE,
	ROLE_OK,
	ROLE_WARN,
	ROLE_CRIT,
	ROLE_STALE,
	ROLE_ERROR,
	ROLE_SELECTION,
	ROLE_DIM,
	ROLE_STATUS,
	ROLE_BADGE,
	ROLE_SPARK,
	ROLE_HELP,
	ROLE_DEPLOY_MARKER, /* a deploy's time on a sparkline */
	ROLE_COUNT
};

struct role_style {
	short fg, bg; /* colour numbers 0..255, -1 default */
	bool bold, underline, reverse, dim;
};

struct theme {
	char name[64];
	struct role_style roles[ROLE_COUNT];
};

/* Role names as used in theme files ("title", "warn", ...). */
const char *theme_role_name(enum role role);
/* Parses theme JSON text; 0, or -1 with "LINE:COL: message" in err. */
int theme_parse(struct theme *theme, const char *name, const char *text, size_t len, char *err,
                size_t errcap);
/* Loads themes/NAME.json from the theme search path; falls back to the built-in
 * default with a message in err when it cannot. Returns 0 when NAME was loaded. */
int theme_load(struct theme *theme, const char *name, char *err, size_t errcap);
void theme_builtin(struct theme *theme);
/* Maps a colour to the nearest one among `colors` (8, 16, 256). */
short theme_reduce_color(short color, int colors);

#endif
