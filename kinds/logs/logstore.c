/* logstore: the memory of a logs pane, bounded whatever the volume.
 *
 * Lines live in a fixed ring (max_lines, each text capped at max_line_bytes);
 * the oldest is dropped when it is full. Warnings and errors are also counted
 * into fingerprint groups: a fixed pool of max_groups kept in a hash table and
 * a recency list, the least recently seen group giving way when the pool is
 * full. A group's count is a plain counter, so evicting lines never changes it.
 * Per-second and per-minute error counters feed the rate and the sparkline.
 *
 * Views ask for lines in time order and groups by last-seen time; both orders
 * are computed lazily, once per change, because several sources may deliver
 * lines out of order (a tail read at start, a journal batch, a Loki poll).
 *
 * A big backlog does not come line by line: logscan reads it on the thread
 * pool and logstore_merge adds its parts (counts, groups, the kept lines).
 *
 * A followed file at 100 MB/s brings a million lines a second, and all but
 * the last max_lines of them are gone before anyone looks. So a line that is
 * neither a warning nor an error is only copied into its ring slot (reusing
 * the slot's buffer, no allocation); its time is parsed and its text
 * sanitized when the ring is next read (logstore_settle), once, and only for
 * the lines still in it. Warnings and errors are done at once: their groups
 * and counts need the time and the sanitized sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define LS_BUCKETS LOGSTORE_BUCKETS

struct logstore {
	int refs;
	size_t max_lines, max_groups, max_line_bytes;
	struct log_line *ring;
	size_t head, n; /* ring[head] is the oldest of n */
	uint64_t seq;
	uint64_t generation;
	bool unsettled; /* some line came in raw (see the head) */

	size_t *order; /* ring slots in time order */
	uint64_t order_gen;
	bool order_valid;

	struct log_group *pool;
	size_t ngroups;
	struct log_group **buckets;
	size_t nbuckets;
	struct log_group *newest, *oldest; /* recency list */
	struct log_group **gorder;
	uint64_t gorder_gen;
	bool gorder_valid;

	char **sources;
	size_t nsources;
	struct logevent *events; /* one per source: the event being assembled */

	struct logstore_stats stats;
	struct logstore_progress progress;
	int64_t deploy_ms; /* the latest deploy seen (an event), 0: none */
	/* error groups created since the last logstore_take_new_groups, for the
	 * "new error group" event; beyond the cap only the first are told */
	uint64_t fresh[LOGSTORE_FRESH_MAX];
	size_t nfresh;
	int64_t sec_key[LS_BUCKETS], min_key[LS_BUCKETS];
	uint32_t sec_count[LS_BUCKETS], min_count[LS_BUCKETS];
};

static int64_t logstore_last_slot(const struct logstore *st);

void logstore_set_deploy_time(struct logstore *st, int64_t wall_ms)
{
	st->deploy_ms = wall_ms;
}

int64_t logstore_deploy_time(const struct logstore *st)
{
	return st->deploy_ms;
}

bool logstore_group_is_new(const struct logstore *st, const struct log_group *g)
{
	return st->deploy_ms > 0 && g->first_ms >= st->deploy_ms;
}

size_t logstore_take_new_groups(struct logstore *st, uint64_t *hashes, size_t cap)
{
	size_t n = st->nfresh < cap ? st->nfresh : cap;
	memcpy(hashes, st->fresh, n * sizeof(*hashes));
	st->nfresh = 0;
	return n;
}

const struct log_group *logstore_group_by_hash(const struct logstore *st, uint64_t hash)
{
	const struct log_group *g = st->buckets[hash & (st->nbuckets - 1)];
	while (g != NULL && g->hash != hash)
		g = g->chain;
	return g;
}

