/* config: strict loading of the JSON config. Every problem is reported as
 * FILE:LINE:COL: message, naming what was expected. Sources read their own
 * options through the config_get_* readers below; any member nobody read is an
 * unknown key, so a typo never silently falls back to a default. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/core/config.h"
#include "sitrep/core/keys.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/io/spawn.h"
#include "sitrep/core/util.h"

#define CONFIG_MAX_BYTES  (4u << 20)
#define CONFIG_MAX_PANES  16
#define CONFIG_MAX_SECRET (64u * 1024)
/* How long a pipe or FIFO (-c <(generate)) may stay silent before we give up. */
#define CONFIG_PIPE_WAIT_MS   10000
#define CONFIG_PIPE_WAIT_TEXT "10 seconds"
/* Names longer than this are never "close" to a valid key. */
#define CONFIG_NAME_MAX 64

/* Named keys accepted besides single printable characters. */
static const char *const config_key_names[] = {
    "Tab",  "S-Tab", "Enter", "Esc",       "Space",  "Up",     "Down", "Left", "Right", "PgUp",
    "PgDn", "Home",  "End",   "Backspace", "Delete", "Insert", "F1",   "F2",   "F3",    "F4",
    "F5",   "F6",    "F7",    "F8",        "F9",     "F10",    "F11",  "F12",
};

/* Adds an error to err: the first also fills err's own line, col and msg;
 * past CONFIG_MAX_ERRORS they are only counted. The file name and the message
 * are sanitized here, once for every error: both may quote config text (a
 * pane id, a key, a path) that must not reach a terminal raw through
 * --check-config. line 0: no position. */
static int config_failv(struct config_error *err, const char *file, int line, int col, const char *fmt,
                        va_list ap) __attribute__((format(printf, 5, 0)));

static int config_failv(struct config_error *err, const char *file, int line, int col, const char *fmt,
                        va_list ap)
{
	char *msg = sanitize_vprintf(sizeof(err->msg) - sizeof(SANITIZE_CUT_MARK), fmt, ap);
	if (err->count == 0) {
		sanitize_into(err->file, sizeof(err->file), file, strlen(file));
		err->line = line;
		err->col = col;
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	}
	if (err->count < CONFIG_MAX_ERRORS) {
		struct config_error_at *at = &err->all[err->count];
		at->line = line;
		at->col = col;
		snprintf(at->msg, sizeof(at->msg), "%s", msg);
	}
	err->count++;
	free(msg);
	return -1;
}

/* An error about the file as a whole (cannot read it, too large): no position. */
static int config_fail_file(struct config_error *err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int config_fail_file(struct config_error *err, const char *file, const char *fmt, ...)
{
	memset(err, 0, sizeof(*err));
	va_list ap;
	va_start(ap, fmt);
	config_failv(err, file, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int config_fail(struct config_ctx *ctx, const struct jnode *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_failv(ctx->err, ctx->file, at != NULL ? at->line : 1, at != NULL ? at->col : 1, fmt, ap);
	va_end(ap);
	return -1;
}

/* Errors about a member name point at the name, not the value. */
static int config_fail_key(struct config_ctx *ctx, const struct jnode *member, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int config_fail_key(struct config_ctx *ctx, const struct jnode *member, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	config_failv(ctx->err, ctx->file, member->key_line, member->key_col, fmt, ap);
	va_end(ap);
	return -1;
}

/* A file that holds or leads to secrets (the config names commands to run,
 * URLs and conninfo; a token file is the secret) should be its owner's alone.
 * This is a warning, not an error: it goes to stderr at once, so every CLI mode
 * shows it without touching stdout (where --once writes JSON), and the
 * dashboard prints it before it takes the screen, where it is still to be read
 * after quitting. */
/* The last warning, for the dashboard's status line (stderr is behind the
 * alternate screen while it runs). */
static char config_warning_text[700];

static void config_warn_mode(const char *what, const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) && !S_ISFIFO(st->st_mode))
		return;
	unsigned mode = (unsigned)st->st_mode & 07777;
	const char *who = (mode & (S_IWGRP | S_IWOTH)) != 0   ? "change"
	                  : (mode & (S_IRGRP | S_IROTH)) != 0 ? "read"
	                                                      : NULL;
	if (who == NULL)
		return;
	char *safe = sanitize_str(path);
	snprintf(config_warning_text, sizeof(config_warning_text),
	         "warning: %s %s has mode %04o: group or others can %s it (chmod 600 %s)", what, safe, mode,
	         who, safe);
	fprintf(stderr, "sitrep: %s\n", config_warning_text);
	free(safe);
}

const char *config_warning(void)
{
	return config_warning_text[0] != '\0' ? config_warning_text : NULL;
}

/* Reads a config or secret file whole, into a new NUL-terminated buffer; NULL
 * with errno on failure (ETIMEDOUT: a pipe stayed silent). The file is opened
 * non-blocking so a FIFO without a writer cannot hang the open; a pipe or FIFO
 * (-c <(generate)) is then waited on with poll until its writer closes it,
 * instead of failing with EAGAIN. Reading stops at max - 1 bytes. st gets the
 * fstat of what was read, for the permission check. */
static char *config_read_file(const char *path, size_t max, size_t *len, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, st) < 0 || S_ISDIR(st->st_mode)) {
		int e = S_ISDIR(st->st_mode) ? EISDIR : errno;
		close(fd);
		errno = e;
		return NULL;
	}
	/* a FIFO whose writer has not come yet reads as end of file: wait */
	char *buf = util_read_fd(fd, max, S_ISFIFO(st->st_mode) ? CONFIG_PIPE_WAIT_MS : -1, len);
	int e = errno;
	close(fd);
	errno = e;
	return buf;
}

