/* timeline: the store of the incident's events (see timeline.h). Both files
 * it reads are outside text (they may have been edited), so every field is
 * sanitized again on the way in. Writes happen on the loop, one short line
 * per event, so the file is a log, not a database: no fsync (the audit log,
 * which records actions, is the file that is synced). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/core/event-bus.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/timeline.h"
#include "sitrep/core/util.h"

#define TIMELINE_MAX_READ (64u << 20)
/* What a start reads of each file: far more than TIMELINE_KEEP entries */
#define TIMELINE_START_READ (2u << 20)
/* How many (pane, subject) states the store remembers to drop repeats. */
#define TIMELINE_STATES 512

struct timeline_state {
	char *id;    /* "pane\x1fsubject" */
	char *state; /* the type and level last written */
};

struct timeline {
	struct app *app;
	int persist;
	/* Why the state files could not be read at start, or why the last write
	 * failed (a sentence naming the file); "" when all is well. Shown on the
	 * status line: events that are not saved must not go unnoticed. */
	char read_error[STATEFILE_MSG_MAX + 32];
	char write_error[STATEFILE_MSG_MAX + 32];
	int read_errno, write_errno;
	bool read_clears; /* the read error was about the dir or timeline.jsonl: a write ends it */
	struct timeline_entry *ring;
	size_t head, n; /* ring of TIMELINE_KEEP, head = oldest, in time order */
	uint64_t gen;
	uint64_t seq; /* arrival order, the tie-break of equal times */
	struct timeline_state states[TIMELINE_STATES];
	size_t nstates, next_state;
};

/* ---- entries ---- */

void timeline_entry_clear(struct timeline_entry *e)
{
	free(e->type);
	free(e->level);
	free(e->pane);
	free(e->who);
	free(e->subject);
	free(e->text);
	free(e->what);
	memset(e, 0, sizeof(*e));
}

static char *timeline_clean(const char *s)
{
	return sanitize_str(s != NULL ? s : "");
}

static struct timeline_entry *timeline_slot(struct timeline *tl, size_t i)
{
	return &tl->ring[(tl->head + i) % TIMELINE_KEEP];
}

/* Adds e (the store takes its strings) in event-time order: an event can
 * arrive after a newer one (a deploy is known by its own time, found on the
 * next poll), so it goes after every entry of its time or before, never
 * simply at the end. Ties keep arrival order (e->seq). A full store drops
 * its oldest entry; an arrival older than all it keeps is dropped itself. */
static void timeline_push(struct timeline *tl, struct timeline_entry *e)
{
	e->seq = ++tl->seq;
	size_t pos = tl->n;
	while (pos > 0 && timeline_slot(tl, pos - 1)->time_ms > e->time_ms)
		pos--;
	if (tl->n == TIMELINE_KEEP) {
		if (pos == 0) {
			timeline_entry_clear(e);
			return;
		}
		timeline_entry_clear(timeline_slot(tl, 0));
		tl->head = (tl->head + 1) % TIMELINE_KEEP;
		tl->n--;
		pos--;
	}
	for (size_t i = tl->n; i > pos; i--)
		*timeline_slot(tl, i) = *timeline_slot(tl, i - 1);
	*timeline_slot(tl, pos) = *e;
	tl->n++;
	tl->gen++;
}

size_t timeline_count(const struct timeline *tl)
{
	return tl != NULL ? tl->n : 0;
}

const struct timeline_entry *timeline_entry(const struct timeline *tl, size_t i)
{
	return i < tl->n ? &tl->ring[(tl->head + i) % TIMELINE_KEEP] : NULL;
}

uint64_t timeline_generation(const struct timeline *tl)
{
	return tl != NULL ? tl->gen : 0;
}

/* ---- repeats: a state already recorded (after a restart) is not news ---- */

/* A state (subject is at a level until another event says otherwise), as
 * opposed to core's own events (a deploy, an action, a note) and to
 * occurrences. Which kind published it, and its word for the state, do not
 * matter: a state is known by its pane and subject. */
static bool timeline_is_state(const struct timeline_entry *e)
{
	return !e->once && strcmp(e->type, event_type_name(EVENT_DEPLOY)) != 0 &&
	       strcmp(e->type, "note") != 0 && strncmp(e->type, "action", 6) != 0;
}

/* Records the state of (pane, subject); true when it is the same as before.
 * A deploy is known by its pane, id and time: seen again after a restart, it
 * is the same deploy. */
static bool timeline_same_state(struct timeline *tl, const struct timeline_entry *e)
{
	if (event_type_from_name(e->type) == EVENT_DEPLOY) {
		char subject[300];
		snprintf(subject, sizeof(subject), "%s@%lld", e->subject, (long long)e->time_ms);
		struct timeline_entry d = *e;
		d.subject = subject;
		d.type = (char *)"status"; /* a state of its own, never changed */
		return timeline_same_state(tl, &d);
	}
	if (!timeline_is_state(e))
		return false;
	/* an alert firing and resolved, a pane failing and back, are one state
	 * each: the transitions of one (pane, subject) */
	char *id = xasprintf("%s\x1f%s", e->pane, e->subject);
	char *state = xasprintf("%s/%s", e->type, e->level);
	for (size_t i = 0; i < tl->nstates; i++) {
		if (strcmp(tl->states[i].id, id) != 0)
			continue;
		bool same = strcmp(tl->states[i].state, state) == 0;
		free(tl->states[i].state);
		tl->states[i].state = state;
		free(id);
		return same;
	}
	struct timeline_state *slot = &tl->states[tl->next_state];
	tl->next_state = (tl->next_state + 1) % TIMELINE_STATES;
	if (tl->nstates < TIMELINE_STATES)
		tl->nstates++;
	free(slot->id);
	free(slot->state);
	slot->id = id;
	slot->state = state;
	return false;
}

