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
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define LS_BUCKETS LOGSTORE_BUCKETS

/* A Python traceback being assembled on one source: the header line is
 * stored at once (as info) and kept here; the frames follow, stamped with the
 * header's time; the first line after them that names an exception
 * ("KeyError: 'price'") is the event's one error and names its group. A trace
 * that ends otherwise (another line, the bounds, or LOGSTORE_TRACE_IDLE_MS
 * without a line) is counted once under its header. */
struct logstore_trace {
	bool active, frames;
	int64_t time_ms;   /* the event's time */
	int64_t last_wall; /* when its last line came */
	uint32_t lines, bytes;
	char *head; /* the header's raw bytes, owned */
	size_t head_len;
};

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
	struct logstore_trace *traces; /* one per source */

	struct logstore_stats stats;
	int64_t deploy_ms; /* the latest deploy seen (an event), 0: none */
	/* error groups created since the last logstore_take_new_groups, for the
	 * "new error group" event; beyond the cap only the first are told */
	uint64_t fresh[LOGSTORE_FRESH_MAX];
	size_t nfresh;
	int64_t sec_key[LS_BUCKETS], min_key[LS_BUCKETS];
	uint32_t sec_count[LS_BUCKETS], min_count[LS_BUCKETS];
};

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
	}
	for (size_t i = 0; i < st->nsources; i++) {
		free(st->sources[i]);
		free(st->traces[i].head);
	}
	free(st->sources);
	free(st->traces);
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
	st->traces = xrealloc(st->traces, (st->nsources + 1) * sizeof(*st->traces));
	memset(&st->traces[st->nsources], 0, sizeof(*st->traces));
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

static void logstore_group_add(struct logstore *st, unsigned source, int64_t t, enum log_sev sev,
                               const char *raw, size_t len, const char *text)
{
	char fp[512];
	size_t fplen;
	uint64_t h = fingerprint_mask(raw, len, fp, sizeof(fp), &fplen);
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
	}
	if (sev > g->sev)
		g->sev = (uint8_t)sev;
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

/* ---- Python tracebacks ---- */

static const char logstore_trace_head[] = "Traceback (most recent call last):";

/* "KeyError: 'price'", "ValueError", "requests.exceptions.ConnectionError: ...". */
static bool logstore_trace_final(const char *raw, size_t len)
{
	size_t i = 0;
	if (len == 0 ||
	    !((raw[0] >= 'A' && raw[0] <= 'Z') || (raw[0] >= 'a' && raw[0] <= 'z') || raw[0] == '_'))
		return false;
	while (i < len && ((raw[i] >= 'A' && raw[i] <= 'Z') || (raw[i] >= 'a' && raw[i] <= 'z') ||
	                   (raw[i] >= '0' && raw[i] <= '9') || raw[i] == '_' || raw[i] == '.'))
		i++;
	return i == len || raw[i] == ':';
}

/* The trace ended without its exception line: the event is its header. */
static void logstore_trace_abandon(struct logstore *st, unsigned source)
{
	struct logstore_trace *tr = &st->traces[source];
	if (!tr->active)
		return;
	st->stats.errors++;
	logstore_count_error(st, tr->time_ms);
	bool cut;
	char *text = logstore_text(st->max_line_bytes, tr->head, tr->head_len, false, &cut);
	logstore_group_add(st, source, tr->time_ms, LOG_SEV_ERROR, tr->head, tr->head_len, text);
	free(text);
	free(tr->head);
	memset(tr, 0, sizeof(*tr));
}

void logstore_flush_traces(struct logstore *st, int64_t wall_ms)
{
	if (wall_ms == 0)
		wall_ms = logstore_wall_ms();
	for (size_t i = 0; i < st->nsources; i++)
		if (st->traces[i].active && wall_ms - st->traces[i].last_wall >= LOGSTORE_TRACE_IDLE_MS)
			logstore_trace_abandon(st, (unsigned)i);
}