static const char *config_read_error(int e)
{
	return e == ETIMEDOUT ? "the pipe sent nothing for " CONFIG_PIPE_WAIT_TEXT : strerror(e);
}

void config_error_format(const struct config_error *err, char *buf, size_t cap)
{
	if (err->line > 0)
		snprintf(buf, cap, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else
		snprintf(buf, cap, "%s: %s", err->file, err->msg);
}

static int config_error_cmp(const void *a, const void *b)
{
	const struct config_error_at *x = *(const struct config_error_at *const *)a,
	                             *y = *(const struct config_error_at *const *)b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	/* same place: the order found (qsort is not stable) */
	return x < y ? -1 : x > y;
}

void config_error_print(const struct config_error *err, FILE *out)
{
	size_t kept = err->count < CONFIG_MAX_ERRORS ? err->count : CONFIG_MAX_ERRORS;
	if (kept == 0) {
		/* filled by hand (a parse error, a caller's own): the one error */
		char line[1200];
		config_error_format(err, line, sizeof(line));
		fprintf(out, "%s\n", line);
		return;
	}
	/* in the order of the file, as an editor's list of errors would be */
	const struct config_error_at *order[CONFIG_MAX_ERRORS];
	for (size_t i = 0; i < kept; i++)
		order[i] = &err->all[i];
	qsort(order, kept, sizeof(order[0]), config_error_cmp);
	for (size_t i = 0; i < kept; i++) {
		if (order[i]->line > 0)
			fprintf(out, "%s:%d:%d: %s\n", err->file, order[i]->line, order[i]->col,
			        order[i]->msg);
		else
			fprintf(out, "%s: %s\n", err->file, order[i]->msg);
	}
	if (err->count > kept)
		fprintf(out, "%s: %zu more errors not shown (at most %d are listed at once)\n", err->file,
		        err->count - kept, CONFIG_MAX_ERRORS);
}

/* Edits between two names (insert, delete, replace, or swap two neighbours:
 * optimal string alignment), letters compared without case. SIZE_MAX for
 * names too long to be keys. */
static size_t config_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > CONFIG_NAME_MAX || lb > CONFIG_NAME_MAX)
		return SIZE_MAX;
	size_t d[CONFIG_NAME_MAX + 1][CONFIG_NAME_MAX + 1];
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++) {
		for (size_t j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t best = d[i - 1][j - 1] + (ca != cb);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[la][lb];
}

/* Whether typed is close enough to the valid key to be a misspelling of it:
 * about one edit per three letters of the key ("ur1" for "url", "pains" for
 * "panes"), or a cut-short or run-on form of a long key ("refresh" for
 * "refresh_seconds"). Returns the distance, or SIZE_MAX when not close. */
static size_t config_closeness(const char *typed, const char *valid)
{
	size_t lt = strlen(typed), lv = strlen(valid);
	size_t d = config_distance(typed, valid);
	if (d == SIZE_MAX)
		return SIZE_MAX;
	if (d <= (lv + 2) / 3 && d < lv)
		return d;
	size_t shorter = lt < lv ? lt : lv;
	if (shorter >= 4 && strncasecmp(typed, valid, shorter) == 0)
		return d;
	return SIZE_MAX;
}

/* The name readers asked obj for that is nearest to typed, or NULL when none
 * is close enough to suggest. */
static const char *config_nearest(const struct jnode *obj, const char *typed)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;
	for (size_t i = 0; i < obj->nasked; i++) {
		size_t d = config_closeness(typed, obj->asked[i]);
		if (d < best_d) {
			best_d = d;
			best = obj->asked[i];
		}
	}
	return best;
}