/* ---- files ---- */

static int64_t timeline_parse_time(const cJSON *o)
{
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "ms");
	/* an edited file may say anything: only a plausible time is taken
	 * (before the year 5000), the rest falls back to "time" */
	if (cJSON_IsNumber(ms) && ms->valuedouble > 0 && ms->valuedouble < 95617584000000.0)
		return (int64_t)ms->valuedouble;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "time");
	if (!cJSON_IsString(t) || t->valuestring == NULL)
		return 0;
	struct tm tm = {0};
	const char *end = strptime(t->valuestring, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return 0;
	time_t when = timegm(&tm);
	return when > 0 ? (int64_t)when * 1000 : 0;
}

static const char *timeline_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : "";
}

/* One line of either file as an entry; false when it is not one. */
/* An occurrence, not a state: a line says so ("once": true); a line
 * written before the bus knew states by their names (no "once" field) was
 * one when its type was one of the two occurrences of that vocabulary. */
static bool timeline_once(const cJSON *o, const char *type)
{
	const cJSON *once = cJSON_GetObjectItemCaseSensitive(o, "once");
	if (cJSON_IsBool(once))
		return cJSON_IsTrue(once);
	return strcmp(type, "new_error") == 0 || strcmp(type, "error_spike") == 0;
}

static bool timeline_parse_line(const char *line, size_t len, bool audit, struct timeline_entry *e)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return false;
	}
	memset(e, 0, sizeof(*e));
	e->time_ms = timeline_parse_time(o);
	if (audit) {
		e->type = xstrdup("action");
		e->who = timeline_clean(timeline_str(o, "user"));
		char *what = xasprintf("%s %s", timeline_str(o, "action"), timeline_str(o, "target"));
		e->subject = timeline_clean(what);
		free(what);
		e->level = timeline_clean(timeline_str(o, "result"));
		e->text = timeline_clean(timeline_str(o, "detail"));
		/* what the action acted on, exactly (the query text, the paths):
		 * the record's effect, its lines joined, bounded */
		const char *effect = timeline_str(o, "what");
		if (effect[0] != '\0') {
			char *flat = xstrdup(effect);
			for (char *c = flat; *c != '\0'; c++)
				if (*c == '\n' || *c == '\r' || *c == '\t')
					*c = ' ';
			e->what = sanitize(flat, strlen(flat), 600);
			free(flat);
		}
	} else {
		e->type = timeline_clean(timeline_str(o, "type"));
		e->once = timeline_once(o, e->type);
		/* a note says who wrote it; every other event is sitrep's */
		const char *who = timeline_str(o, "who");
		e->who = timeline_clean(strcmp(e->type, "note") == 0 && who[0] != '\0' ? who : "sitrep");
		e->subject = timeline_clean(timeline_str(o, "subject"));
		e->level = timeline_clean(timeline_str(o, "level"));
		e->text = timeline_clean(timeline_str(o, "text"));
	}
	e->pane = timeline_clean(timeline_str(o, "pane"));
	cJSON_Delete(o);
	return true;
}

struct timeline_list {
	struct timeline_entry *v;
	size_t n, cap;
};

/* The newest max bytes of dir/name, from a line's start: a long history
 * (the audit log is never rotated) costs the start no more than its tail,
 * and the CLI shows the newest entries rather than the oldest. The file is
 * opened by the state dir's rules (statefile.h): never a FIFO, a symlink or
 * a file another user could have written. NULL with errno and msg. Caller
 * frees. */
static char *timeline_read_tail(int dfd, const char *dir, const char *name, size_t max, size_t *len,
                                char *msg, size_t cap)
{
	int fd = state_openat(dfd, dir, name, STATEFILE_READ, msg, cap);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > max)
		lseek(fd, st.st_size - (off_t)max, SEEK_SET);
	else
		st.st_size = 0;
	char *text = util_read_fd(fd, max + 1, -1, len);
	int e = errno;
	close(fd);
	if (text == NULL) {
		char *path = xasprintf("%s/%s", dir, name);
		char *shown = sanitize_str(path);
		free(path);
		snprintf(msg, cap, "cannot read %s: %s", shown, strerror(e));
		free(shown);
		errno = e;
		return NULL;
	}
	if (st.st_size > 0) {
		/* started inside a line: drop its end */
		char *nl = memchr(text, '\n', *len);
		size_t skip = nl != NULL ? (size_t)(nl - text) + 1 : *len;
		memmove(text, text + skip, *len - skip + 1);
		*len -= skip;
	}
	return text;
}

/* Appends every entry of the newest max bytes of a file; a missing file has
 * none. -1 with errno and msg when it exists but may not or cannot be read. */
static int timeline_read_file(int dfd, const char *dir, const char *name, bool audit, size_t max,
                              struct timeline_list *out, char *msg, size_t cap)
{
	size_t len = 0;
	char *text = timeline_read_tail(dfd, dir, name, max, &len, msg, cap);
	if (text == NULL)
		return errno == ENOENT ? 0 : -1;
	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(text + len - p);
		struct timeline_entry e;
		if (l > 0 && timeline_parse_line(p, l, audit, &e)) {
			if (out->n == out->cap) {
				out->cap = out->cap ? out->cap * 2 : 256;
				out->v = xrealloc(out->v, out->cap * sizeof(*out->v));
			}
			out->v[out->n++] = e;
		}
		p += l + 1;
	}
	free(text);
	return 0;
}

