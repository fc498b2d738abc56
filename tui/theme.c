/* theme: colour themes by role. A theme file is JSON (comments allowed):
 *   { "name": "...", "roles": { "title": { "fg": "cyan", "bg": 236, "bold": true }, ... } }
 * Colours are a name ("red", "bright-red", "default"), a number 0..255 or
 * "#rrggbb" (mapped to the nearest of the 256-colour palette). A role the file
 * leaves out keeps the built-in default's style; an unknown role or key is an
 * error with its LINE:COL. Reduction to 16 / 8 colours happens at draw setup
 * (theme_reduce_color), so files are written once for 256 colours. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep-build.h"
#include "sitrep/core/jsonc.h"
#include "tui/theme.h"
#include "sitrep/core/util.h"

#define THEME_MAX_FILE (256 * 1024)

static const char *const theme_role_names[ROLE_COUNT] = {
    [ROLE_NORMAL] = "normal",
    [ROLE_TITLE] = "title",
    [ROLE_TITLE_FOCUS] = "title_focus",
    [ROLE_BORDER] = "border",
    [ROLE_BORDER_FOCUS] = "border_focus",
    [ROLE_LABEL] = "label",
    [ROLE_VALUE] = "value",
    [ROLE_OK] = "ok",
    [ROLE_WARN] = "warn",
    [ROLE_CRIT] = "crit",
    [ROLE_STALE] = "stale",
    [ROLE_ERROR] = "error",
    [ROLE_SELECTION] = "selection",
    [ROLE_DIM] = "dim",
    [ROLE_STATUS] = "status",
    [ROLE_BADGE] = "badge",
    [ROLE_SPARK] = "spark",
    [ROLE_HELP] = "help",
    [ROLE_DEPLOY_MARKER] = "deploy_marker",
};

const char *theme_role_name(enum role role)
{
	if ((int)role < 0 || role >= ROLE_COUNT)
		return "?";
	return theme_role_names[role];
}

/* The built-in default; themes/default.json says the same (a unit test checks). */
void theme_builtin(struct theme *theme)
{
	memset(theme, 0, sizeof(*theme));
	snprintf(theme->name, sizeof(theme->name), "default");
	for (int r = 0; r < ROLE_COUNT; r++)
		theme->roles[r] = (struct role_style){.fg = -1, .bg = -1};
	struct role_style *s = theme->roles;
	s[ROLE_TITLE] = (struct role_style){.fg = 6, .bg = -1, .bold = true};
	s[ROLE_TITLE_FOCUS] = (struct role_style){.fg = 0, .bg = 6, .bold = true};
	s[ROLE_BORDER] = (struct role_style){.fg = 240, .bg = -1};
	s[ROLE_BORDER_FOCUS] = (struct role_style){.fg = 6, .bg = -1, .bold = true};
	s[ROLE_LABEL] = (struct role_style){.fg = 250, .bg = -1};
	s[ROLE_VALUE] = (struct role_style){.fg = -1, .bg = -1, .bold = true};
	s[ROLE_OK] = (struct role_style){.fg = 2, .bg = -1};
	s[ROLE_WARN] = (struct role_style){.fg = 3, .bg = -1, .bold = true};
	s[ROLE_CRIT] = (struct role_style){.fg = 9, .bg = -1, .bold = true};
	s[ROLE_STALE] = (struct role_style){.fg = 5, .bg = -1};
	s[ROLE_ERROR] = (struct role_style){.fg = 9, .bg = -1, .bold = true};
	s[ROLE_SELECTION] = (struct role_style){.fg = -1, .bg = -1, .reverse = true};
	s[ROLE_DIM] = (struct role_style){.fg = 244, .bg = -1};
	s[ROLE_STATUS] = (struct role_style){.fg = 252, .bg = 236};
	s[ROLE_BADGE] = (struct role_style){.fg = 0, .bg = 3, .bold = true};
	s[ROLE_SPARK] = (struct role_style){.fg = 6, .bg = -1};
	s[ROLE_HELP] = (struct role_style){.fg = 255, .bg = 238};
	s[ROLE_DEPLOY_MARKER] = (struct role_style){.fg = 13, .bg = -1, .bold = true};
}