/* The name in list (names separated by ", ", as kind_names and keys_names
 * give them) nearest to typed, into out; false when none is close enough. */
static bool config_nearest_in(const char *list, const char *typed, char *out, size_t cap)
{
	size_t best_d = SIZE_MAX;
	for (const char *p = list; *p != '\0';) {
		const char *end = strstr(p, ", ");
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		char name[CONFIG_NAME_MAX + 1];
		if (n <= CONFIG_NAME_MAX) {
			memcpy(name, p, n);
			name[n] = '\0';
			size_t d = config_closeness(typed, name);
			if (d < best_d) {
				best_d = d;
				snprintf(out, cap, "%s", name);
			}
		}
		p += n;
		if (*p != '\0')
			p += 2;
	}
	return best_d != SIZE_MAX;
}

/* The sources a kind takes, "a, b, c" (the note source last, as any kind
 * takes it). Static buffer. */
static const char *config_kind_sources(const char *kind)
{
	static char list[512];
	list[0] = '\0';
	for (size_t i = 0; source_at(i) != NULL; i++) {
		const struct source_ops *o = source_at(i);
		if (o->kind == NULL || strcmp(o->kind, kind) != 0)
			continue;
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
		         list[0] != '\0' ? ", " : "", o->name);
	}
	snprintf(list + strlen(list), sizeof(list) - strlen(list), "%snote", list[0] != '\0' ? ", " : "");
	return list;
}

/* A required key is absent. If a member nobody has read is a misspelling of
 * it ("ur1" beside a missing "url"), that member is the real mistake: report
 * it at its own position, as an unknown key, instead of hiding it behind
 * "missing". Members that are not close to the missing key may still be valid
 * keys a reader has not reached yet, so they are left to config_check_unknown. */
static int config_missing(struct config_ctx *ctx, struct jnode *obj, const char *key, const char *what)
{
	struct jnode *typo = NULL;
	size_t typo_d = SIZE_MAX;
	for (struct jnode *c = obj != NULL && obj->type == JNODE_OBJECT ? obj->child : NULL; c != NULL;
	     c = c->next) {
		size_t d = c->used ? SIZE_MAX : config_closeness(c->key, key);
		if (d < typo_d) {
			typo_d = d;
			typo = c;
		}
	}
	if (typo != NULL)
		return config_fail_key(ctx, typo, "unknown key \"%s\" (did you mean \"%s\"?)", typo->key,
		                       key);
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

int config_get_number(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required, double def,
                      double min, double max, double *out)
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

int config_get_argv(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required, char ***out)
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
			return config_fail(ctx, e, "\"%s\" must be an array of strings (an argv, no shell)",
			                   key);
		}
		argv[i++] = xstrdup(e->string);
	}
	*out = argv;
	return 0;
}

/* A name a shell and execve take as a variable's: a letter or '_', then
 * letters, digits and '_'. */