struct timeline_sorted {
	struct timeline_entry e;
	size_t seq;
};

static int timeline_cmp(const void *pa, const void *pb)
{
	const struct timeline_sorted *a = pa, *b = pb;
	if (a->e.time_ms != b->e.time_ms)
		return a->e.time_ms < b->e.time_ms ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Every entry of the newest max bytes of the three files (the rotated one,
 * the current one and the audit log), in time order; ties keep file order.
 * A state dir that does not exist yet holds nothing. -1 with errno and msg
 * (the first failure) when the dir or a file may not or cannot be read:
 * a refused dir gives no entries at all (another user could have forged
 * them); a bad file is skipped and the others are still read. *bad names
 * the file that failed first (NULL: the dir). */
static int timeline_read_all(const char *dir, size_t max, struct timeline_list *out, char *msg, size_t cap,
                             const char **bad)
{
	static const struct {
		const char *name;
		bool audit;
	} files[] = {{"timeline.jsonl.1", false}, {"timeline.jsonl", false}, {"audit.jsonl", true}};
	*bad = NULL; /* the dir itself, when it is refused */
	int dfd = statefile_dir(dir, false, msg, cap);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -1;
	int rc = 0, err = 0;
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char one[STATEFILE_MSG_MAX];
		if (timeline_read_file(dfd, dir, files[i].name, files[i].audit, max, out, one, sizeof(one)) !=
		        0 &&
		    rc == 0) {
			rc = -1;
			err = errno;
			*bad = files[i].name;
			snprintf(msg, cap, "%s", one);
		}
	}
	close(dfd);
	/* Time order, ties in file order (qsort is not stable: the position
	 * breaks ties). */
	struct timeline_sorted *tmp = xcalloc(out->n + 1, sizeof(*tmp));
	for (size_t i = 0; i < out->n; i++) {
		tmp[i].e = out->v[i];
		tmp[i].seq = i;
	}
	qsort(tmp, out->n, sizeof(*tmp), timeline_cmp);
	for (size_t i = 0; i < out->n; i++)
		out->v[i] = tmp[i].e;
	free(tmp);
	errno = err;
	return rc;
}

/* Appends line (n bytes, ending in a newline) to state_dir/timeline.jsonl,
 * rotating it past TIMELINE_ROTATE_BYTES. 0, or -1 with errno and msg. */
static int timeline_append_line(const char *dir, const char *line, size_t n, char *msg, size_t cap)
{
	int dfd = statefile_dir(dir, true, msg, cap);
	if (dfd < 0)
		return -1;
	int fd = state_openat(dfd, dir, "timeline.jsonl", STATEFILE_APPEND, msg, cap);
	int rc = -1, e = errno;
	if (fd >= 0) {
		/* one write: lines from two processes never interleave */
		if (statefile_write_all(fd, line, n) != 0) {
			e = errno;
			char *shown = sanitize_str(dir);
			snprintf(msg, cap, "cannot write %s/timeline.jsonl: %s", shown, strerror(e));
			free(shown);
		} else {
			rc = 0;
		}
		struct stat st;
		if (rc == 0 && fstat(fd, &st) == 0 && (size_t)st.st_size > TIMELINE_ROTATE_BYTES &&
		    renameat(dfd, "timeline.jsonl", dfd, "timeline.jsonl.1") != 0) {
			/* bounded: the current file becomes .1, replacing the older one */
			rc = -1;
			e = errno;
			char *shown = sanitize_str(dir);
			snprintf(msg, cap, "cannot rotate %s/timeline.jsonl: %s", shown, strerror(e));
			free(shown);
		}
		close(fd);
	}
	close(dfd);
	errno = e;
	return rc;
}

/* What the file and the view call an event: a state by the publisher's
 * word for it, the rest by their type. */
static const char *timeline_event_type(const struct event *ev)
{
	return ev->type == EVENT_STATE && ev->name != NULL ? ev->name : event_type_name(ev->type);
}

static void timeline_write(struct timeline *tl, const struct event *ev)
{
	if (!tl->persist || tl->app->cfg.state_dir == NULL)
		return;
	char when[32];
	util_rfc3339((time_t)(ev->time_ms / 1000), when, sizeof(when));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddNumberToObject(o, "ms", (double)ev->time_ms);
	cJSON_AddStringToObject(o, "type", timeline_event_type(ev));
	cJSON_AddStringToObject(o, "level", event_level_name(ev->level));
	if (ev->once)
		cJSON_AddTrueToObject(o, "once");
	cJSON_AddStringToObject(o, "pane", ev->pane != NULL ? ev->pane : "");
	cJSON_AddStringToObject(o, "subject", ev->subject != NULL ? ev->subject : "");
	cJSON_AddStringToObject(o, "text", ev->text != NULL ? ev->text : "");
	if (ev->key != NULL)
		cJSON_AddStringToObject(o, "key", ev->key);
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t n = strlen(line);
	line = xrealloc(line, n + 2);
	line[n] = '\n';
	char msg[STATEFILE_MSG_MAX];
	if (timeline_append_line(tl->app->cfg.state_dir, line, n + 1, msg, sizeof(msg)) != 0) {
		tl->write_errno = errno;
		snprintf(tl->write_error, sizeof(tl->write_error), "events not saved: %s", msg);
		tl->gen++; /* whoever shows the error redraws */
	} else if (tl->write_error[0] != '\0' || tl->read_clears) {
		/* written: the file (and the dir) are fine now; a read error about
		 * another file (the audit log) still stands */
		tl->write_error[0] = '\0';
		tl->write_errno = 0;
		if (tl->read_clears) {
			tl->read_error[0] = '\0';
			tl->read_errno = 0;
			tl->read_clears = false;
		}
		tl->gen++;
	}
	free(line);
}

