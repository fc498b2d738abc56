/* config: loads the JSON config (comments allowed), checks it strictly and
 * reports every problem as FILE:LINE:COL: message. Sources read their own keys
 * through the config_get_* helpers so that type errors carry positions and
 * unread keys are reported as unknown. */
#ifndef SITREP_CONFIG_H
#define SITREP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sitrep/core/jsonc.h"

struct source_ops;

/* How many errors one load reports (--check-config, --once, do, the
 * dashboard's start); more are counted, not kept. */
#define CONFIG_MAX_ERRORS 20

struct config_error_at {
	int line, col; /* 0: about the file as a whole */
	char msg[512];
};

/* Every error of one load, in the order found. line, col and msg repeat the
 * first (what a caller that shows one error shows). Start it zeroed:
 * config_load_text and config_load_file do, and every later error (a
 * source's, from app_create_sources) is added to it. */
struct config_error {
	char file[512];
	int line, col;
	char msg[512];
	size_t count; /* errors found; the first CONFIG_MAX_ERRORS are in all[] */
	struct config_error_at all[CONFIG_MAX_ERRORS];
};

/* Passed to every reader so errors know their file. */
struct config_ctx {
	const char *file;
	struct config_error *err;
};

struct pane_config {
	char *id;
	char *kind;
	char *source;
	char *title;            /* optional; defaults to id */
	double refresh_seconds; /* 0: the global value */
	struct jnode *node;     /* the pane's object, owned by config.root */
	char **pass_env;        /* "pass_env": the secret variables the pane's commands
	                           get (deploys, cdn panes), NULL-terminated; NULL: none */
	const struct source_ops *ops;
	bool invalid; /* the pane's own keys had an error: no source is made for it */
};

struct config_key {
	char *name; /* action name, e.g. "quit" */
	char *key;  /* key spec, e.g. "q", "Tab", "F5" */
};

struct config {
	char *path; /* file read, or "<built-in>" */
	double refresh_seconds;
	char *theme;
	bool read_only;
	bool mouse;
	bool share;         /* "share": publish the stream on the socket (--share) */
	char *share_group;  /* "share_group": the socket is 0660 with this group; NULL: 0600 */
	char *share_socket; /* "share_socket": the socket's path; NULL: the default */
	char *state_dir; /* never NULL after load */
	struct pane_config *panes;
	size_t npanes;
	struct config_key *keys; /* rebinding from "keys": { "quit": "Q" } */
	size_t nkeys;
	struct jnode *root;
	char *text;
};

/* Where the config comes from: -c FILE, else $SITREP_CONFIG, else
 * $XDG_CONFIG_HOME/sitrep/config.json (~/.config/...) if it exists, else NULL
 * (built-in default). Returns a new string or NULL. */
char *config_find_path(const char *cli_path);

/* Loads and checks a file. 0, or -1 with err filled. cfg must be freed with
 * config_free either way. A pipe or FIFO (-c <(generate)) is read until its
 * writer closes it (10 s of silence is an error). A file that group or others
 * can read or write draws a warning on stderr. Every message
 * is sanitized: config text in it cannot reach a terminal raw. */
int config_load_file(struct config *cfg, const char *path, struct config_error *err);
/* Loads a config from text (used for the built-in default and tests). */
int config_load_text(struct config *cfg, const char *name, const char *text, size_t len,
                     struct config_error *err);
/* The complete commented example printed by --example-config. */
extern const char config_example_text[];
void config_free(struct config *cfg);
/* "FILE:LINE:COL: message" of the first error into buf. */
void config_error_format(const struct config_error *err, char *buf, size_t cap);
/* Every error, one "FILE:LINE:COL: message" line each in the order of the
 * file, then how many were left out past CONFIG_MAX_ERRORS. */
void config_error_print(const struct config_error *err, FILE *out);

/* Readers for source options. Each returns 0 on success (including "absent,
 * default used") and -1 with ctx->err set at the offending node. Strings are
 * newly allocated; the caller owns them. */
int config_fail(struct config_ctx *ctx, const struct jnode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int config_get_string(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required,
                      const char *def, char **out);
int config_get_number(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required, double def,
                      double min, double max, double *out);
int config_get_bool(struct config_ctx *ctx, struct jnode *obj, const char *key, bool def, bool *out);
/* An array of strings (argv): NULL-terminated, newly allocated; *out NULL when absent. */
int config_get_argv(struct config_ctx *ctx, struct jnode *obj, const char *key, bool required, char ***out);
/* "pass_env": a non-empty array of environment variable names, each once;
 * NULL-terminated, newly allocated (config_free_argv); *out NULL when absent. */
int config_get_env_names(struct config_ctx *ctx, struct jnode *obj, const char *key, char ***out);
/* The node of an array or object member, type-checked; *out NULL when absent. */
int config_get_node(struct config_ctx *ctx, struct jnode *obj, const char *key, enum jnode_type type,
                    bool required, struct jnode **out);
/* Reports the first member of obj that no reader looked at (or a duplicate),
 * at the member's own position, with the nearest name readers asked obj for
 * ("did you mean") or else the list of them. what names the object in the
 * message ("procfs pane"). A required key that a reader finds missing first
 * looks for an unread member close to its name and reports that instead, so a
 * misspelt key is never hidden behind "missing". */
int config_check_unknown(struct config_ctx *ctx, struct jnode *obj, const char *what);
void config_free_argv(char **argv);

/* A secret from "token_env" / "token_file" keys of obj: *out NULL when neither is set.
 * The variable named by env_key is withheld from every child process whose
 * command does not name it in "pass_env" (spawn_withhold_env).
 * The value is never placed in an error message. A secret that is empty or holds
 * CR, LF (a token file may end with one newline) or another control byte is
 * refused: it would inject a header. A token file that group or others can read
 * draws a warning on stderr. */
int config_get_secret(struct config_ctx *ctx, struct jnode *obj, const char *env_key, const char *file_key,
                      char **out);
/* The last warning the loader printed on stderr ("warning: config file F has
 * mode 0644: ..."), for the dashboard to show too; NULL when none. */
const char *config_warning(void);
/* Wipes and frees a secret from config_get_secret; NULL is fine. */
void config_free_secret(char *secret);

#endif