/* The xterm default palette: 16 system colours, a 6x6x6 cube, 24 greys. */
static void theme_rgb(int c, int *r, int *g, int *b)
{
	static const unsigned char sys[16][3] = {
	    {0, 0, 0},     {205, 0, 0},     {0, 205, 0},     {205, 205, 0},   {0, 0, 238}, {205, 0, 205},
	    {0, 205, 205}, {229, 229, 229}, {127, 127, 127}, {255, 0, 0},     {0, 255, 0}, {255, 255, 0},
	    {92, 92, 255}, {255, 0, 255},   {0, 255, 255},   {255, 255, 255},
	};
	static const unsigned char level[6] = {0, 95, 135, 175, 215, 255};
	if (c < 16) {
		*r = sys[c][0], *g = sys[c][1], *b = sys[c][2];
	} else if (c < 232) {
		c -= 16;
		*r = level[c / 36], *g = level[(c / 6) % 6], *b = level[c % 6];
	} else {
		*r = *g = *b = 8 + 10 * (c - 232);
	}
}

static int theme_nearest(int r, int g, int b, int from, int to)
{
	int best = from;
	long best_d = -1;
	for (int c = from; c < to; c++) {
		int cr, cg, cb;
		theme_rgb(c, &cr, &cg, &cb);
		long d = (long)(r - cr) * (r - cr) + (long)(g - cg) * (g - cg) + (long)(b - cb) * (b - cb);
		if (best_d < 0 || d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best;
}

/* Greys reduce by brightness, not by nearest hue: a dark-grey border must not
 * turn into black on a black background. */
static int theme_reduce_grey(int v, int colors)
{
	if (colors >= 16)
		return v < 64 ? 0 : v < 160 ? 8 : v < 216 ? 7 : 15;
	return v < 64 ? 0 : 7;
}

short theme_reduce_color(short color, int colors)
{
	if (color < 0 || colors < 8)
		return -1;
	if (color > 255)
		color = 255;
	if (colors >= 256 || color < colors)
		return color;
	int r, g, b;
	theme_rgb(color, &r, &g, &b);
	int hi = r > g ? (r > b ? r : b) : (g > b ? g : b);
	int lo = r < g ? (r < b ? r : b) : (g < b ? g : b);
	if (hi - lo < 24)
		return (short)theme_reduce_grey((r + g + b) / 3, colors);
	return (short)theme_nearest(r, g, b, 0, colors >= 16 ? 16 : 8);
}

/* Parsing. */

struct theme_parser {
	char *err;
	size_t errcap;
};

static int theme_fail(struct theme_parser *p, const struct jnode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int theme_fail(struct theme_parser *p, const struct jnode *at, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = at->key != NULL ? at->key_line : at->line;
	int col = at->key != NULL ? at->key_col : at->col;
	if (p->errcap > 0)
		snprintf(p->err, p->errcap, "%d:%d: %s", line, col, msg);
	return -1;
}

static int theme_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int theme_parse_color(struct theme_parser *p, const struct jnode *v, short *out)
{
	static const char *const names[8] = {"black", "red",     "green", "yellow",
	                                     "blue",  "magenta", "cyan",  "white"};
	if (v->type == JNODE_NUMBER) {
		if (v->number < 0 || v->number > 255 || v->number != (int)v->number)
			return theme_fail(p, v, "colour number must be an integer 0..255");
		*out = (short)v->number;
		return 0;
	}
	if (v->type != JNODE_STRING)
		return theme_fail(p, v, "expected a colour: a name, 0..255 or \"#rrggbb\", not %s",
		                  jsonc_type_name(v->type));
	const char *s = v->string;
	if (strcmp(s, "default") == 0) {
		*out = -1;
		return 0;
	}
	if (strcmp(s, "grey") == 0 || strcmp(s, "gray") == 0) {
		*out = 8;
		return 0;
	}
	if (s[0] == '#') {
		int d[6];
		if (strlen(s) != 7)
			return theme_fail(p, v, "expected \"#rrggbb\"");
		for (int i = 0; i < 6; i++)
			if ((d[i] = theme_hex(s[i + 1])) < 0)
				return theme_fail(p, v, "expected \"#rrggbb\"");
		/* Only the cube and the greys: the 16 system colours vary by terminal. */
		*out = (short)theme_nearest(d[0] * 16 + d[1], d[2] * 16 + d[3], d[4] * 16 + d[5], 16, 256);
		return 0;
	}
	int base = 0;
	if (strncmp(s, "bright-", 7) == 0) {
		base = 8;
		s += 7;
	}
	for (int i = 0; i < 8; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (short)(base + i);
			return 0;
		}
	return theme_fail(p, v,
	                  "unknown colour \"%s\" (black, red, green, yellow, blue, "
	                  "magenta, cyan, white, bright-NAME, grey, default, 0..255, #rrggbb)",
	                  v->string);
}

static int theme_parse_style(struct theme_parser *p, const struct jnode *obj, struct role_style *st)
{
	if (obj->type != JNODE_OBJECT)
		return theme_fail(p, obj,
		                  "expected an object with fg, bg, bold, underline, "
		                  "reverse, dim");
	/* Members listed explicitly: the style is replaced, not merged. */
	*st = (struct role_style){.fg = -1, .bg = -1};
	for (const struct jnode *m = obj->child; m != NULL; m = m->next) {
		bool *flag = NULL;
		if (strcmp(m->key, "fg") == 0) {
			if (theme_parse_color(p, m, &st->fg) < 0)
				return -1;
			continue;
		}
		if (strcmp(m->key, "bg") == 0) {
			if (theme_parse_color(p, m, &st->bg) < 0)
				return -1;
			continue;
		}
		if (strcmp(m->key, "bold") == 0)
			flag = &st->bold;
		else if (strcmp(m->key, "underline") == 0)
			flag = &st->underline;
		else if (strcmp(m->key, "reverse") == 0)
			flag = &st->reverse;
		else if (strcmp(m->key, "dim") == 0)
			flag = &st->dim;
		else
			return theme_fail(p, m,
			                  "unknown style key \"%s\" (fg, bg, bold, underline, "
			                  "reverse, dim)",
			                  m->key);
		if (m->type != JNODE_BOOL)
			return theme_fail(p, m, "\"%s\" must be true or false", m->key);
		*flag = m->boolean;
	}
	return 0;
}

static int theme_find_role(const char *name)
{
	for (int r = 0; r < ROLE_COUNT; r++)
		if (strcmp(theme_role_names[r], name) == 0)
			return r;
	return -1;
}

static int theme_parse_tree(struct theme *theme, struct theme_parser *p, const struct jnode *root)
{
	if (root->type != JNODE_OBJECT)
		return theme_fail(p, root, "a theme is an object with \"name\" and \"roles\"");
	const struct jnode *roles = NULL;
	for (const struct jnode *m = root->child; m != NULL; m = m->next) {
		if (strcmp(m->key, "name") == 0) {
			if (m->type != JNODE_STRING)
				return theme_fail(p, m, "\"name\" must be a string");
			snprintf(theme->name, sizeof(theme->name), "%s", m->string);
		} else if (strcmp(m->key, "description") == 0) {
			if (m->type != JNODE_STRING)
				return theme_fail(p, m, "\"description\" must be a string");
		} else if (strcmp(m->key, "roles") == 0) {
			if (m->type != JNODE_OBJECT)
				return theme_fail(p, m, "\"roles\" must be an object");
			roles = m;
		} else {
			return theme_fail(p, m, "unknown key \"%s\" (name, description, roles)", m->key);
		}
	}
	if (roles == NULL)
		return theme_fail(p, root, "missing \"roles\"");
	for (const struct jnode *m = roles->child; m != NULL; m = m->next) {
		int r = theme_find_role(m->key);
		if (r < 0)
			return theme_fail(p, m, "unknown role \"%s\"", m->key);
		if (theme_parse_style(p, m, &theme->roles[r]) < 0)
			return -1;
	}
	return 0;
}

int theme_parse(struct theme *theme, const char *name, const char *text, size_t len, char *err, size_t errcap)
{
	struct theme_parser p = {.err = err, .errcap = errcap};
	struct jsonc_error jerr;
	struct theme t;
	theme_builtin(&t);
	snprintf(t.name, sizeof(t.name), "%s", name != NULL ? name : "");
	struct jnode *root = jsonc_parse(text, len, &jerr);
	if (root == NULL) {
		if (errcap > 0)
			snprintf(err, errcap, "%d:%d: %s", jerr.line, jerr.col, jerr.msg);
		return -1;
	}
	int rc = theme_parse_tree(&t, &p, root);
	jsonc_free(root);
	if (rc == 0)
		*theme = t;
	return rc;
}

/* Theme search path, first match wins. Returns the number of directories. */
static size_t theme_dirs(char dirs[][1024], size_t max)
{
	size_t n = 0;
	const char *env = getenv("SITREP_THEME_DIR");
	if (env != NULL && env[0] != '\0' && n < max)
		snprintf(dirs[n++], 1024, "%s", env);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg != NULL && xdg[0] == '/' && n < max)
		snprintf(dirs[n++], 1024, "%s/sitrep/themes", xdg);
	else if (home != NULL && home[0] != '\0' && n < max)
		snprintf(dirs[n++], 1024, "%s/.config/sitrep/themes", home);
	if (n < max)
		snprintf(dirs[n++], 1024, "%s", SITREP_DATA_THEMES);
	if (n < max)
		snprintf(dirs[n++], 1024, "%s", SITREP_SOURCE_THEMES);
	return n;
}

static int theme_load_path(struct theme *theme, const char *name, const char *path, char *err, size_t errcap)
{
	size_t len;
	char *text = util_read_file(path, THEME_MAX_FILE, &len);
	if (text == NULL) {
		snprintf(err, errcap, "theme %s: %s", path, strerror(errno));
		return -1;
	}
	char perr[400];
	int rc = theme_parse(theme, name, text, len, perr, sizeof(perr));
	free(text);
	if (rc < 0)
		snprintf(err, errcap, "%s:%s", path, perr);
	return rc;
}

int theme_load(struct theme *theme, const char *name, char *err, size_t errcap)
{
	if (errcap > 0)
		err[0] = '\0';
	if (name == NULL || name[0] == '\0')
		name = "default";
	int rc = -1;
	/* A name with a slash is a file path; a bare name is looked up. */
	if (strchr(name, '/') != NULL) {
		rc = theme_load_path(theme, name, name, err, errcap);
	} else {
		char dirs[4][1024];
		size_t ndirs = theme_dirs(dirs, 4);
		bool found = false;
		for (size_t i = 0; i < ndirs && !found; i++) {
			char *path = xasprintf("%s/%s.json", dirs[i], name);
			FILE *f = fopen(path, "r");
			if (f != NULL) {
				fclose(f);
				found = true;
				rc = theme_load_path(theme, name, path, err, errcap);
			}
			free(path);
		}
		if (!found) {
			theme_builtin(theme);
			/* The built-in default is the default theme: nothing to report. */
			if (strcmp(name, "default") == 0)
				return 0;
			snprintf(err, errcap, "theme \"%s\" not found, using the built-in default", name);
			return -1;
		}
	}
	if (rc < 0) {
		theme_builtin(theme);
		size_t used = strlen(err);
		if (used + 1 < errcap)
			snprintf(err + used, errcap - used, " (using the built-in default)");
	}
	return rc;
}
