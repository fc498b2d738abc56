/* timeline: the incident's story. The store subscribes to the event bus and
 * keeps every event but per-refresh data changes: persisted as JSON lines in
 * state_dir/timeline.jsonl (one write per line, rotated to timeline.jsonl.1
 * past TIMELINE_ROTATE_BYTES), and the latest TIMELINE_KEEP in memory for the
 * dashboard. Actions are not written there: their record is the audit log
 * (state_dir/audit.jsonl, core/action.c), which the timeline reads beside its
 * own file, so a restarted sitrep shows the whole history, in time order.
 *
 * Order, everywhere the timeline is shown or exported (the pane, the `t`
 * overlay, `sitrep timeline`, --markdown, `e`, --once): by event time, and
 * entries of the same millisecond by arrival (the order the bus delivered
 * them; read back from the files: timeline.jsonl.1, timeline.jsonl, then the
 * audit log, each in file order). An event that arrives late (a deploy
 * found by the next poll, with its own earlier time) takes its place by
 * time, not at the end. */
#ifndef SITREP_TIMELINE_H
#define SITREP_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct app;
struct timeline;

#define TIMELINE_KEEP         1000
#define TIMELINE_ROTATE_BYTES (4u << 20)

/* One entry, events and actions alike. Strings owned by the store. */
struct timeline_entry {
	int64_t time_ms;
	char *type;    /* "status", "new_error", ..., or "action" for an audit record */
	char *level;   /* "info", "ok", "warn", "crit"; for actions the result */
	char *pane;    /* may be "" */
	char *who;     /* the user for actions, "sitrep" for events */
	char *subject; /* "silence HighCPU", "CPU", ... */
	char *text;    /* the sentence */
	uint64_t seq;  /* arrival order in this store: the tie-break of equal times */
	char *what;    /* an audit record's exact effect (the query, the paths), one line; NULL none */
	/* An occurrence (a new error group, a spike), not a state that lasts
	 * until another comes: recorded each time, never "still open". */
	bool once;
};

/* Frees an entry's strings and zeroes it. */
void timeline_entry_clear(struct timeline_entry *e);

/* Opens the store for app: reads both files back (the last TIMELINE_KEEP
 * entries) and subscribes to the bus. persist false: in memory only (--once). */
struct timeline *timeline_open(struct app *app, int persist);
void timeline_close(struct timeline *tl);
size_t timeline_count(const struct timeline *tl);
/* Entry i, oldest first. */
const struct timeline_entry *timeline_entry(const struct timeline *tl, size_t i);
/* Changes whenever an entry is added: a view redraws when it differs. */
uint64_t timeline_generation(const struct timeline *tl);
/* The timeline as Markdown (a title and a table), entries at or after
 * since_ms (0: all). Every outside string is inert: plain words as they are,
 * anything else in a code span (no tag, link, image or block of outside
 * text renders). Caller frees. */
char *timeline_markdown(const struct timeline *tl, int64_t since_ms);
/* `e` in the dashboard: the report `sitrep timeline --markdown` prints
 * (read from the state files, so an action names its exact effect from the
 * audit log; the store's entries when the files cannot be used) as a new
 * 0600 file
 * state_dir/timeline-YYYYMMDDTHHMMSSZ.md (-2, -3, ... when the name is
 * taken), opened by the state dir's rules (statefile.h). 0 with *path (the
 * file, sanitized for display; caller frees), or -1 with errno and msg. */
int timeline_export(const struct timeline *tl, char **path, char *msg, size_t cap);
/* Why the last write to state_dir/timeline.jsonl failed ("events not
 * saved: ..."), else why the state files could not be read back at start
 * ("history not read: ..."): a sentence naming the file and the reason;
 * NULL when all is well. err (may be NULL) gets its errno.
 * The dashboard shows it on the status line until a write succeeds. */
const char *timeline_state_error(const struct timeline *tl, int *err);
/* The longest note kept, in bytes (a longer one is cut). */
#define TIMELINE_NOTE_MAX 500
/* A note (`a` in the dashboard): text by the user ($USER, as for an
 * action), now, added to the store and to state_dir/timeline.jsonl (type
 * "note", with "who"), so the pane, `sitrep timeline` and the export show
 * it. Read-only mode refuses it like any change: recorded by the action
 * gate (audit log, event), nothing added. Returns 0; 3 refused; 2 no text;
 * 1 not saved (kept in memory); msg says why (cap bytes). */
int timeline_note(struct timeline *tl, const char *text, char *msg, size_t cap);
/* `sitrep note TEXT...`: the same from a shell (the words joined by a
 * space). Exit code 0 added, 1 not written, 2 bad usage, 3 refused. */
int timeline_note_cli(struct app *app, int argc, char **argv);
/* Who last acted with verb on target in pane at or after since_ms (an
 * action's entry, live or read back from the audit log), NULL when nobody
 * did: the deploys kind names who rolled back, not who made the release.
 * The string is the store's, valid until the next entry. */
const char *timeline_action_by(const struct timeline *tl, const char *pane, const char *verb,
                               const char *target, int64_t since_ms);
/* One line of text for an entry (the `sitrep timeline` format). Caller frees. */
char *timeline_entry_text(const struct timeline_entry *e);

/* The timeline kind's data (kinds/kind-timeline.c): a copy of the newest
 * entries, newest first, published by the "events" source. Owned by the
 * snapshot; free with timeline_data_free. */
struct timeline_data {
	struct timeline_entry *entries;
	size_t n;
};

/* A copy of the newest max entries of tl (tl NULL: none). */
struct timeline_data *timeline_data_copy(const struct timeline *tl, size_t max);
void timeline_data_free(void *data);

/* `sitrep timeline [--markdown] [--since DURATION]`: prints the timeline to
 * stdout. Returns the exit code: 0, 1 when the state dir or a file in it is
 * refused or cannot be read (the reason, with the file, on stderr; nothing
 * of a refused dir is printed), 2 for bad usage. */
int timeline_cli(struct app *app, int argc, char **argv);

#endif
