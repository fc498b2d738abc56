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
struct backups_source;

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

/* Common source hooks; each backend's source_ops points at them. */
int backups_source_init(struct source *src, struct config_ctx *ctx, struct jnode *node,
                        const struct backups_backend *be);
int backups_source_start(struct source *src);
void backups_source_refresh(struct source *src);
void backups_source_stop(struct source *src);
void backups_source_destroy(struct source *src);

#endif