/* Writes a note's line to dir/timeline.jsonl. 0, or -1 with errno and msg. */
static int timeline_note_write(const char *dir, const struct timeline_entry *e, char *msg, size_t cap)
{
	char when[32];
	util_rfc3339((time_t)(e->time_ms / 1000), when, sizeof(when));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddNumberToObject(o, "ms", (double)e->time_ms);
	cJSON_AddStringToObject(o, "type", "note");
	cJSON_AddStringToObject(o, "level", "info");
	cJSON_AddStringToObject(o, "pane", e->pane);
	cJSON_AddStringToObject(o, "who", e->who);
	cJSON_AddStringToObject(o, "subject", "");
	cJSON_AddStringToObject(o, "text", e->text);
	char *line = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	size_t n = strlen(line);
	line = xrealloc(line, n + 2);
	line[n] = '\n';
	int rc = timeline_append_line(dir, line, n + 1, msg, cap);
	int err = errno;
	free(line);
	errno = err;
	return rc;
}

/* A note is a change that passes the gate (refused read-only, recorded)
 * without a pane or a kind: core's own verb, in no kind's table. */
static const struct verb timeline_note_verb = {
    .name = "note",
    .help = "a human note in the timeline",
};

/* A note as an entry: who is the user (as an action's), now, the text
 * sanitized and trimmed. -2 when there is no text left. */
static int timeline_note_entry(const char *text, struct timeline_entry *e)
{
	memset(e, 0, sizeof(*e));
	char *clean = sanitize(text != NULL ? text : "", text != NULL ? strlen(text) : 0, TIMELINE_NOTE_MAX);
	char *start = clean;
	while (*start == ' ')
		start++;
	size_t len = strlen(start);
	while (len > 0 && start[len - 1] == ' ')
		start[--len] = '\0';
	if (len == 0) {
		free(clean);
		return -2;
	}
	struct action *a = action_new(&timeline_note_verb, "");
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e->type = xstrdup("note");
	e->level = xstrdup("info");
	e->pane = xstrdup("");
	e->who = xstrdup(a->user);
	e->subject = xstrdup("");
	e->text = xstrdup(start);
	action_free(a);
	free(clean);
	return 0;
}

/* The refusal of a note in read-only mode, recorded by the gate like every
 * refused change (audit log, event). */
static void timeline_note_refuse(struct app *app, const char *text, char *msg, size_t cap)
{
	char why[STATEFILE_MSG_MAX];
	char *clean = sanitize(text, strlen(text), TIMELINE_NOTE_MAX);
	struct action *a = action_new(&timeline_note_verb, clean);
	free(clean);
	action_run(app, NULL, a, NULL, NULL, why, sizeof(why)); /* refused, recorded, a freed */
	snprintf(msg, cap, "read-only: note refused, nothing was added (the refusal is recorded)");
}

int timeline_note(struct timeline *tl, const char *text, char *msg, size_t cap)
{
	msg[0] = '\0';
	if (tl == NULL) {
		snprintf(msg, cap, "no timeline");
		return 1;
	}
	if (action_refused(tl->app, NULL, 0)) {
		timeline_note_refuse(tl->app, text, msg, cap);
		return 3;
	}
	struct timeline_entry e;
	if (timeline_note_entry(text, &e) != 0) {
		snprintf(msg, cap, "a note needs some text; nothing was added");
		return 2;
	}
	int rc = 0;
	if (tl->persist && tl->app->cfg.state_dir != NULL) {
		char why[STATEFILE_MSG_MAX];
		if (timeline_note_write(tl->app->cfg.state_dir, &e, why, sizeof(why)) != 0) {
			/* kept in memory, shown; but said: it will not survive */
			tl->write_errno = errno;
			snprintf(tl->write_error, sizeof(tl->write_error), "events not saved: %s", why);
			snprintf(msg, cap, "note added, not saved: %s", why);
			rc = 1;
		}
	}
	timeline_push(tl, &e);
	return rc;
}

int timeline_note_cli(struct app *app, int argc, char **argv)
{
	const char *usage = "usage: sitrep note TEXT...  (adds a note to the incident timeline)";
	if (argc == 1 && (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "--help") == 0)) {
		printf("%s\n", usage);
		return 0;
	}
	int first = argc > 0 && strcmp(argv[0], "--") == 0 ? 1 : 0;
	if (argc - first < 1) {
		fprintf(stderr, "sitrep note: no text (%s)\n", usage);
		return 2;
	}
	struct util_buf b = {0};
	for (int i = first; i < argc; i++) {
		if (i > first)
			util_buf_add(&b, " ", 1);
		util_buf_add(&b, argv[i], strlen(argv[i]));
	}
	char *text = b.s != NULL ? b.s : xstrdup("");
	char msg[STATEFILE_MSG_MAX + 128];
	int rc = 0;
	struct timeline_entry e;
	if (action_refused(app, NULL, 0)) {
		timeline_note_refuse(app, text, msg, sizeof(msg));
		fprintf(stderr, "sitrep note: %s\n", msg);
		rc = 3;
	} else if (timeline_note_entry(text, &e) != 0) {
		fprintf(stderr, "sitrep note: a note needs some text; nothing was added\n");
		rc = 2;
	} else {
		if (timeline_note_write(app->cfg.state_dir, &e, msg, sizeof(msg)) != 0) {
			fprintf(stderr, "sitrep note: not added: %s\n", msg);
			rc = 1;
		} else {
			char when[32];
			util_rfc3339((time_t)(e.time_ms / 1000), when, sizeof(when));
			printf("note added to the timeline at %s by %s\n", when, e.who);
		}
		timeline_entry_clear(&e);
	}
	free(text);
	return rc;
}