static int64_t logstore_wall_ms(void)
{
	/* The coarse clock (a few ms) is read without a system call. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct logstore *logstore_new(size_t max_lines, size_t max_groups, size_t max_line_bytes)
{
	struct logstore *st = xcalloc(1, sizeof(*st));
	st->refs = 1;
	st->max_lines = max_lines > 0 ? max_lines : LOGSTORE_DEFAULT_LINES;
	st->max_groups = max_groups > 0 ? max_groups : LOGSTORE_DEFAULT_GROUPS;
	st->max_line_bytes = max_line_bytes > 0 ? max_line_bytes : LOGSTORE_DEFAULT_LINE_BYTES;
	st->ring = xcalloc(st->max_lines, sizeof(*st->ring));
	st->order = xcalloc(st->max_lines, sizeof(*st->order));
	st->pool = xcalloc(st->max_groups, sizeof(*st->pool));
	st->gorder = xcalloc(st->max_groups, sizeof(*st->gorder));
	st->nbuckets = 1;
	while (st->nbuckets < st->max_groups * 2)
		st->nbuckets <<= 1;
	st->buckets = xcalloc(st->nbuckets, sizeof(*st->buckets));
	for (size_t i = 0; i < LS_BUCKETS; i++)
		st->sec_key[i] = st->min_key[i] = -1;
	return st;
}

struct logstore *logstore_ref(struct logstore *st)
{
	st->refs++;
	return st;
}

void logstore_unref(void *p)
{
	struct logstore *st = p;
	if (st == NULL || --st->refs > 0)
		return;
	for (size_t i = 0; i < st->n; i++)
		free(st->ring[(st->head + i) % st->max_lines].text);
	for (size_t i = 0; i < st->ngroups; i++) {
		free(st->pool[i].fingerprint);
		free(st->pool[i].sample);
		free(st->pool[i].event);
		free(st->pool[i].cause);
	}
	for (size_t i = 0; i < st->nsources; i++) {
		free(st->sources[i]);
		logevent_free(&st->events[i]);
	}
	free(st->sources);
	free(st->events);
	free(st->ring);
	free(st->order);
	free(st->pool);
	free(st->gorder);
	free(st->buckets);
	free(st);
}

unsigned logstore_add_source(struct logstore *st, const char *name)
{
	st->sources = xrealloc(st->sources, (st->nsources + 1) * sizeof(*st->sources));
	st->sources[st->nsources] = sanitize_str(name != NULL ? name : "?");
	st->events = xrealloc(st->events, (st->nsources + 1) * sizeof(*st->events));
	logevent_init(&st->events[st->nsources], LOG_FORMAT_AUTO);
	return (unsigned)st->nsources++;
}

const char *logstore_source_name(const struct logstore *st, unsigned index)
{
	return index < st->nsources ? st->sources[index] : "?";
}

/* ---- groups ---- */

static void logstore_unlink(struct logstore *st, struct log_group *g)
{
	if (g->newer != NULL)
		g->newer->older = g->older;
	else
		st->newest = g->older;
	if (g->older != NULL)
		g->older->newer = g->newer;
	else
		st->oldest = g->newer;
	g->newer = g->older = NULL;
}

static void logstore_push_newest(struct logstore *st, struct log_group *g)
{
	g->older = st->newest;
	g->newer = NULL;
	if (st->newest != NULL)
		st->newest->newer = g;
	st->newest = g;
	if (st->oldest == NULL)
		st->oldest = g;
}

static void logstore_unchain(struct logstore *st, struct log_group *g)
{
	struct log_group **pp = &st->buckets[g->hash & (st->nbuckets - 1)];
	while (*pp != NULL && *pp != g)
		pp = &(*pp)->chain;
	if (*pp == g)
		*pp = g->chain;
	g->chain = NULL;
}

/* A slot for a new group: a free one, or the least recently seen one. */
static struct log_group *logstore_group_slot(struct logstore *st)
{
	if (st->ngroups < st->max_groups)
		return &st->pool[st->ngroups++];
	struct log_group *g = st->oldest;
	logstore_unlink(st, g);
	logstore_unchain(st, g);
	free(g->fingerprint);
	free(g->sample);
	free(g->event);
	free(g->cause);
	memset(g, 0, sizeof(*g));
	st->stats.groups_evicted++;
	return g;
}

static struct log_group *logstore_find(struct logstore *st, uint64_t h)
{
	struct log_group *g = st->buckets[h & (st->nbuckets - 1)];
	while (g != NULL && g->hash != h)
		g = g->chain;
	return g;
}

/* A new group (fingerprint: sanitized, taken), on the fresh list when an error. */
static struct log_group *logstore_group_new(struct logstore *st, uint64_t h, char *fingerprint, int64_t t,
                                            enum log_sev sev)
{
	struct log_group *g = logstore_group_slot(st);
	g->hash = h;
	g->fingerprint = fingerprint;
	g->first_ms = g->last_ms = t;
	if (sev == LOG_SEV_ERROR && st->nfresh < LOGSTORE_FRESH_MAX)
		st->fresh[st->nfresh++] = h;
	g->chain = st->buckets[h & (st->nbuckets - 1)];
	st->buckets[h & (st->nbuckets - 1)] = g;
	return g;
}

/* Counts a line or an event into the group of hash h (fp: its masked text)
 * and makes text its sample. Returns the group. */
static struct log_group *logstore_group_count(struct logstore *st, unsigned source, int64_t t,
                                              enum log_sev sev, uint64_t h, const char *fp, size_t fplen,
                                              const char *text)
{
	struct log_group *g = logstore_find(st, h);
	if (g == NULL)
		g = logstore_group_new(st, h, sanitize(fp, fplen, 0), t, sev);
	else
		logstore_unlink(st, g);
	logstore_push_newest(st, g);
	g->count++;
	if (t < g->first_ms)
		g->first_ms = t;
	if (t >= g->last_ms || g->sample == NULL) {
		g->last_ms = t > g->last_ms ? t : g->last_ms;
		size_t n = strlen(text);
		g->sample = xrealloc(g->sample, n + 1);
		memcpy(g->sample, text, n + 1);
		g->source = (uint16_t)source;
		/* a one-line sample has no event text of its own */
		free(g->event);
		free(g->cause);
		g->event = g->cause = NULL;
	}
	if (sev > g->sev)
		g->sev = (uint8_t)sev;
	return g;
}

static uint64_t logstore_group_add(struct logstore *st, unsigned source, int64_t t, enum log_sev sev,
                                   const char *raw, size_t len, const char *text)
{
	char fp[512];
	size_t fplen;
	uint64_t h = fingerprint_mask(raw, len, fp, sizeof(fp), &fplen);
	logstore_group_count(st, source, t, sev, h, fp, fplen, text);
	return h;
}

/* Takes a group out of the pool (its last count was taken back): the pool's
 * last group moves into its slot. */
static void logstore_group_remove(struct logstore *st, struct log_group *g)
{
	logstore_unlink(st, g);
	logstore_unchain(st, g);
	free(g->fingerprint);
	free(g->sample);
	free(g->event);
	free(g->cause);
	for (size_t i = 0; i < st->nfresh; i++)
		if (st->fresh[i] == g->hash) {
			memmove(&st->fresh[i], &st->fresh[i + 1], (st->nfresh - i - 1) * sizeof(*st->fresh));
			st->nfresh--;
			break;
		}
	struct log_group *last = &st->pool[st->ngroups - 1];
	if (g != last) {
		*g = *last;
		if (g->newer != NULL)
			g->newer->older = g;
		else
			st->newest = g;
		if (g->older != NULL)
			g->older->newer = g;
		else
			st->oldest = g;
		struct log_group **pp = &st->buckets[g->hash & (st->nbuckets - 1)];
		while (*pp != last)
			pp = &(*pp)->chain;
		*pp = g;
	}
	memset(last, 0, sizeof(*last));
	st->ngroups--;
	st->gorder_valid = false;
}

/* ---- error rate ---- */

static void logstore_count_error(struct logstore *st, int64_t t)
{
	int64_t sec = t / 1000, min = t / 60000;
	size_t si = (size_t)(sec % LS_BUCKETS), mi = (size_t)(min % LS_BUCKETS);
	if (st->sec_key[si] < sec) {
		st->sec_key[si] = sec;
		st->sec_count[si] = 0;
	}
	if (st->sec_key[si] == sec)
		st->sec_count[si]++;
	if (st->min_key[mi] < min) {
		st->min_key[mi] = min;
		st->min_count[mi] = 0;
	}
	if (st->min_key[mi] == min)
		st->min_count[mi]++;
}

/* Takes back one error counted at t. */
static void logstore_uncount_error(struct logstore *st, int64_t t)
{
	int64_t sec = t / 1000, min = t / 60000;
	size_t si = (size_t)(sec % LS_BUCKETS), mi = (size_t)(min % LS_BUCKETS);
	if (st->sec_key[si] == sec && st->sec_count[si] > 0)
		st->sec_count[si]--;
	if (st->min_key[mi] == min && st->min_count[mi] > 0)
		st->min_count[mi]--;
}

double logstore_errors_per_minute(const struct logstore *st, int64_t now_ms)
{
	int64_t now = now_ms / 1000;
	double sum = 0;
	for (size_t i = 0; i < LS_BUCKETS; i++)
		if (st->sec_key[i] > now - LS_BUCKETS && st->sec_key[i] <= now)
			sum += st->sec_count[i];
	return sum;
}

void logstore_errors_history(const struct logstore *st, int64_t now_ms, double *out, size_t n)
{
	if (n > LS_BUCKETS)
		n = LS_BUCKETS;
	int64_t now = now_ms / 60000;
	for (size_t k = 0; k < n; k++) {
		int64_t min = now - (int64_t)(n - 1 - k);
		size_t i = (size_t)(min % LS_BUCKETS);
		out[k] = st->min_key[i] == min ? st->min_count[i] : 0;
	}
}

/* ---- lines ---- */

char *logstore_text(size_t max_line_bytes, const char *raw, size_t len, bool cut, bool *cut_out)
{
	char *text = sanitize(raw, len, max_line_bytes);
	size_t n = strlen(text);
	if (cut && len <= max_line_bytes) {
		size_t mark = sizeof(SANITIZE_CUT_MARK) - 1;
		text = xrealloc(text, n + mark + 1);
		memcpy(text + n, SANITIZE_CUT_MARK, mark + 1);
	}
	/* Escaping can grow a short line past the limit (binary bytes become
	 * \xNN): sanitize cut it then, and only then is the text longer. */
	*cut_out = cut || len > max_line_bytes || n > max_line_bytes;
	return text;
}

void logstore_limits(const struct logstore *st, size_t *max_lines, size_t *max_groups, size_t *max_line_bytes)
{
	*max_lines = st->max_lines;
	*max_groups = st->max_groups;
	*max_line_bytes = st->max_line_bytes;
}

/* The slot for a new line, the oldest line's when the ring is full; its text
 * buffer is left for the caller to reuse or free. */
static struct log_line *logstore_next_slot(struct logstore *st, int64_t time_ms, unsigned source, int sev,
                                           bool cut)
{
	struct log_line *l;
	if (st->n == st->max_lines) {
		st->head = (st->head + 1) % st->max_lines;
		st->n--;
		st->stats.lines_evicted++;
	}
	l = &st->ring[(st->head + st->n) % st->max_lines];
	st->n++;
	l->time_ms = time_ms;
	l->seq = st->seq++;
	l->source = (uint16_t)source;
	l->sev = (uint8_t)sev;
	l->cut = cut;
	l->raw = l->raw_time = false;
	l->group = 0;
	return l;
}

/* Appends a line (text owned, sanitized) to the ring, dropping the oldest when full. */
static void logstore_push_line(struct logstore *st, int64_t time_ms, unsigned source, int sev, char *text,
                               size_t len, bool cut)
{
	struct log_line *l = logstore_next_slot(st, time_ms, source, sev, cut);
	free(l->text);
	l->text = text;
	l->len = (uint32_t)len;
	l->cap = (uint32_t)len + 1;
}

/* Appends a line by copying its raw bytes into the slot; logstore_settle
 * finishes it. time_ms 0: parse it from the line, with now_ms as the clock of
 * its arrival. Past max_line_bytes only a few bytes more are kept: sanitize
 * cuts there anyway, and they let it see that the line was longer and finish
 * a character that starts before the cut. */
static void logstore_push_raw(struct logstore *st, int64_t time_ms, int64_t now_ms, unsigned source, int sev,
                              const char *raw, size_t len, bool cut)
{
	struct log_line *l = logstore_next_slot(st, time_ms > 0 ? time_ms : now_ms, source, sev, cut);
	size_t keep = len < st->max_line_bytes + 8 ? len : st->max_line_bytes + 8;
	if (l->text == NULL || l->cap < keep + 1) {
		free(l->text);
		l->cap = (uint32_t)(keep + 1 > 64 ? keep + 1 : 64);
		l->text = xmalloc(l->cap);
	}
	memcpy(l->text, raw, keep);
	l->text[keep] = '\0';
	l->len = (uint32_t)keep;
	l->raw = true;
	l->raw_time = time_ms <= 0;
	st->unsettled = true;
}

/* A line's time from its text, or the clock of its arrival (also when the
 * line's clock is far ahead of ours: that is not believed). */
static int64_t logstore_line_time(const char *raw, size_t len, int64_t now_ms)
{
	int64_t t = logtime_parse(raw, len, now_ms);
	return t <= 0 || t > now_ms + 86400000 ? now_ms : t;
}

/* Parses and sanitizes the lines that came in raw (see the head). */
static void logstore_settle(struct logstore *st)
{
	if (!st->unsettled)
		return;
	st->unsettled = false;
	for (size_t i = 0; i < st->n; i++) {
		struct log_line *l = &st->ring[(st->head + i) % st->max_lines];
		if (!l->raw)
			continue;
		if (l->raw_time)
			l->time_ms = logstore_line_time(l->text, l->len, l->time_ms);
		bool cut;
		char *text = logstore_text(st->max_line_bytes, l->text, l->len, l->cut, &cut);
		free(l->text);
		l->text = text;
		l->len = (uint32_t)strlen(text);
		l->cap = l->len + 1;
		l->cut = cut;
		l->raw = l->raw_time = false;
	}
}

/* ---- multi-line events (logevent) ----
 *
 * Each source assembles one event at a time. A one-line event is what it
 * always was: a warning or an error is counted and grouped the moment its
 * line comes, so a lone error line shows at once. That count is provisional
 * while the event is open: when the event closes as more than one line (the
 * next head, its bounds, LOGEVENT_IDLE_MS without a line, the end of the
 * first read) and its severity or group differ from its head's, the head's
 * count is taken back and the event is counted instead. Continuation lines
 * are lines of the ring (info, stamped with the event's time); the event's
 * naming line takes the event's severity there once it is known. */

/* The event's time: its head's, parsed from the head when it came raw. */
static int64_t logstore_event_time(struct logevent *ev)
{
	if (ev->time_ms <= 0) {
		size_t hl;
		const char *h = logevent_head(ev, &hl);
		ev->time_ms = logstore_line_time(h, hl, ev->head_wall);
	}
	return ev->time_ms;
}

static void logstore_event_close(struct logstore *st, unsigned source, bool absorb)
{
	struct logevent *ev = &st->events[source];
	bool pending = ev->pending > 0;
	uint64_t ph = ev->pending_hash;
	uint8_t psev = ev->pending_sev;
	int64_t t = ev->open && ev->lines > 1 ? logstore_event_time(ev) : ev->time_ms;
	int64_t slot = ev->name_slot, hslot = ev->head_slot;
	uint64_t nseq = ev->name_seq, hseq = ev->head_seq;
	struct logevent_out o;
	ev->pending = 0;
	if (ev->open && ev->lines == 1) {
		/* counted as its line came */
		logevent_discard(ev, absorb);
		return;
	}
	if (!logevent_close(ev, &o, absorb) || !o.multi)
		return;
	st->generation++;
	bool same = pending && ph == o.hash && psev == o.sev;
	if (pending && !same) {
		if (psev == LOG_SEV_ERROR) {
			st->stats.errors--;
			logstore_uncount_error(st, t);
		} else {
			st->stats.warnings--;
		}
		struct log_group *g = logstore_find(st, ph);
		if (g != NULL && g->count > 0 && --g->count == 0)
			logstore_group_remove(st, g);
	}
	if (o.sev >= LOG_SEV_WARN) {
		bool cut;
		char *name = logstore_text(st->max_line_bytes, o.name, o.name_len, false, &cut);
		if (!same) {
			if (o.sev == LOG_SEV_ERROR) {
				st->stats.errors++;
				logstore_count_error(st, t);
			} else {
				st->stats.warnings++;
			}
		}
		struct log_group *g = logstore_find(st, o.hash);
		if (same && g != NULL) {
			free(g->sample);
			g->sample = name;
			name = NULL;
		} else {
			g = logstore_group_count(st, source, t, (enum log_sev)o.sev, o.hash, o.fp, o.fp_len,
			                         name);
		}
		free(name);
		if (g->last_ms <= t) {
			free(g->event);
			free(g->cause);
			g->event = logevent_text(o.text, o.text_len, st->max_line_bytes, LOGEVENT_TEXT_MAX);
			g->cause = o.cause != NULL
			               ? logstore_text(st->max_line_bytes, o.cause, o.cause_len, false, &cut)
			               : NULL;
		}
	}
	/* The naming line shows the event's severity in the raw lines; a head
	 * that only a word made an error ("Traceback") does not, when another
	 * line names the event. */
	if (!same && hslot >= 0 && (size_t)hslot < st->max_lines && st->ring[hslot].seq == hseq)
		st->ring[hslot].group = 0;
	if (slot >= 0 && (size_t)slot < st->max_lines && st->ring[slot].seq == nseq) {
		if (st->ring[slot].sev < o.sev)
			st->ring[slot].sev = (uint8_t)o.sev;
		if (o.sev >= LOG_SEV_WARN)
			st->ring[slot].group = o.hash;
	}
	if (o.name_not_head && !o.head_leveled && hslot >= 0 && (size_t)hslot < st->max_lines &&
	    st->ring[hslot].seq == hseq)
		st->ring[hslot].sev = LOG_SEV_INFO;
}

void logstore_flush_traces(struct logstore *st, int64_t wall_ms)
{
	if (wall_ms == 0)
		wall_ms = logstore_wall_ms();
	for (size_t i = 0; i < st->nsources; i++) {
		struct logevent *ev = &st->events[i];
		if (ev->open && (wall_ms < 0 || wall_ms - ev->last_wall >= LOGEVENT_IDLE_MS))
			logstore_event_close(st, (unsigned)i, wall_ms >= 0);
	}
}

void logstore_end_events(struct logstore *st)
{
	logstore_flush_traces(st, -1);
}

/* The ring slot of the line pushed last. */
static int64_t logstore_last_slot(const struct logstore *st)
{
	return (int64_t)((st->head + st->n - 1) % st->max_lines);
}

/* A line that continues its source's open event (see above). */
static void logstore_continuation(struct logstore *st, struct logevent *ev, unsigned source,
                                  enum logevent_step step, const char *raw, size_t len, bool cut)
{
	int64_t t = logstore_event_time(ev);
	bool named = step == LOGEVENT_TAKEN && logevent_named_last(ev);
	if (step == LOGEVENT_FULL)
		logstore_event_close(st, source, true);
	ev->last_wall = logstore_wall_ms();
	st->stats.lines++;
	st->generation++;
	bool cut_now = cut || len > st->max_line_bytes;
	if (cut_now)
		st->stats.cut++;
	logstore_push_raw(st, t, 0, source, LOG_SEV_INFO, raw, len, cut);
	if (named) {
		ev->name_slot = logstore_last_slot(st);
		ev->name_seq = st->seq - 1;
	}
}

void logstore_ingest_format(struct logstore *st, struct logclass *lc, int format, unsigned source,
                            int64_t time_ms, int sev, const char *raw, size_t len, bool cut)
{
	struct logevent *ev = NULL;
	if (source < st->nsources) {
		ev = &st->events[source];
		enum logevent_step step = logevent_feed_as(ev, raw, len, sev == LOGSTORE_SEV_PART);
		if (step != LOGEVENT_HEAD) {
			logstore_continuation(st, ev, source, step, raw, len, cut);
			return;
		}
		if (ev->open || ev->overflow)
			logstore_event_close(st, source, false);
	}
	if (sev == LOGSTORE_SEV_PART)
		sev = -1; /* no event open: a line as any other */
	bool given = sev >= 0;
	/* Classified first: what else is done depends on it (see the head). */
	if (sev < 0)
		sev = lc == NULL ? LOG_SEV_INFO
		                 : (int)logclass_classify_in(lc, (enum log_format)format,
		                                             ev != NULL ? &ev->w3c : NULL, raw, len);
	st->stats.lines++;
	st->generation++;
	int64_t wall = logstore_wall_ms();
	if (ev != NULL) {
		ev->format = format;
		logevent_begin(ev, raw, len, sev, given, true);
		ev->last_wall = ev->head_wall = wall;
		ev->time_ms = time_ms;
	}
	/* Deferred only when whether the text is cut is known now, for the count:
	 * cut by length, or too short for escaping to grow it past the limit. */
	bool cut_now = cut || len > st->max_line_bytes;
	if (sev < LOG_SEV_WARN && (cut_now || len * SANITIZE_GROWTH_MAX <= st->max_line_bytes)) {
		if (cut_now)
			st->stats.cut++;
		logstore_push_raw(st, time_ms, time_ms > 0 ? 0 : wall, source, sev, raw, len, cut);
	} else {
		if (time_ms <= 0)
			time_ms = logstore_line_time(raw, len, wall);
		char *text = logstore_text(st->max_line_bytes, raw, len, cut, &cut);
		if (cut)
			st->stats.cut++;
		if (sev == LOG_SEV_ERROR) {
			st->stats.errors++;
			logstore_count_error(st, time_ms);
		} else if (sev == LOG_SEV_WARN) {
			st->stats.warnings++;
		}
		uint64_t h = 0;
		if (sev >= LOG_SEV_WARN)
			h = logstore_group_add(st, source, time_ms, (enum log_sev)sev, raw, len, text);
		logstore_push_line(st, time_ms, source, sev, text, strlen(text), cut);
		st->ring[logstore_last_slot(st)].group = h;
		if (ev != NULL) {
			ev->time_ms = time_ms;
			ev->pending = sev >= LOG_SEV_WARN;
			ev->pending_hash = h;
			ev->pending_sev = (uint8_t)sev;
		}
	}
	if (ev != NULL) {
		ev->name_slot = ev->head_slot = logstore_last_slot(st);
		ev->name_seq = ev->head_seq = st->seq - 1;
	}
}

void logstore_ingest(struct logstore *st, struct logclass *lc, unsigned source, int64_t time_ms, int sev,
                     const char *raw, size_t len, bool cut)
{
	logstore_ingest_format(st, lc, LOG_FORMAT_AUTO, source, time_ms, sev, raw, len, cut);
}

/* The buckets of a part: per slot the newer second (minute) wins, equal ones add. */
static void logstore_merge_buckets(int64_t *key, uint32_t *count, const int64_t *bkey, const uint32_t *bcount)
{
	for (size_t i = 0; i < LS_BUCKETS; i++) {
		if (bkey[i] > key[i]) {
			key[i] = bkey[i];
			count[i] = bcount[i];
		} else if (bkey[i] == key[i] && bkey[i] >= 0) {
			count[i] += bcount[i];
		}
	}
}

void logstore_w3c_head(struct logstore *st, unsigned source, const char *head, size_t len)
{
	if (source < st->nsources && st->events[source].w3c.cols == 0)
		logw3c_seed(&st->events[source].w3c, head, len);
}

void logstore_merge(struct logstore *st, unsigned source, struct logbatch *b)
{
	/* what the scanned part's W3C directive said holds for the lines after it */
	if (source < st->nsources && b->w3c.cols != 0)
		st->events[source].w3c = b->w3c;
	st->stats.lines += b->lines_total;
	st->stats.errors += b->errors;
	st->stats.warnings += b->warnings;
	st->stats.cut += b->cut;
	st->stats.groups_evicted += b->groups_evicted;
	/* Counted lines that are not among the kept ones were read and dropped. */
	st->stats.lines_evicted += b->lines_total;
	logstore_merge_buckets(st->sec_key, st->sec_count, b->sec_key, b->sec_count);
	logstore_merge_buckets(st->min_key, st->min_count, b->min_key, b->min_count);
	for (size_t i = 0; i < b->ngroups; i++) {
		struct logbatch_group *bg = &b->groups[i];
		struct log_group *g = logstore_find(st, bg->hash);
		if (g == NULL) {
			g = logstore_group_new(st, bg->hash, bg->fingerprint, bg->first_ms,
			                       (enum log_sev)bg->sev);
			bg->fingerprint = NULL;
		} else {
			logstore_unlink(st, g);
		}
		logstore_push_newest(st, g);
		g->count += bg->count;
		if (bg->first_ms < g->first_ms)
			g->first_ms = bg->first_ms;
		if (bg->last_ms >= g->last_ms || g->sample == NULL) {
			g->last_ms = bg->last_ms > g->last_ms ? bg->last_ms : g->last_ms;
			free(g->sample);
			free(g->event);
			free(g->cause);
			g->sample = bg->sample;
			g->event = bg->event;
			g->cause = bg->cause;
			bg->sample = bg->event = bg->cause = NULL;
			g->source = (uint16_t)source;
		}
		if (bg->sev > g->sev)
			g->sev = bg->sev;
	}
	/* Kept lines were not counted as lines of this part: they were counted
	 * by the chunks, which called them dropped; they are not. */
	for (size_t i = 0; i < b->nlines; i++) {
		struct log_line *l = &b->lines[i];
		if (st->stats.lines_evicted > 0)
			st->stats.lines_evicted--;
		logstore_push_line(st, l->time_ms, source, l->sev, l->text, l->len, l->cut);
		st->ring[logstore_last_slot(st)].group = l->group;
		l->text = NULL;
	}
	st->generation++;
}

size_t logstore_nlines(const struct logstore *st)
{
	return st->n;
}

static const struct logstore *logstore_sorting;

static int logstore_cmp_line(const void *a, const void *b)
{
	const struct log_line *x = &logstore_sorting->ring[*(const size_t *)a];
	const struct log_line *y = &logstore_sorting->ring[*(const size_t *)b];
	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void logstore_sort_lines(struct logstore *st)
{
	logstore_settle(st);
	bool sorted = true;
	for (size_t i = 0; i < st->n; i++) {
		st->order[i] = (st->head + i) % st->max_lines;
		if (i > 0 && st->ring[st->order[i]].time_ms < st->ring[st->order[i - 1]].time_ms)
			sorted = false;
	}
	if (!sorted) {
		logstore_sorting = st;
		qsort(st->order, st->n, sizeof(*st->order), logstore_cmp_line);
		logstore_sorting = NULL;
	}
	st->order_gen = st->generation;
	st->order_valid = true;
}

const struct log_line *logstore_line(struct logstore *st, size_t i)
{
	if (i >= st->n)
		return NULL;
	if (!st->order_valid || st->order_gen != st->generation)
		logstore_sort_lines(st);
	return &st->ring[st->order[i]];
}

size_t logstore_ngroups(const struct logstore *st)
{
	return st->ngroups;
}

static int logstore_cmp_group(const void *a, const void *b)
{
	const struct log_group *x = *(struct log_group *const *)a;
	const struct log_group *y = *(struct log_group *const *)b;
	if (x->last_ms != y->last_ms)
		return x->last_ms > y->last_ms ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->hash < y->hash ? -1 : x->hash > y->hash;
}

const struct log_group *logstore_group(struct logstore *st, size_t i)
{
	if (i >= st->ngroups)
		return NULL;
	if (!st->gorder_valid || st->gorder_gen != st->generation) {
		for (size_t k = 0; k < st->ngroups; k++)
			st->gorder[k] = &st->pool[k];
		qsort(st->gorder, st->ngroups, sizeof(*st->gorder), logstore_cmp_group);
		st->gorder_gen = st->generation;
		st->gorder_valid = true;
	}
	return st->gorder[i];
}

void logstore_progress_update(struct logstore *st, int dscans, int64_t done, int64_t total)
{
	struct logstore_progress *p = &st->progress;
	if (dscans > 0 && p->scans == 0) {
		memset(p, 0, sizeof(*p));
		p->start_ms = logstore_wall_ms();
	}
	p->scans += dscans;
	p->done += done;
	p->total += total;
	if (p->scans <= 0)
		memset(p, 0, sizeof(*p));
	st->generation++;
}

const struct logstore_progress *logstore_progress(const struct logstore *st)
{
	return &st->progress;
}

/* Bytes in words: "512 B", "3.4 MiB", "1.2 GiB". */
static void logstore_bytes(double b, char *out, size_t cap)
{
	static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	while (b >= 1024 && u + 1 < sizeof(unit) / sizeof(*unit)) {
		b /= 1024;
		u++;
	}
	snprintf(out, cap, u == 0 ? "%.0f %s" : "%.1f %s", b, unit[u]);
}

bool logstore_progress_text(const struct logstore *st, int64_t now_ms, char *out, size_t cap)
{
	const struct logstore_progress *p = &st->progress;
	out[0] = '\0';
	if (p->scans <= 0 || p->total <= 0)
		return false;
	char done[32], total[32], rate[48] = "", left[48] = "";
	logstore_bytes((double)p->done, done, sizeof(done));
	logstore_bytes((double)p->total, total, sizeof(total));
	double secs = (double)(now_ms - p->start_ms) / 1000.0;
	if (secs > 0.05 && p->done > 0) {
		double bps = (double)p->done / secs;
		char r[32];
		logstore_bytes(bps, r, sizeof(r));
		snprintf(rate, sizeof(rate), ", %s/s", r);
		double rest = (double)(p->total - p->done) / bps;
		char age[16];
		util_age((uint64_t)(rest * 1000) + 999, age, sizeof(age));
		snprintf(left, sizeof(left), ", %s left", age);
	}
	snprintf(out, cap, "reading from the start: %s of %s (%.0f %%)%s%s", done, total,
	         100.0 * (double)p->done / (double)p->total, rate, left);
	return true;
}

const struct logstore_stats *logstore_stats(const struct logstore *st)
{
	return &st->stats;
}

uint64_t logstore_generation(const struct logstore *st)
{
	return st->generation;
}

/* ---- a store rebuilt from its JSON (kind-logs.c's from_json) ---- */

void logstore_restore_group(struct logstore *st, const struct logstore_restored *r)
{
	/* the identity only has to be stable and distinct: the text's FNV-1a */
	uint64_t h = 14695981039346656037ull;
	for (const char *p = r->fingerprint; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	while (logstore_find(st, h) != NULL)
		h++;
	struct log_group *g = logstore_group_new(st, h, xstrdup(r->fingerprint), r->first_ms, LOG_SEV_INFO);
	st->nfresh = 0; /* restored groups are not news to anyone */
	logstore_push_newest(st, g);
	g->last_ms = r->last_ms;
	g->count = r->count;
	g->sample = xstrdup(r->text);
	g->source = (uint16_t)r->source;
	g->sev = (uint8_t)r->sev;
	st->generation++;
}

void logstore_restore_line(struct logstore *st, const struct logstore_restored *r)
{
	char *text = xstrdup(r->text);
	logstore_push_line(st, r->first_ms, r->source, r->sev, text, strlen(text), false);
	st->generation++;
}

void logstore_restore_rates(struct logstore *st, int64_t now_ms, double per_minute, const double *history,
                            size_t n, const struct logstore_stats *stats)
{
	int64_t sec = now_ms / 1000, min = now_ms / 60000;
	size_t si = (size_t)(sec % LS_BUCKETS);
	st->sec_key[si] = sec;
	st->sec_count[si] = per_minute > 0 && per_minute < 4e9 ? (uint32_t)per_minute : 0;
	if (n > LS_BUCKETS)
		n = LS_BUCKETS;
	for (size_t k = 0; k < n; k++) {
		int64_t m = min - (int64_t)(n - 1 - k);
		size_t i = (size_t)(m % LS_BUCKETS);
		st->min_key[i] = m;
		st->min_count[i] = history[k] > 0 && history[k] < 4e9 ? (uint32_t)history[k] : 0;
	}
	st->stats = *stats;
	st->generation++;
}
