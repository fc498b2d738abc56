/* config: strict loading of the JSON config. Every problem is reported as
 * FILE:LINE:COL: message, naming what was expected. Sources read their own
 * options through the config_get_* readers below; any member nobody read is an
 * unknown key, so a typo never silently falls back to a default. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/config.h"
#include "sitrep/kind.h"
#include "sitrep/source.h"
#include "sitrep/util.h"

#define CONFIG_MAX_BYTES (4u << 20)
#define CONFIG_MAX_PANES 16

/* Actions a key can be bound to in "keys". */
static const char *const config_key_actions[] = {
	"quit", "help", "zoom", "next_pane", "prev_pane", "refresh", "up", "down", "page_up",
	"page_down", "top", "bottom", "detail", "filter", "next_match", "prev_match", "timeline",
	"toggle_view", "purge", "purge_all", "restart", "rollback", "silence", "export",
};

/* Named keys accepted besides single printable characters. */
static const char *const config_key_names[] = {
	"Tab", "S-Tab", "Enter", "Esc", "Space", "Up", "Down", "Left", "Right", "PgUp", "PgDn",
	"Home", "End", "Backspace", "Delete", "Insert", "F1", "F2", "F3", "F4", "F5", "F6", "F7",
	"F8", "F9", "F10", "F11", "F12",
};