static bool config_env_name_ok(const char *s)
{
	if (!(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s != '\0'; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

int config_get_env_names(struct config_ctx *ctx, struct jnode *obj, const char *key, char ***out)
{
	struct jnode *arr;
	*out = NULL;
	if (config_get_node(ctx, obj, key, JNODE_ARRAY, false, &arr) < 0)
		return -1;
	if (arr == NULL)
		return 0;
	if (arr->count == 0)
		return config_fail(ctx, arr, "\"%s\" must name at least one variable (or be left out)", key);
	char **names = xcalloc(arr->count + 1, sizeof(char *));
	size_t n = 0;
	for (struct jnode *e = arr->child; e != NULL; e = e->next) {
		const char *why = NULL;
		if (e->type != JNODE_STRING || strlen(e->string) != e->len)
			why = "must be an array of variable names";
		else if (!config_env_name_ok(e->string))
			why = "names variables: a letter or '_', then letters, digits and '_'";
		for (size_t i = 0; why == NULL && i < n; i++)
			if (strcmp(names[i], e->string) == 0)
				why = "names this variable twice";
		if (why != NULL) {
			config_free_argv(names);
			return config_fail(ctx, e, "\"%s\" %s", key, why);
		}
		names[n++] = xstrdup(e->string);
	}
	*out = names;
	return 0;
}

/* What makes a secret unsafe to send, or NULL. A secret goes into an HTTP
 * header or a conninfo string, where a CR or LF would start a header (or a
 * request) of its own and other control bytes have no business. */
static const char *config_secret_flaw(const char *v, size_t len)
{
	if (len == 0)
		return "is empty";
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == '\r')
			return "contains a carriage return (CR)";
		if (c == '\n')
			return "contains a line break (LF)";
		if (c == '\0')
			return "contains a NUL byte";
		if (c < 0x20 || c == 0x7F)
			return "contains a control character";
	}
	return NULL;
}

/* The secret in a token file: one trailing newline (what editors and `echo`
 * add) and trailing spaces are dropped; anything else odd refuses the file. */
static int config_read_secret(struct config_ctx *ctx, struct jnode *at, const char *file,
                              const char *file_key, char **out)
{
	size_t len;
	struct stat st;
	char *v = config_read_file(file, CONFIG_MAX_SECRET, &len, &st);
	if (v == NULL)
		return config_fail(ctx, at, "cannot read %s (from \"%s\"): %s", file, file_key,
		                   config_read_error(errno));
	config_warn_mode("token file", file, &st);
	if (len >= CONFIG_MAX_SECRET - 1) {
		explicit_bzero(v, len);
		free(v);
		return config_fail(ctx, at, "%s (from \"%s\") is larger than %u KiB: not a token", file,
		                   file_key, CONFIG_MAX_SECRET / 1024);
	}
	if (len > 0 && v[len - 1] == '\n')
		v[--len] = '\0';
	while (len > 0 && v[len - 1] == ' ')
		v[--len] = '\0';
	const char *flaw = config_secret_flaw(v, len);
	if (flaw != NULL) {
		/* wiped over its whole length: a NUL inside would stop strlen */
		explicit_bzero(v, len);
		free(v);
		return config_fail(
		    ctx, at, "token file %s (from \"%s\") %s%s", file, file_key, flaw,
		    len == 0 ? ""
		             : ": refused, a secret must be one line of printable text (one trailing "
		               "newline is fine)");
	}
	*out = v;
	return 0;
}

int config_get_secret(struct config_ctx *ctx, struct jnode *obj, const char *env_key, const char *file_key,
                      char **out)
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
		const char *flaw = v != NULL ? config_secret_flaw(v, strlen(v)) : NULL;
		if (v == NULL || *v == '\0')
			rc = config_fail(ctx, jsonc_get(obj, env_key),
			                 "environment variable %s (from \"%s\") is not set", env, env_key);
		else if (flaw != NULL)
			rc =
			    config_fail(ctx, jsonc_get(obj, env_key),
			                "environment variable %s (from \"%s\") %s: refused, a secret must be "
			                "one line of printable text",
			                env, env_key, flaw);
		else
			*out = xstrdup(v);
	} else if (file != NULL) {
		rc = config_read_secret(ctx, jsonc_get(obj, file_key), file, file_key, out);
	}
	/* From here on no output can carry it: the sanitizer masks it. And no
	 * child inherits its variable unless its command's "pass_env" names it. */
	if (rc == 0 && *out != NULL)
		sanitize_add_secret(*out);
	if (rc == 0 && env != NULL)
		spawn_withhold_env(env);
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

/* The unknown member c of obj: with the nearest name readers asked for, or
 * else the list of them when it is short enough to read. */
static int config_unknown(struct config_ctx *ctx, const struct jnode *obj, const struct jnode *c,
                          const char *what)
{
	const char *near = config_nearest(obj, c->key);
	if (near != NULL)
		return config_fail_key(ctx, c, "unknown key \"%s\" in %s (did you mean \"%s\"?)", c->key,
		                       what, near);
	char list[300];
	size_t n = 0;
	for (size_t i = 0; i < obj->nasked && n < sizeof(list); i++) {
		int k = snprintf(list + n, sizeof(list) - n, "%s%s", i > 0 ? ", " : "", obj->asked[i]);
		n = k < 0 ? sizeof(list) : n + (size_t)k;
	}
	if (obj->nasked == 0 || n >= sizeof(list))
		return config_fail_key(ctx, c, "unknown key \"%s\" in %s", c->key, what);
	return config_fail_key(ctx, c, "unknown key \"%s\" in %s (expected one of: %s)", c->key, what, list);
}