/* Sets *time_ms and *sev for a line that belongs to a traceback of source
 * (its header, a frame, its exception line); leaves them for any other. */
static void logstore_trace_line(struct logstore *st, unsigned source, const char *raw, size_t len,
                                int64_t *time_ms, int *sev)
{
	struct logstore_trace *tr = &st->traces[source];
	int64_t wall = logstore_wall_ms();
	if (tr->active) {
		bool frame = len > 0 && (raw[0] == ' ' || raw[0] == '\t');
		if (frame && tr->lines < LOGSTORE_TRACE_MAX_LINES &&
		    tr->bytes + len <= LOGSTORE_TRACE_MAX_BYTES) {
			tr->lines++;
			tr->bytes += (uint32_t)len;
			tr->frames = true;
			tr->last_wall = wall;
			*time_ms = tr->time_ms;
			*sev = LOG_SEV_INFO;
			return;
		}
		if (tr->frames && !frame && logstore_trace_final(raw, len)) {
			*time_ms = tr->time_ms;
			*sev = LOG_SEV_ERROR;
			free(tr->head);
			memset(tr, 0, sizeof(*tr));
			return;
		}
		logstore_trace_abandon(st, source);
	}
	size_t hl = sizeof(logstore_trace_head) - 1;
	if (len >= hl && memcmp(raw, logstore_trace_head, hl) == 0) {
		tr->active = true;
		tr->time_ms = *time_ms > 0 ? *time_ms : logstore_line_time(raw, len, wall);
		tr->last_wall = wall;
		tr->head_len = len < FINGERPRINT_INPUT_MAX ? len : FINGERPRINT_INPUT_MAX;
		tr->head = xmalloc(tr->head_len);
		memcpy(tr->head, raw, tr->head_len);
		*time_ms = tr->time_ms;
		*sev = LOG_SEV_INFO;
	}
}

void logstore_ingest(struct logstore *st, struct logclass *lc, unsigned source, int64_t time_ms, int sev,
                     const char *raw, size_t len, bool cut)
{
	if (source < st->nsources)
		logstore_trace_line(st, source, raw, len, &time_ms, &sev);
	/* Classified first: what else is done depends on it (see the head). */
	if (sev < 0)
		sev = lc != NULL ? (int)logclass_classify(lc, raw, len) : LOG_SEV_INFO;
	st->stats.lines++;
	st->generation++;
	/* Deferred only when whether the text is cut is known now, for the count:
	 * cut by length, or too short for escaping to grow it past the limit. */
	bool cut_now = cut || len > st->max_line_bytes;
	if (sev < LOG_SEV_WARN && (cut_now || len * SANITIZE_GROWTH_MAX <= st->max_line_bytes)) {
		if (cut_now)
			st->stats.cut++;
		logstore_push_raw(st, time_ms, time_ms > 0 ? 0 : logstore_wall_ms(), source, sev, raw, len,
		                  cut);
		return;
	}
	if (time_ms <= 0)
		time_ms = logstore_line_time(raw, len, logstore_wall_ms());
	char *text = logstore_text(st->max_line_bytes, raw, len, cut, &cut);
	if (cut)
		st->stats.cut++;
	if (sev == LOG_SEV_ERROR) {
		st->stats.errors++;
		logstore_count_error(st, time_ms);
	} else if (sev == LOG_SEV_WARN) {
		st->stats.warnings++;
	}
	logstore_group_add(st, source, time_ms, (enum log_sev)sev, raw, len, text);
	logstore_push_line(st, time_ms, source, sev, text, strlen(text), cut);
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

void logstore_merge(struct logstore *st, unsigned source, struct logbatch *b)
{
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
			g->sample = bg->sample;
			bg->sample = NULL;
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

const struct logstore_stats *logstore_stats(const struct logstore *st)
{
	return &st->stats;
}

uint64_t logstore_generation(const struct logstore *st)
{
	return st->generation;
}