const char *timeline_state_error(const struct timeline *tl, int *err)
{
	if (tl == NULL)
		return NULL;
	const char *msg = tl->write_error[0] != '\0'  ? tl->write_error
	                  : tl->read_error[0] != '\0' ? tl->read_error
	                                              : NULL;
	if (err != NULL)
		*err = msg == NULL ? 0 : msg == tl->write_error ? tl->write_errno : tl->read_errno;
	return msg;
}

/* ---- the store ---- */

static void timeline_on_event(const struct event *ev, void *arg)
{
	struct timeline *tl = arg;
	struct timeline_entry e = {
	    .time_ms = ev->time_ms,
	    .type = xstrdup(timeline_event_type(ev)),
	    .level = xstrdup(event_level_name(ev->level)),
	    .once = ev->once,
	    .pane = timeline_clean(ev->pane),
	    .who = xstrdup("sitrep"),
	    .subject = timeline_clean(ev->subject),
	    .text = timeline_clean(ev->text),
	};
	bool action = ev->type >= EVENT_ACTION_REQUESTED && ev->type <= EVENT_ACTION_ENDED;
	if (action) {
		free(e.who);
		e.who = timeline_clean(ev->key); /* the action's user */
	}
	if (timeline_same_state(tl, &e)) {
		timeline_entry_clear(&e);
		return;
	}
	/* Actions are recorded by the audit log; writing them here too would
	 * show each twice after a restart. */
	if (!action)
		timeline_write(tl, ev);
	timeline_push(tl, &e);
}

struct timeline *timeline_open(struct app *app, int persist)
{
	struct timeline *tl = xcalloc(1, sizeof(*tl));
	tl->app = app;
	tl->persist = persist;
	tl->ring = xcalloc(TIMELINE_KEEP, sizeof(*tl->ring));
	if (app->cfg.state_dir != NULL) {
		struct timeline_list all = {0};
		char msg[STATEFILE_MSG_MAX];
		const char *bad = NULL;
		if (timeline_read_all(app->cfg.state_dir, TIMELINE_START_READ, &all, msg, sizeof(msg),
		                      &bad) != 0) {
			tl->read_errno = errno;
			snprintf(tl->read_error, sizeof(tl->read_error), "history not read: %s", msg);
			tl->read_clears = bad == NULL || strcmp(bad, "timeline.jsonl") == 0;
		}
		size_t first = all.n > TIMELINE_KEEP ? all.n - TIMELINE_KEEP : 0;
		for (size_t i = 0; i < all.n; i++) {
			if (i < first) {
				timeline_same_state(tl, &all.v[i]);
				timeline_entry_clear(&all.v[i]);
				continue;
			}
			timeline_same_state(tl, &all.v[i]);
			timeline_push(tl, &all.v[i]);
		}
		free(all.v);
	}
	if (event_subscribe(&app->bus, EVENT_PERSISTED, timeline_on_event, tl) != 0) {
		/* a store that hears nothing would record nothing, silently */
		timeline_close(tl);
		return NULL;
	}
	return tl;
}

void timeline_close(struct timeline *tl)
{
	if (tl == NULL)
		return;
	event_unsubscribe(&tl->app->bus, timeline_on_event, tl);
	for (size_t i = 0; i < tl->n; i++)
		timeline_entry_clear(&tl->ring[(tl->head + i) % TIMELINE_KEEP]);
	for (size_t i = 0; i < tl->nstates; i++) {
		free(tl->states[i].id);
		free(tl->states[i].state);
	}
	free(tl->ring);
	free(tl);
}

const char *timeline_action_by(const struct timeline *tl, const char *pane, const char *verb,
                               const char *target, int64_t since_ms)
{
	if (tl == NULL || pane == NULL || verb == NULL || target == NULL)
		return NULL;
	/* entries hold sanitized text: compare with the same */
	char *raw = xasprintf("%s %s", verb, target);
	char *subject = sanitize_str(raw);
	free(raw);
	const char *who = NULL;
	for (size_t i = tl->n; i-- > 0 && who == NULL;) {
		const struct timeline_entry *e = timeline_entry(tl, i);
		if (e->time_ms < since_ms)
			break;
		if (strncmp(e->type, "action", 6) == 0 && strcmp(e->pane, pane) == 0 &&
		    strcmp(e->subject, subject) == 0 && e->who[0] != '\0')
			who = e->who;
	}
	free(subject);
	return who;
}

/* ---- output ---- */

static void timeline_time_text(int64_t ms, char *buf, size_t cap)
{
	util_rfc3339((time_t)(ms / 1000), buf, cap);
}