int config_check_unknown(struct config_ctx *ctx, struct jnode *obj, const char *what)
{
	if (obj == NULL || obj->type != JNODE_OBJECT)
		return 0;
	int rc = 0;
	/* every unknown or duplicate member, not only the first */
	for (struct jnode *c = obj->child; c != NULL; c = c->next) {
		/* JSON readers disagree on which duplicate wins: refuse to guess */
		struct jnode *d = obj->child;
		while (d != c && strcmp(d->key, c->key) != 0)
			d = d->next;
		if (d != c)
			rc = config_fail_key(ctx, c,
			                     "duplicate key \"%s\" in %s (first at line %d, column %d)",
			                     c->key, what, d->key_line, d->key_col);
		else if (!c->used)
			rc = config_unknown(ctx, obj, c, what);
	}
	return rc;
}

/* A name sitrep will print back in messages (the theme): no control
 * characters, so an error about it cannot carry a terminal escape. */
static int config_plain_name(struct config_ctx *ctx, struct jnode *obj, const char *key, const char *value)
{
	for (const char *p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7F)
			return config_fail(ctx, jsonc_get(obj, key),
			                   "\"%s\" must not contain control characters", key);
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
	int rc = 0;
	for (struct jnode *c = obj->child; c != NULL; c = c->next) {
		c->used = true;
		/* the dashboard's actions and every kind's verbs (core/keys.c) */
		if (!keys_known(c->key)) {
			char near[CONFIG_NAME_MAX + 1];
			if (config_nearest_in(keys_names(), c->key, near, sizeof(near)))
				rc =
				    config_fail_key(ctx, c,
				                    "unknown action \"%s\" in \"keys\" (did you mean \"%s\"? "
				                    "expected one of: %s)",
				                    c->key, near, keys_names());
			else
				rc = config_fail_key(
				    ctx, c, "unknown action \"%s\" in \"keys\" (expected one of: %s)", c->key,
				    keys_names());
			continue;
		}
		if (c->type != JNODE_STRING) {
			rc = config_type(ctx, c, c->key, "a key name such as \"q\", \"Tab\" or \"F5\"");
			continue;
		}
		if (!config_valid_key_spec(c->string)) {
			rc = config_fail(ctx, c,
			                 "\"%s\" is not a key sitrep can bind (expected one printable "
			                 "character, or Tab, S-Tab, Enter, Esc, Space, arrows, PgUp, PgDn, "
			                 "Home, End, F1..F12; no Ctrl chords)",
			                 c->string);
			continue;
		}
		cfg->keys = xrealloc(cfg->keys, (cfg->nkeys + 1) * sizeof(*cfg->keys));
		cfg->keys[cfg->nkeys].name = xstrdup(c->key);
		cfg->keys[cfg->nkeys].key = xstrdup(c->string);
		cfg->nkeys++;
	}
	return rc;
}

/* "releases, git, ..., dir, restic": the sources whose panes take
 * "pass_env", for its error message. Caller frees. */
static char *config_command_sources(void)
{
	char *out = xstrdup("");
	for (size_t i = 0; source_at(i) != NULL; i++) {
		if (!source_at(i)->runs_commands)
			continue;
		char *next = xasprintf("%s%s%s", out, out[0] != '\0' ? ", " : "", source_at(i)->name);
		free(out);
		out = next;
	}
	return out;
}

