/* backups-common: what the sources of a backups pane share. Each source
 * ("dir", "pgbackrest", "restic") is a struct backups_backend: its keys, a
 * fetch that fills one backup set (by reading a directory, or through
 * one-shot commands of run.c) and the production restore commands for the
 * detail view. The common part (backends/backups.c) does the rest the same
 * way for all: the judging keys ("name", "max_age", "max_shrink"), the
 * PostgreSQL data at risk ("conninfo"), the comparison with the deploy
 * marks, publishing, and re-publishing when a deploy pane brings new marks.
 *
 * The parsers of the tools' output are declared here so the unit tests and
 * the fuzz target reach them; each is defined in its source's file. */
#ifndef SITREP_BACKENDS_BACKUPS_COMMON_H
#define SITREP_BACKENDS_BACKUPS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitrep/backups.h"
#include "sitrep/config.h"
#include "sitrep/run.h"

struct source;
struct action;
struct backups_source;
struct backups_job;

/* ---- parsers (unit-tested and fuzzed) ---- */

/* `pgbackrest info --output=json`: the stanza called stanza (the only one
 * when stanza is NULL). Adds its backups to set (newest first), sets
 * set->running when a backup holds the lock. 0, or -1 with a message in
 * err (not JSON, no such stanza, the stanza's status is an error other
 * than "no valid backups"). */
int pgbackrest_parse_info(struct backup_set *set, const char *json, size_t len, const char *stanza, char *err,
                          size_t cap);
/* `restic snapshots --json`: an array of snapshots. Adds one backup per
 * snapshot (raw: the full id, label: the short id and paths). 0, or -1
 * with a message in err. */
int restic_parse_snapshots(struct backup_set *set, const char *json, size_t len, char *err, size_t cap);
/* `restic stats --json ID`: total_size into *size. 0, or -1. */
int restic_parse_stats(const char *json, size_t len, int64_t *size);
/* The format of a dump from its first bytes: "custom" (PGDMP), "gzip",
 * "zstd", "plain" (SQL text), or "unknown". */
const char *backups_dir_format(const unsigned char *head, size_t n);
/* Reads a dump directory: the regular files in dir whose names match
 * pattern (fnmatch), newest first, at most keep of them in set (count of
 * all in *matched). Symlinks are never followed: one that leads out of the
 * directory is named in *warning (a new string, NULL none). The newest and
 * the one before it are sniffed (format, zero bytes, a plain dump without
 * its end marker). 0, or -1 with errno's words in err (the directory is
 * gone). */
int backups_dir_scan(struct backup_set *set, const char *dir, const char *pattern, size_t keep,
                     size_t *matched, char **warning, char *err, size_t cap);
/* `psql -At` output of the archiver query (backups.c's), one line of
 * fields separated by 0x1f, into r; stop_lsn (may be NULL) of the newest
 * backup and its stop time give wal_bytes and seconds. 0, or -1. */
int backups_parse_archiver(struct backups_risk *r, const char *text, size_t len, const char *stop_lsn,
                           int64_t stop_time);

/* ---- the sources ---- */

/* How a backend's fetch ends: exactly one call, set (owned, taken) filled,
 * or an error (sanitized by the callee). */
