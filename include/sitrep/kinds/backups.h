/* backups: the data model of a backups pane (kind "backups"). A pane is one
 * backup set, read by one source: "dir" (dump files matching a glob),
 * "pgbackrest" (`pgbackrest info --output=json`) or "restic" (`restic
 * snapshots --json`). The model answers three questions before anyone
 * needs a restore: is the newest backup good and recent (the verdict), is
 * there one from before the latest deploy (against the deploy marks), and
 * how much a restore to it would lose (the WAL written since its stop
 * position, for PostgreSQL).
 *
 * The judging and the deploy comparison are pure functions of the model
 * and a clock, so the unit tests hold them against every case. Every string
 * is sanitized when it enters the model; raw identities (a file's path, a
 * pgBackRest label, a restic id) are kept apart for the actions. */
#ifndef SITREP_BACKUPS_H
#define SITREP_BACKUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kind_ops;
struct pane_ops;
struct marks;

enum backups_verdict { BACKUPS_OK, BACKUPS_WARN, BACKUPS_CRIT };

/* Defaults of the judging keys. */
#define BACKUPS_MAX_AGE_DEFAULT_S  (26 * 3600.0)
#define BACKUPS_MAX_SHRINK_DEFAULT 0.5

/* One backup: a dump file, a pgBackRest backup, a restic snapshot. */
struct backup {
	int64_t time;    /* unix seconds it was complete (mtime, stop time, snapshot time) */
	int32_t nanos;   /* within that second, when the source says (restic): two snapshots
	                    of one second are still told apart; 0 otherwise */
	int64_t start;   /* unix seconds it began, 0 when unknown */
	int64_t size;    /* bytes a restore gives (file size, database size), -1 unknown */
	int64_t stored;  /* bytes it added to the repository, -1 unknown */
	char *type;      /* "full", "diff", "incr", "dump", "snapshot" (sanitized) */
	char *format;    /* dumps: "custom", "plain", "gzip", "zstd", "unknown"; else "" */
	char *label;     /* what people call it: the file name, the label, the short id (sanitized) */
	char *raw;       /* its raw identity for commands: the path, the label, the id */
	bool complete;   /* false: failed, incomplete, zero bytes, truncated */
	char *problem;   /* why it is not complete, NULL when it is (sanitized) */
	char *stop_lsn;  /* pgBackRest: the backup's stop LSN ("0/4000138"), NULL none */
	char *wal_start; /* pgBackRest: the first and last WAL segment it needs, NULL none */
	char *wal_stop;
};

/* The deploy the set is held against: the latest deploy mark. */
struct backups_deploy {
	bool known;     /* a deploy mark exists */
	char *deploy;   /* its id (sanitized) */
	int64_t time;   /* unix seconds */
	char *previous; /* the deploy before it, NULL none */
	int64_t previous_time;
	bool covered;           /* a complete backup since the previous deploy */
	int64_t seconds_before; /* deploy time minus that backup's time (negative: after) */
	char *backup;           /* that backup's label, NULL when not covered */
	char *text;             /* "newest backup 14 min before r3 ✓", "no backup since r3 ✗" */
};

/* What a restore to the newest backup would lose, for PostgreSQL. */
struct backups_risk {
	bool known;             /* the database answered */
	char *error;            /* why it is not known, NULL */
	int64_t wal_bytes;      /* WAL written since the newest backup's stop LSN, -1 unknown */
	int64_t seconds;        /* since that backup stopped, -1 unknown */
	int64_t archived_count; /* pg_stat_archiver */
	int64_t failed_count;
	char *last_archived_wal;    /* sanitized, NULL none */
	int64_t last_archived_time; /* unix seconds, 0 never */
	char *last_failed_wal;
	int64_t last_failed_time;
	bool archiving;      /* archive_mode on */
	bool failing;        /* the last attempt failed (failed after archived) */
	char *current_lsn;   /* pg_current_wal_lsn() */
	char *restore_point; /* the newest point archiving still allows: "WAL up to SEGMENT (22:41:07)" */
};

/* A backup set: one pane. */
struct backup_set {
	char *name;             /* the config's "name", else the pane id (sanitized) */
	char *source;           /* "dir", "pgbackrest", "restic" */
	char *where;            /* the glob, stanza or repository, for people (sanitized) */
	struct backup *backups; /* newest first */
	size_t nbackups;
	size_t found;           /* backups the source found (a dir keeps only the newest); 0: nbackups */
	enum backups_verdict verdict;
	char *reason; /* why not ok, NULL when ok (sanitized) */
	char *error;  /* the backend could not be read (the directory vanished), NULL */
	struct backups_deploy deploy;
	struct backups_risk risk;
	double max_age_s; /* the judging, as configured */
	double max_shrink;
	bool verified;       /* the newest was checked cheaply (gzip -t, pg_restore --list) */
	char *verify_result; /* what that check said ("pg_restore --list: 214 entries"), NULL */
	char **restore;      /* the production restore commands, one line each, NULL-terminated, NULL none */
	char *running;       /* a backup being taken now ("backup lock held"), NULL */
};

struct backups_data {
	struct backup_set *sets;
	size_t nsets;
};

/* A new model of n empty sets; free with backups_data_free. */
struct backups_data *backups_data_new(size_t n);
void backups_data_free(void *data);
/* Frees one set allocated on its own (a source's working copy) and what it holds; NULL is fine. */
void backups_set_free(struct backup_set *set);
/* Appends an empty backup to set (all strings ""/NULL, sizes -1), returned. */
struct backup *backups_add(struct backup_set *set);
void backups_backup_clear(struct backup *b);
/* Sorts the set's backups newest first (by time, then label). */
void backups_sort(struct backup_set *set);
/* Sets *field to a sanitized copy of raw (NULL gives ""), cut at 512 bytes. */
void backups_set_text(char **field, const char *raw);

/* The newest backup and the one before it, NULL when none. */
const struct backup *backups_newest(const struct backup_set *set);
const struct backup *backups_previous(const struct backup_set *set);

/* Judges the set at now (unix seconds): sets verdict and reason. ok; warn
 * when the newest is older than max_age or smaller than the one before by
 * more than max_shrink; crit when there is none, the set's error is set, the
 * newest is not complete, none complete is within 2 x max_age, or the
 * archiver is failing. */
void backups_judge(struct backup_set *set, int64_t now);

/* Holds the set against the deploy marks (the latest, and the one before
 * it): fills set->deploy. m NULL or without marks: not known. */
void backups_against_deploys(struct backup_set *set, const struct marks *m);

/* "230 MB WAL, 14 min" into buf; "" when the risk is not known. */
void backups_risk_text(const struct backups_risk *r, char *buf, size_t cap);

/* "0/4000138" -> byte position; -1 when malformed. */
int64_t backups_parse_lsn(const char *text);

/* The word of a verdict: "ok", "warn", "crit". */
const char *backups_verdict_name(enum backups_verdict v);

extern const struct kind_ops kind_backups;
/* The pane that draws it (tui/pane-backups.c). */
extern const struct pane_ops pane_backups;

struct verb;
/* The backups kind's verbs (kinds/kind-backups.c). */
extern const struct verb kind_backups_backup;
extern const struct verb kind_backups_verify;

#endif