char *timeline_entry_text(const struct timeline_entry *e)
{
	char when[32];
	timeline_time_text(e->time_ms, when, sizeof(when));
	bool action = strcmp(e->type, "action") == 0;
	/* an action's subject is "verb target": the columns of the audit format */
	const char *sp = action ? strchr(e->subject, ' ') : NULL;
	if (sp != NULL)
		return xasprintf("%s  %-10s %-8.*s %-24s %-10s %-8s %s", when, e->who, (int)(sp - e->subject),
		                 e->subject, sp + 1, e->pane, e->level, e->text);
	return xasprintf("%s  %-10s %-8s %-24s %-10s %-8s %s", when, e->who, e->type, e->subject, e->pane,
	                 e->level, e->text);
}

/* ---- Markdown: every outside string is inert ----
 *
 * The export is pasted into wikis (GitHub, GitLab, Python-Markdown, plain
 * CommonMark), and log text, alert text and file contents are outside
 * text: none of it may become a tag, link, image, heading or code block.
 * A cell made only of bytes that are text in every dialect wherever they
 * stand is written as is; anything else goes into a code span, where
 * Markdown interprets nothing: its fence is one backtick longer than the
 * longest run inside, spaces pad a content that starts or ends with a
 * backtick, line breaks become spaces (they would end the row) and '|' is
 * written "\|" (GFM tables split cells on '|' even inside code spans, and
 * unescape only "\|", so "\\|" cannot end the cell either). */

/* Letters, digits, space, '-', ',' and UTF-8: no dialect makes markup of
 * them ('.', ':' and '@' are out: GFM links bare www.x, http://x and
 * a@b.c). */
static bool timeline_md_plain(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == ' ' || *p == '-' || *p == ',' || *p >= 0x80))
			return false;
	return true;
}

static void timeline_buf_str(struct util_buf *b, const char *s)
{
	util_buf_add(b, s, strlen(s));
}

static void timeline_buf_ticks(struct util_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		util_buf_add(b, "`", 1);
}

static void timeline_md_text(struct util_buf *b, const char *s, bool cell);

/* Appends s as one table cell's content (see above). */
static void timeline_md_cell(struct util_buf *b, const char *s)
{
	timeline_md_text(b, s, true);
}

/* Appends s inert: as a cell's content, or (cell false) inside a list item,
 * where '|' means nothing and stays as it is. */
static void timeline_md_text(struct util_buf *b, const char *s, bool cell)
{
	size_t len = strlen(s);
	if (len == 0)
		return;
	if (timeline_md_plain(s)) {
		util_buf_add(b, s, len);
		return;
	}
	size_t run = 0, longest = 0;
	for (size_t i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	bool pad = s[0] == '`' || s[len - 1] == '`' || (s[0] == ' ' && s[len - 1] == ' ');
	timeline_buf_ticks(b, longest + 1);
	if (pad)
		util_buf_add(b, " ", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '|' && cell)
			util_buf_add(b, "\\|", 2);
		else if (c < 0x20 || c == 0x7f)
			util_buf_add(b, " ", 1); /* the sanitizer leaves none; a row is one line */
		else
			util_buf_add(b, s + i, 1);
	}
	if (pad)
		util_buf_add(b, " ", 1);
	timeline_buf_ticks(b, longest + 1);
}

static void timeline_md_row(struct util_buf *b, const struct timeline_entry *e)
{
	char when[32];
	timeline_time_text(e->time_ms, when, sizeof(when));
	bool action = strcmp(e->type, "action") == 0;
	char *what = action || e->subject[0] == '\0' ? xstrdup(action ? e->subject : e->type)
	                                             : xasprintf("%s %s", e->type, e->subject);
	/* an action's record names what it acted on, not only an id */
	char *detail =
	    e->what != NULL && strcmp(e->level, "started") != 0
	        ? xasprintf("%s%s%s", e->text, e->text[0] != '\0' ? "; effect: " : "effect: ", e->what)
	        : NULL;
	const char *f[] = {e->who, what, e->pane, e->level, detail != NULL ? detail : e->text};
	timeline_buf_str(b, "| ");
	timeline_buf_str(b, when);
	for (size_t i = 0; i < ARRAY_LEN(f); i++) {
		timeline_buf_str(b, " | ");
		timeline_md_cell(b, f[i]);
	}
	timeline_buf_str(b, " |\n");
	free(what);
	free(detail);
}

static void timeline_md_header(struct util_buf *b)
{
	timeline_buf_str(b, "| time (UTC) | who | what | pane | result | detail |\n"
	                    "|---|---|---|---|---|---|\n");
}

/* ---- the summary a postmortem starts with ----
 *
 * Worked out from the entries alone, in time order: the first symptom (the
 * first warn or crit that is not an action, a note or a deploy), the last
 * deploy at or before it (what changed), detection (that first symptom:
 * sitrep's record is when it was seen), every action's outcome as verified,
 * mitigation (the first action verified ok after detection) and the end
 * (the moment no state is warn or crit any more - a metric, an alert, a
 * stale asset, a failing pane - when it stays so to the last entry). The
 * impact starts at the deploy when there is one, else at the symptom. */

static bool timeline_is_action(const struct timeline_entry *e)
{
	return strcmp(e->type, "action") == 0 || strcmp(e->type, "action_ended") == 0;
}

static bool timeline_is_symptom(const struct timeline_entry *e)
{
	if (strncmp(e->type, "action", 6) == 0 || strcmp(e->type, "note") == 0 ||
	    strcmp(e->type, "deploy") == 0)
		return false;
	return strcmp(e->level, "warn") == 0 || strcmp(e->level, "crit") == 0;
}

/* A state that stays until it changes: its key (pane, subject), NULL otherwise. */
static char *timeline_state_key(const struct timeline_entry *e)
{
	return timeline_is_state(e) ? xasprintf("%s\x1f%s", e->pane, e->subject) : NULL;
}