int config_fail(struct config_ctx *ctx, const struct jnode *at, const char *fmt, ...)
{
	struct config_error *err = ctx->err;
	snprintf(err->file, sizeof(err->file), "%s", ctx->file);
	err->line = at != NULL ? at->line : 1;
	err->col = at != NULL ? at->col : 1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Errors about a member name point at the name, not the value. */
static int config_fail_key(struct config_ctx *ctx, const struct jnode *member, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int config_fail_key(struct config_ctx *ctx, const struct jnode *member, const char *fmt, ...)
{
	struct config_error *err = ctx->err;
	snprintf(err->file, sizeof(err->file), "%s", ctx->file);
	err->line = member->key_line;
	err->col = member->key_col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

void config_error_format(const struct config_error *err, char *buf, size_t cap)
{
	if (err->line > 0)
		snprintf(buf, cap, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else
		snprintf(buf, cap, "%s: %s", err->file, err->msg);
}

static int config_missing(struct config_ctx *ctx, struct jnode *obj, const char *key, const char *what)
{
	return config_fail(ctx, obj, "missing \"%s\" (expected %s)", key, what);
}

static int config_type(struct config_ctx *ctx, const struct jnode *n, const char *key, const char *what)
{
	return config_fail(ctx, n, "\"%s\" must be %s, not %s", key, what, jsonc_type_name(n->type));
}

int config_get_string(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required,
		      const char *def, char **out)
{
	struct jnode *n = jsonc_get(obj, key);
	*out = NULL;
	if (n == NULL) {
		if (required)
			return config_missing(ctx, obj, key, "a string");
		*out = def != NULL ? xstrdup(def) : NULL;
		return 0;
	}
	if (n->type != JNODE_STRING)
		return config_type(ctx, n, key, "a string");
	if (strlen(n->string) != n->len)
		return config_fail(ctx, n, "\"%s\" must not contain NUL characters", key);
	if (required && n->len == 0)
		return config_fail(ctx, n, "\"%s\" must not be empty", key);
	*out = xstrdup(n->string);
	return 0;
}

int config_get_number(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required,
		      double def, double min, double max, double *out)
{
	struct jnode *n = jsonc_get(obj, key);
	*out = def;
	if (n == NULL)
		return required ? config_missing(ctx, obj, key, "a number") : 0;
	if (n->type != JNODE_NUMBER)
		return config_type(ctx, n, key, "a number");
	if (n->number < min || n->number > max)
		return config_fail(ctx, n, "\"%s\" must be between %g and %g, not %g", key, min, max,
				   n->number);
	*out = n->number;
	return 0;
}

int config_get_bool(struct config_ctx *ctx, struct jnode *obj, const char *key, bool def, bool *out)
{
	struct jnode *n = jsonc_get(obj, key);
	*out = def;
	if (n == NULL)
		return 0;
	if (n->type != JNODE_BOOL)
		return config_type(ctx, n, key, "true or false");
	*out = n->boolean;
	return 0;
}

int config_get_node(struct config_ctx *ctx, struct jnode *obj, const char *key, enum jnode_type type,
		    bool required, struct jnode **out)
{
	struct jnode *n = jsonc_get(obj, key);
	*out = NULL;
	if (n == NULL)
		return required ? config_missing(ctx, obj, key, jsonc_type_name(type)) : 0;
	if (n->type != type)
		return config_type(ctx, n, key, jsonc_type_name(type));
	*out = n;
	return 0;
}

void config_free_argv(char **argv)
{
	if (argv == NULL)
		return;
	for (char **a = argv; *a != NULL; a++)
		free(*a);
	free(argv);
}

int config_get_argv(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required,
		    char ***out)
{
	struct jnode *arr;
	*out = NULL;
	if (config_get_node(ctx, obj, key, JNODE_ARRAY, required, &arr) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	if (arr->count == 0)
		return config_fail(ctx, arr, "\"%s\" must list at least the program to run", key);
	char **argv = xcalloc(arr->count + 1, sizeof(char *));
	size_t i = 0;
	for (struct jnode *e = arr->child; e != NULL; e = e->next) {
		if (e->type != JNODE_STRING || strlen(e->string) != e->len) {
			config_free_argv(argv);
			return config_fail(ctx, e, "\"%s\" must be an array of strings (an argv, no shell)", key);
		}
		argv[i++] = xstrdup(e->string);
	}
	*out = argv;
	return 0;
}

int config_get_secret(struct config_ctx *ctx, struct jnode *obj, const char *env_key,
		      const char *file_key, char **out)
{
	char *env = NULL, *file = NULL;
	*out = NULL;
	if (config_get_string(ctx, obj, env_key, false, NULL, &env) < 0 ||
	    config_get_string(ctx, obj, file_key, false, NULL, &file) < 0) {
		free(env);
		free(file);
		return -1;
	}
	int rc = 0;
	if (env != NULL && file != NULL) {
		rc = config_fail(ctx, jsonc_get(obj, file_key), "give \"%s\" or \"%s\", not both", env_key,
				 file_key);
	} else if (env != NULL) {
		const char *v = getenv(env);
		if (v == NULL || *v == '\0')
			rc = config_fail(ctx, jsonc_get(obj, env_key),
					 "environment variable %s (from \"%s\") is not set", env, env_key);
		else
			*out = xstrdup(v);
	} else if (file != NULL) {
		size_t len;
		char *v = util_read_file(file, 64 * 1024, &len);
		if (v == NULL) {
			rc = config_fail(ctx, jsonc_get(obj, file_key), "cannot read %s (from \"%s\"): %s", file,
					 file_key, strerror(errno));
		} else {
			while (len > 0 && (v[len - 1] == '\n' || v[len - 1] == '\r' || v[len - 1] == ' '))
				v[--len] = '\0';
			*out = v;
		}
	}
	free(env);
	free(file);
	return rc;
}

void config_free_secret(char *secret)
{
	if (secret == NULL)
		return;
	/* Wiped, so a core dump holds the token for as short a time as possible;
	 * explicit_bzero, as a memset right before free may be optimised away. */
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

int config_check_unknown(struct config_ctx *ctx, struct jnode *obj, const char *what)
{
	if (obj == NULL || obj->type != JNODE_OBJECT)
		return 0;
	for (struct jnode *c = obj->child; c != NULL; c = c->next) {
		/* JSON readers disagree on which duplicate wins: refuse to guess */
		for (struct jnode *d = obj->child; d != c; d = d->next)
			if (strcmp(d->key, c->key) == 0)
				return config_fail_key(ctx, c, "duplicate key \"%s\" in %s (first at line %d)",
						       c->key, what, d->key_line);
		if (!c->used)
			return config_fail_key(ctx, c, "unknown key \"%s\" in %s", c->key, what);
	}
	return 0;
}

static bool config_valid_id(const char *id)
{
	if (*id == '\0' || strlen(id) > 32)
		return false;
	for (const char *p = id; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

static bool config_in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static bool config_valid_key_spec(const char *k)
{
	size_t n = strlen(k);
	if (n == 1)
		return k[0] > 0x20 && k[0] < 0x7F;
	return config_in_list(k, config_key_names, ARRAY_LEN(config_key_names));
}

static int config_keys(struct config *cfg, struct config_ctx *ctx, struct jnode *obj)
{
	for (struct jnode *c = obj->child; c != NULL; c = c->next) {
		c->used = true;
		if (!config_in_list(c->key, config_key_actions, ARRAY_LEN(config_key_actions)))
			return config_fail_key(ctx, c, "unknown action \"%s\" in \"keys\" (expected one of: quit, help, zoom, next_pane, prev_pane, refresh, up, down, page_up, page_down, top, bottom, detail, filter, next_match, prev_match, timeline, toggle_view, purge, purge_all, restart, rollback, silence, export)",
					       c->key);
		if (c->type != JNODE_STRING)
			return config_type(ctx, c, c->key, "a key name such as \"q\", \"Tab\" or \"F5\"");
		if (!config_valid_key_spec(c->string))
			return config_fail(ctx, c, "\"%s\" is not a key sitrep can bind (expected one printable character, or Tab, S-Tab, Enter, Esc, Space, arrows, PgUp, PgDn, Home, End, F1..F12; no Ctrl chords)",
					   c->string);
		cfg->keys = xrealloc(cfg->keys, (cfg->nkeys + 1) * sizeof(*cfg->keys));
		cfg->keys[cfg->nkeys].name = xstrdup(c->key);
		cfg->keys[cfg->nkeys].key = xstrdup(c->string);
		cfg->nkeys++;
	}
	return 0;
}

static int config_pane(struct config *cfg, struct config_ctx *ctx, struct jnode *node, size_t index)
{
	struct pane_config *pc = &cfg->panes[index];
	if (node->type != JNODE_OBJECT)
		return config_fail(ctx, node, "each pane must be an object, not %s", jsonc_type_name(node->type));
	pc->node = node;
	if (config_get_string(ctx, node, "kind", true, NULL, &pc->kind) < 0)
		return -1;
	struct jnode *kind_node = jsonc_get(node, "kind");
	if (kind_find(pc->kind) == NULL)
		return config_fail(ctx, kind_node, "unknown pane kind \"%s\" (expected one of: %s)", pc->kind,
				   kind_names());
	/* the logs pane has one source that manages its inputs; "source" is optional there */
	const char *def_source = strcmp(pc->kind, "logs") == 0 ? "logs" : NULL;
	if (config_get_string(ctx, node, "source", def_source == NULL, def_source, &pc->source) < 0)
		return -1;
	struct jnode *src_node = jsonc_get(node, "source");
	pc->ops = source_find(pc->source);
	if (pc->ops == NULL)
		return config_fail(ctx, src_node != NULL ? src_node : node,
				   "unknown source \"%s\" (this build has: %s)", pc->source, source_names());
	if (pc->ops->kind != NULL && strcmp(pc->ops->kind, pc->kind) != 0)
		return config_fail(ctx, src_node != NULL ? src_node : node,
				   "source \"%s\" feeds \"%s\" panes, not \"%s\"", pc->source, pc->ops->kind,
				   pc->kind);
	char *def_id = xasprintf("%s%zu", pc->kind, index + 1);
	int rc = config_get_string(ctx, node, "id", false, def_id, &pc->id);
	free(def_id);
	if (rc < 0)
		return -1;
	if (!config_valid_id(pc->id))
		return config_fail(ctx, jsonc_get(node, "id"),
				   "pane id \"%s\" must be 1-32 letters, digits, '-', '_' or '.'", pc->id);
	for (size_t i = 0; i < index; i++)
		if (strcmp(cfg->panes[i].id, pc->id) == 0)
			return config_fail(ctx, jsonc_get(node, "id"), "duplicate pane id \"%s\"", pc->id);
	if (config_get_string(ctx, node, "title", false, NULL, &pc->title) < 0)
		return -1;
	if (config_get_number(ctx, node, "refresh_seconds", false, 0, 0.1, 86400, &pc->refresh_seconds) < 0)
		return -1;
	return 0;
}

static char *config_default_state_dir(void)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	if (xdg != NULL && *xdg == '/')
		return xasprintf("%s/sitrep", xdg);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/state/sitrep", home != NULL && *home != '\0' ? home : "/tmp");
}

int config_load_text(struct config *cfg, const char *name, const char *text, size_t len,
		     struct config_error *err)
{
	struct config_ctx ctx = {.file = name, .err = err};
	struct jsonc_error jerr = {0};
	*cfg = (struct config){0};
	cfg->path = xstrdup(name);
	cfg->text = xstrndup(text, len);
	cfg->refresh_seconds = 2;
	cfg->mouse = true;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", name);

	cfg->root = jsonc_parse(text, len, &jerr);
	if (cfg->root == NULL) {
		err->line = jerr.line;
		err->col = jerr.col;
		snprintf(err->msg, sizeof(err->msg), "%s", jerr.msg);
		return -1;
	}
	struct jnode *root = cfg->root;
	if (root->type != JNODE_OBJECT)
		return config_fail(&ctx, root, "the config must be a JSON object, not %s",
				   jsonc_type_name(root->type));
	if (config_get_number(&ctx, root, "refresh_seconds", false, 2, 0.1, 86400, &cfg->refresh_seconds) < 0 ||
	    config_get_string(&ctx, root, "theme", false, "default", &cfg->theme) < 0 ||
	    config_get_bool(&ctx, root, "read_only", false, &cfg->read_only) < 0 ||
	    config_get_bool(&ctx, root, "mouse", true, &cfg->mouse) < 0 ||
	    config_get_string(&ctx, root, "state_dir", false, NULL, &cfg->state_dir) < 0)
		return -1;
	if (cfg->state_dir == NULL)
		cfg->state_dir = config_default_state_dir();
	struct jnode *keys, *panes;
	if (config_get_node(&ctx, root, "keys", JNODE_OBJECT, false, &keys) < 0)
		return -1;
	if (keys != NULL && config_keys(cfg, &ctx, keys) < 0)
		return -1;
	if (config_get_node(&ctx, root, "panes", JNODE_ARRAY, true, &panes) < 0)
		return -1;
	if (panes->count == 0)
		return config_fail(&ctx, panes, "\"panes\" must list at least one pane");
	if (panes->count > CONFIG_MAX_PANES)
		return config_fail(&ctx, panes, "at most %d panes fit on a screen, not %zu", CONFIG_MAX_PANES,
				   panes->count);
	cfg->panes = xcalloc(panes->count, sizeof(*cfg->panes));
	for (struct jnode *p = panes->child; p != NULL; p = p->next) {
		if (config_pane(cfg, &ctx, p, cfg->npanes) < 0) {
			cfg->npanes++;
			return -1;
		}
		cfg->npanes++;
	}
	return config_check_unknown(&ctx, root, "the top level");
}

int config_load_file(struct config *cfg, const char *path, struct config_error *err)
{
	size_t len;
	char *text = util_read_file(path, CONFIG_MAX_BYTES, &len);
	if (text == NULL) {
		*cfg = (struct config){0};
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->msg, sizeof(err->msg), "cannot read the config: %s", strerror(errno));
		return -1;
	}
	if (len >= CONFIG_MAX_BYTES - 1) {
		free(text);
		*cfg = (struct config){0};
		memset(err, 0, sizeof(*err));
		snprintf(err->file, sizeof(err->file), "%s", path);
		snprintf(err->msg, sizeof(err->msg), "the config is larger than %u bytes", CONFIG_MAX_BYTES);
		return -1;
	}
	int rc = config_load_text(cfg, path, text, len, err);
	free(text);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->npanes; i++) {
		free(cfg->panes[i].id);
		free(cfg->panes[i].kind);
		free(cfg->panes[i].source);
		free(cfg->panes[i].title);
	}
	free(cfg->panes);
	for (size_t i = 0; i < cfg->nkeys; i++) {
		free(cfg->keys[i].name);
		free(cfg->keys[i].key);
	}
	free(cfg->keys);
	free(cfg->path);
	free(cfg->theme);
	free(cfg->state_dir);
	jsonc_free(cfg->root);
	free(cfg->text);
	*cfg = (struct config){0};
}

static bool config_is_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *config_find_path(const char *cli_path)
{
	if (cli_path != NULL)
		return xstrdup(cli_path);
	const char *env = getenv("SITREP_CONFIG");
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	const char *xdg = getenv("XDG_CONFIG_HOME");
	char *path;
	if (xdg != NULL && *xdg == '/') {
		path = xasprintf("%s/sitrep/config.json", xdg);
	} else {
		const char *home = getenv("HOME");
		if (home == NULL || *home == '\0')
			return NULL;
		path = xasprintf("%s/.config/sitrep/config.json", home);
	}
	if (config_is_file(path))
		return path;
	free(path);
	return NULL;
}
