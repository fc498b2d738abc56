/* marks: the deploys in view, for the markers every graph draws, and the
 * last deploy for every source that relates what it sees to one (the CDN's
 * "stale since deploy r42", the logs' "new since", the database's storm). The
 * module subscribes to EVENT_DEPLOY on the app's bus (a deploy seen while
 * sitrep runs); the deploys kind adds the history it finds at start
 * directly, so a graph shows the deploy of 22:14 even when sitrep started at
 * 22:30, while the timeline records only what happened in front of it.
 * Panes and sources read the marks through their app (marks_of): nobody
 * else subscribes to deploys. */
#ifndef SITREP_MARKS_H
#define SITREP_MARKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct marks;

#define MARKS_MAX    64
#define MARKS_ID_MAX 64

struct mark {
	int64_t time_ms;       /* wall clock of the deploy */
	char id[MARKS_ID_MAX]; /* "r42", sanitized (cut when longer) */
	uint64_t seq;          /* order of arrival */
	bool deployed;         /* seen as a deploy (EVENT_DEPLOY), not only found in the history */
};

/* Opens the marks of app and subscribes to its bus; one per app. NULL when
 * the subscription fails. */
struct marks *marks_open(struct app *app);
/* Unsubscribes and frees; m may be NULL. */
void marks_close(struct marks *m);
/* The marks of app, or NULL (none opened: --once, `sitrep do`). */
struct marks *marks_of(const struct app *app);
/* Adds a deploy (time_ms 0 or below: ignored). The same id at the same time
 * is kept once; the oldest marks leave past MARKS_MAX. m may be NULL. */
void marks_add(struct marks *m, int64_t time_ms, const char *id);
/* Marks kept, oldest first. */
size_t marks_count(const struct marks *m);
const struct mark *marks_at(const struct marks *m, size_t i);
/* The newest deploy by time, NULL when none. */
const struct mark *marks_latest(const struct marks *m);
/* The newest of the deploys that happened (EVENT_DEPLOY: the current
 * release moved, now or in the last minutes before start), NULL when none:
 * what "since the deploy" means. A release found in the history but never
 * made current is a marker, not this. */
const struct mark *marks_last_deploy(const struct marks *m);
/* The mark at exactly time_ms, NULL when none. */
const struct mark *marks_at_time(const struct marks *m, int64_t time_ms);
/* For a history of n samples, the newest at end_ms and one every step_ms:
 * the sample index counted from the newest (0: the newest) of each mark
 * inside it, into cells (at most cap). A mark falls in the sample whose
 * period (step_ms before the sample's time) holds it. Returns how many. */
size_t marks_cells(const struct marks *m, int64_t end_ms, int64_t step_ms, size_t n, int *cells, size_t cap);

#endif