static int config_pane(struct config *cfg, struct config_ctx *ctx, struct jnode *node, size_t index)
{
	struct pane_config *pc = &cfg->panes[index];
	if (node->type != JNODE_OBJECT)
		return config_fail(ctx, node, "each pane must be an object, not %s",
		                   jsonc_type_name(node->type));
	pc->node = node;
	if (config_get_string(ctx, node, "kind", true, NULL, &pc->kind) < 0)
		return -1;
	struct jnode *kind_node = jsonc_get(node, "kind");
	char near[CONFIG_NAME_MAX + 1];
	if (kind_find(pc->kind) == NULL) {
		if (config_nearest_in(kind_names(), pc->kind, near, sizeof(near)))
			return config_fail(
			    ctx, kind_node,
			    "unknown pane kind \"%s\" (did you mean \"%s\"? expected one of: %s)", pc->kind,
			    near, kind_names());
		return config_fail(ctx, kind_node, "unknown pane kind \"%s\" (expected one of: %s)", pc->kind,
		                   kind_names());
	}
	/* a kind with one natural source (logs, timeline) names it in its table;
	 * for the others a missing source lists what the kind takes */
	const char *def_source = kind_find(pc->kind)->default_source;
	const char *sources = config_kind_sources(pc->kind);
	if (def_source == NULL && jsonc_get(node, "source") == NULL) {
		char *what = xasprintf("one of: %s, for kind \"%s\"", sources, pc->kind);
		config_missing(ctx, node, "source", what);
		free(what);
		return -1;
	}
	if (config_get_string(ctx, node, "source", false, def_source, &pc->source) < 0)
		return -1;
	struct jnode *src_node = jsonc_get(node, "source");
	const struct jnode *src_at = src_node != NULL ? src_node : node;
	pc->ops = source_find(pc->source);
	if (pc->ops == NULL || (pc->ops->kind != NULL && strcmp(pc->ops->kind, pc->kind) != 0)) {
		/* the nearest of this kind's sources: "prom" in a metrics pane is
		 * prometheus, whatever else the build has */
		bool close = config_nearest_in(sources, pc->source, near, sizeof(near));
		const char *feeds = pc->ops != NULL ? pc->ops->kind : NULL;
		pc->ops = NULL;
		if (feeds != NULL)
			return config_fail(
			    ctx, src_at,
			    "source \"%s\" feeds \"%s\" panes, not \"%s\" (kind \"%s\" takes: %s)",
			    pc->source, feeds, pc->kind, pc->kind, sources);
		if (close)
			return config_fail(
			    ctx, src_at, "unknown source \"%s\" (did you mean \"%s\"? kind \"%s\" takes: %s)",
			    pc->source, near, pc->kind, sources);
		return config_fail(ctx, src_at,
		                   "unknown source \"%s\" (kind \"%s\" takes: %s; this build has: %s)",
		                   pc->source, pc->kind, sources, source_names());
	}
	char *def_id = xasprintf("%s%zu", pc->kind, index + 1);
	int rc = config_get_string(ctx, node, "id", false, def_id, &pc->id);
	free(def_id);
	if (rc < 0)
		return -1;
	if (!config_valid_id(pc->id))
		return config_fail(ctx, jsonc_get(node, "id"),
		                   "pane id \"%s\" must be 1-32 letters, digits, '-', '_' or '.'", pc->id);
	for (size_t i = 0; i < index; i++) {
		/* a pane with an error before its id has none */
		if (cfg->panes[i].id == NULL || strcmp(cfg->panes[i].id, pc->id) != 0)
			continue;
		/* a default id ("metrics2") has no "id" member: point at the pane */
		const struct jnode *here = jsonc_get(node, "id"),
		                   *first = jsonc_get(cfg->panes[i].node, "id");
		if (first == NULL)
			first = cfg->panes[i].node;
		return config_fail(ctx, here != NULL ? here : node,
		                   "duplicate pane id \"%s\" (first at line %d, column %d%s)", pc->id,
		                   first->line, first->col,
		                   here == NULL ? "; this is the pane's default id, give it an \"id\"" : "");
	}
	if (config_get_string(ctx, node, "title", false, NULL, &pc->title) < 0)
		return -1;
	if (config_get_number(ctx, node, "refresh_seconds", false, 0, 0.1, 86400, &pc->refresh_seconds) < 0)
		return -1;
	/* the secret variables the pane's own commands get: only sources that
	 * run any read it (and offer it in "did you mean"); elsewhere it is an
	 * error that says where it belongs */
	if (pc->ops == NULL || !pc->ops->runs_commands) {
		for (struct jnode *c = node->child; c != NULL; c = c->next) {
			if (strcmp(c->key, "pass_env") != 0)
				continue;
			if (pc->ops != NULL && pc->ops->pass_env_elsewhere != NULL)
				return config_fail(ctx, c, "%s", pc->ops->pass_env_elsewhere);
			char *list = config_command_sources();
			int failed =
			    config_fail(ctx, c,
			                "a %s pane with source \"%s\" runs no command: \"pass_env\" is for "
			                "panes whose source runs commands (%s) and log inputs of type "
			                "\"command\"",
			                pc->kind, pc->source, list);
			free(list);
			return failed;
		}
		return 0;
	}
	if (config_get_env_names(ctx, node, "pass_env", &pc->pass_env) < 0)
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
	sanitize_into(err->file, sizeof(err->file), name, strlen(name));

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
	/* Every mistake is reported in one run: a bad value does not stop the
	 * others from being read, and a bad pane does not stop the next pane. */
	int rc = 0;
	if (config_get_number(&ctx, root, "refresh_seconds", false, 2, 0.1, 86400, &cfg->refresh_seconds) < 0)
		rc = -1;
	if (config_get_string(&ctx, root, "theme", false, "default", &cfg->theme) < 0 ||
	    config_plain_name(&ctx, root, "theme", cfg->theme) < 0)
		rc = -1;
	if (config_get_bool(&ctx, root, "read_only", false, &cfg->read_only) < 0)
		rc = -1;
	if (config_get_bool(&ctx, root, "mouse", true, &cfg->mouse) < 0)
		rc = -1;
	if (config_get_string(&ctx, root, "state_dir", false, NULL, &cfg->state_dir) < 0)
		rc = -1;
	/* the share stream (core/share.c): publish on the socket, and for whom */
	if (config_get_bool(&ctx, root, "share", false, &cfg->share) < 0 ||
	    config_get_string(&ctx, root, "share_group", false, NULL, &cfg->share_group) < 0 ||
	    config_get_string(&ctx, root, "share_socket", false, NULL, &cfg->share_socket) < 0)
		rc = -1;
	if (cfg->theme == NULL)
		cfg->theme = xstrdup("default");
	if (cfg->state_dir == NULL)
		cfg->state_dir = config_default_state_dir();
	struct jnode *keys, *panes;
	if (config_get_node(&ctx, root, "keys", JNODE_OBJECT, false, &keys) < 0 ||
	    (keys != NULL && config_keys(cfg, &ctx, keys) < 0))
		rc = -1;
	if (config_get_node(&ctx, root, "panes", JNODE_ARRAY, true, &panes) < 0)
		rc = -1;
	/* every top-level key has been asked for: a typo there is reported
	 * first, before anything inside the panes */
	if (config_check_unknown(&ctx, root, "the top level") < 0)
		rc = -1;
	if (panes == NULL)
		return -1;
	if (panes->count == 0)
		return config_fail(&ctx, panes, "\"panes\" must list at least one pane");
	if (panes->count > CONFIG_MAX_PANES)
		return config_fail(&ctx, panes, "at most %d panes fit on a screen, not %zu", CONFIG_MAX_PANES,
		                   panes->count);
	cfg->panes = xcalloc(panes->count, sizeof(*cfg->panes));
	for (struct jnode *p = panes->child; p != NULL; p = p->next) {
		struct pane_config *pc = &cfg->panes[cfg->npanes];
		if (config_pane(cfg, &ctx, p, cfg->npanes) < 0) {
			pc->invalid = true;
			rc = -1;
		}
		cfg->npanes++;
	}
	return rc;
}

int config_load_file(struct config *cfg, const char *path, struct config_error *err)
{
	size_t len;
	struct stat st;
	*cfg = (struct config){0};
	char *text = config_read_file(path, CONFIG_MAX_BYTES, &len, &st);
	if (text == NULL)
		return config_fail_file(err, path, "cannot read the config: %s", config_read_error(errno));
	if (len >= CONFIG_MAX_BYTES - 1) {
		free(text);
		return config_fail_file(err, path, "the config is larger than %u bytes", CONFIG_MAX_BYTES);
	}
	int rc = config_load_text(cfg, path, text, len, err);
	free(text);
	/* the warning stands whether or not the config is valid */
	config_warn_mode("config file", path, &st);
	return rc;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->npanes; i++) {
		free(cfg->panes[i].id);
		free(cfg->panes[i].kind);
		free(cfg->panes[i].source);
		free(cfg->panes[i].title);
		config_free_argv(cfg->panes[i].pass_env);
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
	free(cfg->share_group);
	free(cfg->share_socket);
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