void backups_fetched(struct backups_source *bs, struct backup_set *set);
void backups_fetch_failed(struct backups_source *bs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- actions (backends/backups-act.c) ---- */

/* What a step of a verify is for: setting up the scratch target, the
 * restore itself (its time is the measured restore time), a check of what
 * was restored, or removing the scratch target (run whatever happened
 * before, when the step it depends on ran). */
enum backups_step_role { BACKUPS_STEP_SETUP, BACKUPS_STEP_RESTORE, BACKUPS_STEP_CHECK, BACKUPS_STEP_CLEANUP };

struct backups_step {
	enum backups_step_role role;
	char **argv; /* owned */
	char **env;  /* owned "NAME=value" set on top of the environment (a password), NULL */
	unsigned timeout_ms;
	int after;  /* cleanup: runs only when step `after` succeeded; -1: always */
	bool count; /* check: its answer is a list; the finding is how many lines (files) */
};

/* A verify: every command the dialog shows, in order. */
struct backups_plan {
	struct backups_step *steps;
	size_t n;
	char *target;       /* "database sitrep_verify_...", "directory /tmp/sitrep-verify-..." */
	char *scratch;      /* a path that must not exist when the verify starts (sitrep's own), NULL none */
	bool mkdir_scratch; /* sitrep creates it (0700) before the first step */
	char *label;        /* the backup restored */
	bool need_rows;     /* the default sanity query: a restore with no table fails */
};

/* Adds a step: the elements of prefix (may be NULL: a tool's configured
 * argv), then the listed ones (copied, NULL-terminated). Returns its index. */
int backups_plan_add(struct backups_plan *p, enum backups_step_role role, unsigned timeout_ms, int after,
                     char *const *env, char *const *prefix, ...) __attribute__((sentinel));
void backups_act_stop(struct backups_source *bs);
/* The sanity queries of the pane (its "sanity", else the row counts of the
 * five largest tables), NULL-terminated; *is_default says which. */
char *const *backups_sanity(const struct backups_source *bs, bool *is_default);
/* "NAME=value" entries for a child that needs the pane's password (psql:
 * PGPASSWORD), NULL-terminated, owned (config_free_argv); NULL without one. */
char **backups_password_env(const struct backups_source *bs, const char *name);
/* A loopback TCP port free now, 0 when none. */
int backups_free_port(void);

struct backups_backend {
	const char *name; /* the config's "source" */
	/* Reads the backend's keys into *data (allocated). 0, or -1 with ctx->err set. */
	int (*init)(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node, void **data);
	/* One fetch into a new set (name, source, where, judging keys already
	 * set by the common part); ends in backups_fetched or backups_fetch_failed. */
	void (*fetch)(struct backups_source *bs, struct backup_set *set);
	/* Optional: the production restore commands for the newest good backup,
	 * one line each (to copy, never run by sitrep), into set->restore. */
	void (*restore_text)(struct backups_source *bs, struct backup_set *set);
	/* Optional: the steps of a verify of backup b (the newest usable) into a
	 * scratch target named from stamp ("20261207T221500-4242"). 0, or -1
	 * with why in err (nothing to restore into configured). */
	int (*verify_plan)(struct backups_source *bs, const struct backup *b, struct backups_plan *plan,
	                   const char *stamp, char *err, size_t cap);
	/* Stops what fetch started (run_cancel); frees data. */
	void (*cancel)(struct backups_source *bs);
	void (*free)(void *data);
};

struct backups_source {
	struct source *src;
	const struct backups_backend *be;
	void *data; /* the backend's */
	char *name; /* the set's name */
	double max_age_s;
	double max_shrink;
	char *conninfo;              /* PostgreSQL, for the data at risk; NULL: none */
	char *password;              /* its password (a registered secret), NULL */
	char **psql;                 /* psql argv prefix */
	struct backup_set *fetching; /* the set being filled, owned until published */
	struct backup_set *last;     /* the last fetched set, owned; NULL before the first */
	struct run *run;             /* the archiver query in flight */
	uint64_t marks_seen;         /* the marks the last publish was held against */
	/* actions: the pane's keys, and the one in flight */
	char **backup;      /* "backup": argv, "{time}" in an element becomes the press's time; NULL none */
	unsigned backup_ms; /* "backup_timeout_seconds" */
	unsigned verify_ms; /* "verify_timeout_seconds": each step's limit */
	char *scratch_dir;  /* "scratch_dir": where a verify's scratch directory is made */
	char **sanity;      /* "sanity": SQL queries, NULL: the default */
	char **pg_ctl;      /* "pg_ctl": argv prefix */
	char **pg_restore;  /* "pg_restore": argv prefix */
	char *verify_user;  /* "verify_user": who psql connects as to a restored cluster */
	char *verify_database;   /* "verify_database": and to which database */
	struct backups_job *job; /* the action in flight, NULL */
	bool subscribed;
};

/* The one-shot runner's options every backup tool gets: argv, timeout,
 * the pane's pass_env. */
struct run *backups_run(struct backups_source *bs, char *const *argv, char *const *env, unsigned timeout_ms,
                        run_done_cb cb, void *arg);
/* Why a command failed, for an error: "pgbackrest: exited with status 1: ERROR: [055] ..." (sanitized). */
char *backups_run_error(const char *tool, const struct run_result *res);
/* s quoted for a POSIX shell when it needs it ('...' with ' as '\''), for
 * the restore commands people copy. Caller frees. */
char *backups_shell_quote(const char *s);

/* Reads the action keys into bs (from backups_source_init). 0, or -1. */
int backups_act_init(struct backups_source *bs, struct config_ctx *ctx, struct jnode *node);
void backups_act_free(struct backups_source *bs);
/* Called by the common part after each publish, and when a refresh failed
 * (error non-NULL): a backup waiting for its new backup to show checks. */
void backups_act_fetched(struct backups_source *bs, const char *error);

/* Common source hooks; each backend's source_ops points at them. */
int backups_source_prepare(struct source *src, struct action *a, char *err, size_t cap);
int backups_source_act(struct source *src, const struct action *a);
int backups_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node,
                        const struct backups_backend *be);
int backups_source_start(struct source *src);
void backups_source_refresh(struct source *src);
void backups_source_stop(struct source *src);
void backups_source_destroy(struct source *src);

#endif
