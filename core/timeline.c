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

#include "sitrep/action.h"
#include "sitrep/app.h"
#include "sitrep/event.h"
#include "sitrep/sanitize.h"
#include "sitrep/timeline.h"
#include "sitrep/util.h"

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
	char *path;    /* state_dir/timeline.jsonl; NULL when not persisting */
	bool dir_made; /* state_dir exists (made by the first write) */
	struct timeline_entry *ring;
	size_t head, n; /* ring of TIMELINE_KEEP, head = oldest */
	uint64_t gen;
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
	memset(e, 0, sizeof(*e));
}

static char *timeline_clean(const char *s)
{
	return sanitize_str(s != NULL ? s : "");
}

static void timeline_push(struct timeline *tl, struct timeline_entry *e)
{
	if (tl->n == TIMELINE_KEEP) {
		timeline_entry_clear(&tl->ring[tl->head]);
		tl->ring[tl->head] = *e;
		tl->head = (tl->head + 1) % TIMELINE_KEEP;
	} else {
		tl->ring[(tl->head + tl->n) % TIMELINE_KEEP] = *e;
		tl->n++;
	}
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

static bool timeline_is_state(const char *type)
{
	int t = event_type_from_name(type);
	return t == EVENT_STATUS_CHANGED || t == EVENT_ALERT_FIRING || t == EVENT_ALERT_RESOLVED ||
	       t == EVENT_ASSET_STALE || t == EVENT_ASSET_FRESH || t == EVENT_PANE_FAILED ||
	       t == EVENT_PANE_RECOVERED;
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
	if (!timeline_is_state(e->type))
		return false;
	int t = event_type_from_name(e->type);
	/* an alert firing and resolved, a pane failing and back, are one state each */
	const char *family = t == EVENT_ALERT_RESOLVED   ? "alert_firing"
	                     : t == EVENT_ASSET_FRESH    ? "asset_stale"
	                     : t == EVENT_PANE_RECOVERED ? "pane_failed"
	                                                 : e->type;
	char *id = xasprintf("%s\x1f%s\x1f%s", family, e->pane, e->subject);
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
	} else {
		e->type = timeline_clean(timeline_str(o, "type"));
		e->who = xstrdup("sitrep");
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

/* The newest max bytes of a file, from a line's start: a long history (the
 * audit log is never rotated) costs the start no more than its tail, and the
 * CLI shows the newest entries rather than the oldest. Caller frees. */
static char *timeline_read_tail(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > max)
		lseek(fd, st.st_size - (off_t)max, SEEK_SET);
	else
		st.st_size = 0;
	char *text = util_read_fd(fd, max + 1, -1, len);
	int e = errno;
	close(fd);
	errno = e;
	if (text != NULL && st.st_size > 0) {
		/* started inside a line: drop its end */
		char *nl = memchr(text, '\n', *len);
		size_t skip = nl != NULL ? (size_t)(nl - text) + 1 : *len;
		memmove(text, text + skip, *len - skip + 1);
		*len -= skip;
	}
	return text;
}

/* Appends every entry of the newest max bytes of a file; -1 (errno) when it
 * exists but cannot be read. */
static int timeline_read_file(const char *path, bool audit, size_t max, struct timeline_list *out)
{
	size_t len = 0;
	char *text = timeline_read_tail(path, max, &len);
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

/* Every entry of the newest max bytes of the three files (the rotated one, the current one and the
 * audit log), in time order; ties keep file order. -1 with *bad naming a
 * file that could not be read. */
static int timeline_read_all(const char *dir, size_t max, struct timeline_list *out, char **bad)
{
	static const struct {
		const char *name;
		bool audit;
	} files[] = {{"timeline.jsonl.1", false}, {"timeline.jsonl", false}, {"audit.jsonl", true}};
	int rc = 0;
	for (size_t i = 0; i < ARRAY_LEN(files); i++) {
		char *path = xasprintf("%s/%s", dir, files[i].name);
		if (timeline_read_file(path, files[i].audit, max, out) != 0 && rc == 0) {
			rc = -1;
			*bad = path;
			continue;
		}
		free(path);
	}
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
	return rc;
}

static void timeline_write(struct timeline *tl, const struct event *ev)
{
	/* the state dir is made once, not at every event */
	if (tl->path == NULL || (!tl->dir_made && util_mkdirs(tl->app->cfg.state_dir, 0700) != 0))
		return;
	tl->dir_made = true;
	int fd = open(tl->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ENOENT &&
	    util_mkdirs(tl->app->cfg.state_dir, 0700) == 0) /* removed meanwhile */
		fd = open(tl->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	char when[32];
	util_rfc3339((time_t)(ev->time_ms / 1000), when, sizeof(when));
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddNumberToObject(o, "ms", (double)ev->time_ms);
	cJSON_AddStringToObject(o, "type", event_type_name(ev->type));
	cJSON_AddStringToObject(o, "level", event_level_name(ev->level));
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
	ssize_t w = write(fd, line, n + 1); /* one write: lines never interleave */
	(void)w;
	free(line);
	struct stat st;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > TIMELINE_ROTATE_BYTES) {
		/* bounded: the current file becomes .1, replacing the older one */
		char *old = xasprintf("%s.1", tl->path);
		rename(tl->path, old);
		free(old);
	}
	close(fd);
}

/* ---- the store ---- */

static void timeline_on_event(const struct event *ev, void *arg)
{
	struct timeline *tl = arg;
	struct timeline_entry e = {
	    .time_ms = ev->time_ms,
	    .type = xstrdup(event_type_name(ev->type)),
	    .level = xstrdup(event_level_name(ev->level)),
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
	if (tl->persist && !action)
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
		tl->path = xasprintf("%s/timeline.jsonl", app->cfg.state_dir);
		struct timeline_list all = {0};
		char *bad = NULL;
		timeline_read_all(app->cfg.state_dir, TIMELINE_START_READ, &all, &bad);
		free(bad);
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
	event_subscribe(&app->bus, EVENT_PERSISTED, timeline_on_event, tl);
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
	free(tl->path);
	free(tl);
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

/* A Markdown cell: '|' would split the row, a newline would end it. */
static char *timeline_cell(const char *s)
{
	char *c = xstrdup(s);
	for (char *p = c; *p != '\0'; p++)
		if (*p == '|')
			*p = '/';
		else if (*p == '\n')
			*p = ' ';
	return c;
}

static char *timeline_md_row(const struct timeline_entry *e)
{
	char when[32];
	timeline_time_text(e->time_ms, when, sizeof(when));
	bool action = strcmp(e->type, "action") == 0;
	char *what = action ? xstrdup(e->subject) : xasprintf("%s %s", e->type, e->subject);
	char *f[] = {timeline_cell(e->who), timeline_cell(what), timeline_cell(e->pane),
	             timeline_cell(e->level), timeline_cell(e->text)};
	char *row = xasprintf("| %s | %s | %s | %s | %s | %s |\n", when, f[0], f[1], f[2], f[3], f[4]);
	for (size_t i = 0; i < ARRAY_LEN(f); i++)
		free(f[i]);
	free(what);
	return row;
}

static char *timeline_md_header(void)
{
	return xstrdup("## Incident timeline\n\n"
	               "| time (UTC) | who | what | pane | result | detail |\n"
	               "|---|---|---|---|---|---|\n");
}

static void timeline_append(char **out, char *more)
{
	char *next = xasprintf("%s%s", *out, more);
	free(*out);
	free(more);
	*out = next;
}

char *timeline_markdown(const struct timeline *tl, int64_t since_ms)
{
	char *out = timeline_md_header();
	for (size_t i = 0; i < timeline_count(tl); i++) {
		const struct timeline_entry *e = timeline_entry(tl, i);
		if (e->time_ms >= since_ms)
			timeline_append(&out, timeline_md_row(e));
	}
	return out;
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
	char *bad = NULL;
	int rc = timeline_read_all(app->cfg.state_dir, TIMELINE_MAX_READ, &all, &bad);
	if (rc != 0) {
		int e = errno;
		char *path = sanitize_str(bad);
		fprintf(stderr, "sitrep timeline: cannot read %s: %s\n", path, strerror(e));
		free(path);
		free(bad);
	}
	if (markdown) {
		char *h = timeline_md_header();
		fputs(h, stdout);
		free(h);
	}
	size_t shown = 0;
	for (size_t i = 0; i < all.n; i++) {
		struct timeline_entry *e = &all.v[i];
		if (e->time_ms >= since_ms) {
			char *line = markdown ? timeline_md_row(e) : timeline_entry_text(e);
			fputs(line, stdout);
			if (!markdown)
				fputc('\n', stdout);
			free(line);
			shown++;
		}
		timeline_entry_clear(e);
	}
	free(all.v);
	if (shown == 0 && !markdown) {
		char *dir = sanitize_str(app->cfg.state_dir);
		printf("no actions recorded yet, and no events (%s)\n", dir);
		free(dir);
	}
	return rc != 0 ? 1 : 0;
}