static void timeline_md_duration(struct util_buf *b, int64_t ms)
{
	char d[48];
	int64_t s = ms > 0 ? ms / 1000 : 0;
	if (s >= 3600)
		snprintf(d, sizeof(d), "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(d, sizeof(d), "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(d, sizeof(d), "%llds", (long long)s);
	timeline_buf_str(b, d);
}

/* "label: TIME, " then what (inert): a paragraph of the summary. */
static void timeline_md_item(struct util_buf *b, const char *label, const struct timeline_entry *e,
                             const char *what)
{
	char when[32];
	timeline_time_text(e->time_ms, when, sizeof(when));
	timeline_buf_str(b, label);
	timeline_buf_str(b, ": ");
	timeline_buf_str(b, when);
	timeline_buf_str(b, ", ");
	timeline_md_text(b, what, false);
	timeline_buf_str(b, "\n\n");
}

static char *timeline_md_what(const struct timeline_entry *e)
{
	if (strcmp(e->type, "action") == 0) /* audit: who, verb target, result, detail */
		return xasprintf("%s %s: %s%s%s", e->who, e->subject, e->level, e->text[0] ? ", " : "",
		                 e->text);
	if (strcmp(e->type, "action_ended") == 0) /* live: the text leads with the result */
		return xasprintf("%s %s: %s", e->who, e->subject, e->text);
	return xasprintf("%s%s%s", e->pane, e->pane[0] ? ": " : "", e->text);
}

static bool timeline_action_ok(const struct timeline_entry *e)
{
	if (strcmp(e->type, "action") == 0)
		return strcmp(e->level, "ok") == 0;
	return strcmp(e->type, "action_ended") == 0 && strncmp(e->text, "ok", 2) == 0;
}

static void timeline_md_summary(struct util_buf *b, const struct timeline_entry *const *v, size_t n)
{
	timeline_buf_str(b, "Summary (from the entries below):\n\n");
	size_t first = n;
	for (size_t i = 0; i < n && first == n; i++)
		if (timeline_is_symptom(v[i]))
			first = i;
	if (first == n) {
		timeline_buf_str(b, "No symptom recorded (no warning or critical event).\n\n");
		return;
	}
	const struct timeline_entry *sym = v[first], *deploy = NULL, *mitigated = NULL, *over = NULL;
	for (size_t i = 0; i <= first; i++)
		if (strcmp(v[i]->type, "deploy") == 0)
			deploy = v[i];
	char *what = timeline_md_what(sym);
	timeline_md_item(b, "first symptom", sym, what);
	free(what);
	if (deploy != NULL) {
		what = timeline_md_what(deploy);
		timeline_md_item(b, "changed before it", deploy, what);
		free(what);
	} else {
		timeline_buf_str(b, "changed before it: no deploy recorded before the first symptom\n\n");
	}
	what = timeline_md_what(sym);
	timeline_md_item(b, "detected", sym, what);
	free(what);
	/* the states still warn or crit, to find when the last one ended */
	char **open = xcalloc(n + 1, sizeof(*open));
	size_t nopen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct timeline_entry *e = v[i];
		if (i >= first && timeline_is_action(e) && strcmp(e->level, "started") != 0 &&
		    strcmp(e->level, "requested") != 0) {
			what = timeline_md_what(e);
			timeline_md_item(b, "action", e, what);
			free(what);
			if (mitigated == NULL && timeline_action_ok(e))
				mitigated = e;
		}
		char *key = timeline_state_key(e);
		if (key == NULL)
			continue;
		bool bad = strcmp(e->level, "warn") == 0 || strcmp(e->level, "crit") == 0;
		size_t j = 0;
		while (j < nopen && strcmp(open[j], key) != 0)
			j++;
		if (bad && j == nopen) {
			open[nopen++] = key;
			key = NULL;
		} else if (!bad && j < nopen) {
			free(open[j]);
			open[j] = open[--nopen];
			if (nopen == 0 && i > first)
				over = e;
		}
		if (bad)
			over = NULL;
		free(key);
	}
	if (over != NULL && nopen == 0) {
		what = timeline_md_what(over);
		timeline_md_item(b, "over", over, what);
		free(what);
	} else {
		char line[96];
		snprintf(line, sizeof(line),
		         "over: not yet (%zu state%s still warn or crit at the last entry)\n\n", nopen,
		         nopen == 1 ? "" : "s");
		timeline_buf_str(b,
		                 nopen > 0 ? line : "over: not recorded (no recovery after the symptom)\n\n");
	}
	for (size_t j = 0; j < nopen; j++)
		free(open[j]);
	free(open);
	int64_t start = deploy != NULL ? deploy->time_ms : sym->time_ms;
	timeline_buf_str(b, "time to detect: ");
	timeline_md_duration(b, sym->time_ms - start);
	timeline_buf_str(b, deploy != NULL ? " (from the deploy)" : " (from the first symptom)");
	timeline_buf_str(b, "\n\ntime to mitigate: ");
	if (mitigated != NULL)
		timeline_md_duration(b, mitigated->time_ms - sym->time_ms);
	else
		timeline_buf_str(b, "no action verified ok");
	timeline_buf_str(b, "\n\ntime to resolve: ");
	if (over != NULL)
		timeline_md_duration(b, over->time_ms - sym->time_ms);
	else
		timeline_buf_str(b, "not over");
	timeline_buf_str(b, " (both from detection)\n\n");
}

/* The whole report: the title, the summary (paragraphs: the one heading
 * and the one table stay the report's only structure), then every entry
 * as a table row. */
static char *timeline_md_doc(const struct timeline_entry *const *v, size_t n)
{
	struct util_buf b = {0};
	timeline_buf_str(&b, "## Incident timeline\n\n");
	timeline_md_summary(&b, v, n);
	timeline_md_header(&b);
	for (size_t i = 0; i < n; i++)
		timeline_md_row(&b, v[i]);
	return b.s;
}

char *timeline_markdown(const struct timeline *tl, int64_t since_ms)
{
	size_t n = 0, count = timeline_count(tl);
	const struct timeline_entry **v = xcalloc(count + 1, sizeof(*v));
	for (size_t i = 0; i < count; i++) {
		const struct timeline_entry *e = timeline_entry(tl, i);
		if (e->time_ms >= since_ms)
			v[n++] = e;
	}
	char *md = timeline_md_doc(v, n);
	free(v);
	return md;
}

/* The export's report: from the state files, as `sitrep timeline
 * --markdown` prints it, when they are all in use (the audit log's records
 * name each action's exact effect); else from the store, which then holds
 * more than the files. Caller frees. */
static char *timeline_export_text(const struct timeline *tl)
{
	if (!tl->persist || tl->write_error[0] != '\0' || tl->read_error[0] != '\0')
		return timeline_markdown(tl, 0);
	struct timeline_list all = {0};
	char msg[STATEFILE_MSG_MAX];
	const char *bad = NULL;
	char *md;
	if (timeline_read_all(tl->app->cfg.state_dir, TIMELINE_MAX_READ, &all, msg, sizeof(msg), &bad) != 0) {
		md = timeline_markdown(tl, 0);
	} else {
		const struct timeline_entry **v = xcalloc(all.n + 1, sizeof(*v));
		for (size_t i = 0; i < all.n; i++)
			v[i] = &all.v[i];
		md = timeline_md_doc(v, all.n);
		free(v);
	}
	for (size_t i = 0; i < all.n; i++)
		timeline_entry_clear(&all.v[i]);
	free(all.v);
	return md;
}

int timeline_export(const struct timeline *tl, char **path, char *msg, size_t cap)
{
	*path = NULL;
	const char *dir = tl != NULL ? tl->app->cfg.state_dir : NULL;
	int dfd = statefile_dir(dir, true, msg, cap);
	if (dfd < 0)
		return -1;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* a second export within the same second gets the next free suffix */
	int fd = -1;
	char name[64];
	for (int i = 1; i <= 99 && fd < 0; i++) {
		if (i == 1)
			snprintf(name, sizeof(name), "timeline-%s.md", stamp);
		else
			snprintf(name, sizeof(name), "timeline-%s-%d.md", stamp, i);
		fd = state_openat(dfd, dir, name, STATEFILE_CREATE, msg, cap);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	int e = errno;
	close(dfd);
	if (fd < 0) {
		errno = e;
		return -1;
	}
	char *md = timeline_export_text(tl);
	int rc = statefile_write_all(fd, md, strlen(md));
	e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	free(md);
	char *full = xasprintf("%s/%s", dir, name);
	*path = sanitize_str(full);
	free(full);
	if (rc != 0) {
		snprintf(msg, cap, "cannot write %s: %s", *path, strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int timeline_cli(struct app *app, int argc, char **argv)
{
	int markdown = 0;
	int64_t since_ms = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--markdown") == 0) {
			markdown = 1;
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			double s = action_parse_duration(argv[++i]);
			if (s <= 0) {
				char *shown = sanitize_str(argv[i]);
				fprintf(stderr,
				        "sitrep timeline: bad duration \"%s\" (examples: 30m, 2h, 1d; at "
				        "most 366d)\n",
				        shown);
				free(shown);
				return 2;
			}
			since_ms = ((int64_t)time(NULL) - (int64_t)s) * 1000;
		} else {
			char *shown = sanitize_str(argv[i]);
			fprintf(stderr,
			        "sitrep timeline: unknown argument \"%s\" (usage: sitrep timeline "
			        "[--markdown] [--since DURATION])\n",
			        shown);
			free(shown);
			return 2;
		}
	}
	struct timeline_list all = {0};
	char msg[STATEFILE_MSG_MAX];
	const char *bad = NULL;
	int rc = timeline_read_all(app->cfg.state_dir, TIMELINE_MAX_READ, &all, msg, sizeof(msg), &bad);
	if (rc != 0)
		fprintf(stderr, "sitrep timeline: %s\n", msg);
	const struct timeline_entry **v = xcalloc(all.n + 1, sizeof(*v));
	size_t shown = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct timeline_entry *e = &all.v[i];
		if (e->time_ms < since_ms)
			continue;
		v[shown++] = e;
		if (!markdown) {
			char *line = timeline_entry_text(e);
			puts(line);
			free(line);
		}
	}
	if (markdown) {
		char *md = timeline_md_doc(v, shown);
		fputs(md, stdout);
		free(md);
	}
	free(v);
	for (size_t i = 0; i < all.n; i++)
		timeline_entry_clear(&all.v[i]);
	free(all.v);
	if (shown == 0 && !markdown && rc == 0) {
		char *dir = sanitize_str(app->cfg.state_dir);
		printf("no actions recorded yet, and no events (%s)\n", dir);
		free(dir);
	}
	/* what could not be printed is an error, and so is output that did not arrive */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "sitrep timeline: cannot write the output: %s\n", strerror(errno));
		rc = -1;
	}
	return rc != 0 ? 1 : 0;
}
