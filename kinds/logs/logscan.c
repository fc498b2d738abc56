/* logscan: reads a big backlog of a log file (a file read from its start, a
 * large tail, a burst far ahead of the reader) on the libuv thread pool.
 *
 * The byte range is cut into chunks; each chunk takes the lines that start
 * inside it (a line crossing the cut belongs to the chunk it starts in), so
 * the chunks need no coordination and every line is seen exactly once. A
 * chunk does only what a line's fate needs: it counts the line and remembers
 * where it starts, classifies it (most lines are dismissed by the literal
 * check in logclass without PCRE2), and only for a warning or an error parses
 * the time (cached per thread), fingerprints it and counts it into the
 * chunk's groups. Nothing is allocated per line. When every chunk is done the
 * lines the store will keep (the last max_lines of the whole range) are known;
 * one last job reads just those again and sanitizes them. The loop thread only
 * merges the parts, in file order, into the store (logstore_merge).
 *
 * Lines end at '\n'; a '\r' before it is dropped as linebuf does. A line is
 * classified whole up to LOGSCAN_LINE_MAX bytes (the follow path cuts at
 * linebuf's 1 MiB), so the counts agree with grep on long lines too. An
 * unfinished last line (no '\n' before the end of the range) is left to the
 * follower: the scan reports where its last complete line ended. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define LOGSCAN_BUF       (4u * 1024 * 1024)
#define LOGSCAN_LINE_MAX  (16u * 1024 * 1024)
#define LOGSCAN_CHUNK     (16u * 1024 * 1024)
#define LOGSCAN_CHUNK_MIN (1u * 1024 * 1024)
/* How far past a chunk's nominal cut a line that starts an event is looked
 * for (see logscan_boundary). */
#define LOGSCAN_CUT_MAX (1 << 20)

/* ---- one part: the result of a chunk, or the kept lines ---- */

struct logscan_part {
	struct logbatch b;
	/* private: group table, and the start offsets of the chunk's last lines */
	struct logbatch_group **buckets;
	size_t nbuckets, gcap;
	uint64_t seen;
	int64_t *ring, *hring; /* a line's start, and its event's head's */
	size_t ring_cap, ring_n, ring_head;
	int64_t first_line, end; /* offsets; end -1: no complete line */
};

static void logscan_part_init(struct logscan_part *p, const struct logscan_params *prm)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < LOGSTORE_BUCKETS; i++)
		p->b.sec_key[i] = p->b.min_key[i] = -1;
	p->nbuckets = 64;
	while (p->nbuckets < 2 * prm->max_groups && p->nbuckets < 65536)
		p->nbuckets <<= 1;
	p->first_line = p->end = -1;
}

void logbatch_clear(struct logbatch *b)
{
	for (size_t i = 0; i < b->ngroups; i++) {
		free(b->groups[i].fingerprint);
		free(b->groups[i].sample);
		free(b->groups[i].event);
		free(b->groups[i].cause);
	}
	free(b->groups);
	for (size_t i = 0; i < b->nlines; i++)
		free(b->lines[i].text);
	free(b->lines);
	memset(b, 0, sizeof(*b));
}

static void logscan_part_free(struct logscan_part *p)
{
	if (p == NULL)
		return;
	logbatch_clear(&p->b);
	free(p->buckets);
	free(p->ring);
	free(p->hring);
	free(p);
}

static void logscan_ring_push(struct logscan_part *p, size_t max, int64_t off, int64_t head)
{
	if (p->ring_n < max && p->ring_n == p->ring_cap) {
		/* Grows while not full, so a small chunk costs little. The ring is
		 * linear until it is full (head stays 0). */
		p->ring_cap = p->ring_cap ? p->ring_cap * 2 : 1024;
		if (p->ring_cap > max)
			p->ring_cap = max;
		p->ring = xrealloc(p->ring, p->ring_cap * sizeof(*p->ring));
		p->hring = xrealloc(p->hring, p->ring_cap * sizeof(*p->hring));
	}
	if (p->ring_n < max) {
		p->hring[p->ring_n] = head;
		p->ring[p->ring_n++] = off;
	} else {
		p->ring[p->ring_head] = off;
		p->hring[p->ring_head] = head;
		p->ring_head = (p->ring_head + 1) % max;
	}
}

/* Start offset of the k-th last line of the chunk (k = 1: the last), and
 * in *head that of its event's head line. */
static int64_t logscan_ring_back(const struct logscan_part *p, size_t k, int64_t *head)
{
	size_t n = p->ring_n;
	*head = p->hring[(p->ring_head + n - k) % n];
	return p->ring[(p->ring_head + n - k) % n];
}

static void logscan_count_error(struct logbatch *b, int64_t t)
{
	int64_t sec = t / 1000, min = t / 60000;
	size_t si = (size_t)(sec % LOGSTORE_BUCKETS), mi = (size_t)(min % LOGSTORE_BUCKETS);
	if (b->sec_key[si] < sec) {
		b->sec_key[si] = sec;
		b->sec_count[si] = 0;
	}
	if (b->sec_key[si] == sec)
		b->sec_count[si]++;
	if (b->min_key[mi] < min) {
		b->min_key[mi] = min;
		b->min_count[mi] = 0;
	}
	if (b->min_key[mi] == min)
		b->min_count[mi]++;
}

/* A copy of at most cap + 8 bytes of raw into *dst (grown as needed): enough
 * for the sanitizer to produce the same text (and cut mark) as from the whole
 * line, since every input byte becomes at least one output byte. */
static void logscan_keep_raw(char **dst, size_t *dlen, size_t *dcap, const char *raw, size_t len, size_t cap)
{
	if (len > cap + 8)
		len = cap + 8;
	if (len + 1 > *dcap) {
		*dcap = len + 1;
		*dst = xrealloc(*dst, *dcap);
	}
	memcpy(*dst, raw, len);
	(*dst)[len] = '\0';
	*dlen = len;
}

static struct logbatch_group *logscan_group_slot(struct logscan_part *p, size_t max_groups)
{
	struct logbatch *b = &p->b;
	if (b->ngroups < max_groups) {
		if (b->ngroups == p->gcap) {
			p->gcap = p->gcap ? p->gcap * 2 : 16;
			if (p->gcap > max_groups)
				p->gcap = max_groups;
			struct logbatch_group *old = b->groups;
			b->groups = xrealloc(b->groups, p->gcap * sizeof(*b->groups));
			if (old != b->groups) {
				/* Chains point into the array: rebuild them. */
				memset(p->buckets, 0, p->nbuckets * sizeof(*p->buckets));
				for (size_t i = 0; i < b->ngroups; i++) {
					struct logbatch_group *g = &b->groups[i];
					size_t k = g->hash & (p->nbuckets - 1);
					g->chain = p->buckets[k];
					p->buckets[k] = g;
				}
			}
		}
		struct logbatch_group *g = &b->groups[b->ngroups++];
		memset(g, 0, sizeof(*g));
		return g;
	}
	/* Full: the least recently seen group gives way, as in the store. */
	struct logbatch_group *g = &b->groups[0];
	for (size_t i = 1; i < b->ngroups; i++)
		if (b->groups[i].seen < g->seen)
			g = &b->groups[i];
	struct logbatch_group **pp = &p->buckets[g->hash & (p->nbuckets - 1)];
	while (*pp != g)
		pp = &(*pp)->chain;
	*pp = g->chain;
	b->groups_evicted++;
	char *fp = g->fingerprint, *sample = g->sample, *event = g->event, *cause = g->cause;
	size_t fcap = g->fp_cap, scap = g->sample_cap, ecap = g->event_cap, ccap = g->cause_cap;
	memset(g, 0, sizeof(*g));
	g->fingerprint = fp;
	g->fp_cap = fcap;
	g->sample = sample;
	g->sample_cap = scap;
	g->event = event;
	g->event_cap = ecap;
	g->cause = cause;
	g->cause_cap = ccap;
	return g;
}

static struct logbatch_group *logscan_group_add(struct logscan_part *p, const struct logscan_params *prm,
                                                int64_t t, enum log_sev sev, uint64_t h, const char *fp,
                                                size_t fplen, const char *raw, size_t len)
{
	if (p->buckets == NULL)
		p->buckets = xcalloc(p->nbuckets, sizeof(*p->buckets));
	struct logbatch_group *g = p->buckets[h & (p->nbuckets - 1)];
	while (g != NULL && g->hash != h)
		g = g->chain;
	if (g == NULL) {
		g = logscan_group_slot(p, prm->max_groups);
		g->hash = h;
		size_t flen = 0;
		logscan_keep_raw(&g->fingerprint, &flen, &g->fp_cap, fp, fplen, 512);
		g->first_ms = g->last_ms = t;
		size_t k = h & (p->nbuckets - 1);
		g->chain = p->buckets[k];
		p->buckets[k] = g;
	}
	g->seen = ++p->seen;
	g->count++;
	if (t < g->first_ms)
		g->first_ms = t;
	bool latest = t >= g->last_ms || g->sample == NULL || g->sample_len == 0;
	if (latest) {
		g->last_ms = t > g->last_ms ? t : g->last_ms;
		logscan_keep_raw(&g->sample, &g->sample_len, &g->sample_cap, raw, len, prm->max_line_bytes);
		g->event_len = g->cause_len = 0;
	}
	if (sev > g->sev)
		g->sev = (uint8_t)sev;
	return latest ? g : NULL;
}

/* The time of a line: the one written in it, else now. */
static int64_t logscan_time(const char *raw, size_t len, int64_t now)
{
	int64_t t = logtime_parse(raw, len, now);
	/* A clock in the line far ahead of ours is not believed. */
	return t <= 0 || t > now + 86400000 ? now : t;
}

/* ---- reading lines ---- */

enum logscan_mode { LOGSCAN_COUNT, LOGSCAN_KEEP };

struct logscan_ctx {
	const struct logscan_params *prm;
	struct logclass_match *m;
	struct logscan_part *p;
	enum logscan_mode mode;
	int64_t now;
	size_t lines_cap;
	const volatile int *cancel;
	struct logevent ev; /* the event being assembled (logevent) */
	int64_t head_off;   /* where its head starts */
	int64_t keep_from;  /* LOGSCAN_KEEP: lines before this only feed the event */
	int64_t name_idx;   /* LOGSCAN_KEEP: the kept index of its naming line, -1 */
	int64_t head_idx;   /* LOGSCAN_KEEP: and of its head, -1 */
};

/* The event's time: its head's. */
static int64_t logscan_event_time(struct logscan_ctx *c)
{
	if (c->ev.time_ms <= 0) {
		size_t hl;
		const char *h = logevent_head(&c->ev, &hl);
		c->ev.time_ms = logscan_time(h, hl, c->now);
	}
	return c->ev.time_ms;
}

/* The open event ends: counted (LOGSCAN_COUNT) or its naming line given its
 * severity (LOGSCAN_KEEP). */
static void logscan_event_close(struct logscan_ctx *c, bool absorb)
{
	struct logevent *ev = &c->ev;
	if (!ev->open) {
		logevent_discard(ev, false);
		return;
	}
	if (ev->lines == 1 && (ev->head_sev == LOG_SEV_INFO || c->mode == LOGSCAN_KEEP)) {
		logevent_discard(ev, absorb);
		return;
	}
	struct logbatch *b = &c->p->b;
	int64_t t = logscan_event_time(c);
	struct logevent_out o;
	logevent_close(ev, &o, absorb);
	if (c->mode == LOGSCAN_KEEP) {
		if (c->head_idx >= 0 && (size_t)c->head_idx < b->nlines) {
			if (o.name_not_head && !o.head_leveled)
				b->lines[c->head_idx].sev = LOG_SEV_INFO;
			b->lines[c->head_idx].group = 0;
		}
		if (c->name_idx >= 0 && (size_t)c->name_idx < b->nlines) {
			if (b->lines[c->name_idx].sev < o.sev)
				b->lines[c->name_idx].sev = (uint8_t)o.sev;
			if (o.sev >= LOG_SEV_WARN)
				b->lines[c->name_idx].group = o.hash;
		}
		return;
	}
	if (o.sev == LOG_SEV_INFO)
		return;
	if (o.sev == LOG_SEV_ERROR) {
		b->errors++;
		logscan_count_error(b, t);
	} else {
		b->warnings++;
	}
	struct logbatch_group *g = logscan_group_add(c->p, c->prm, t, (enum log_sev)o.sev, o.hash, o.fp,
	                                             o.fp_len, o.name, o.name_len);
	if (g != NULL && o.text != NULL) {
		logscan_keep_raw(&g->event, &g->event_len, &g->event_cap, o.text, o.text_len,
		                 LOGEVENT_MAX_BYTES);
		if (o.cause != NULL)
			logscan_keep_raw(&g->cause, &g->cause_len, &g->cause_cap, o.cause, o.cause_len,
			                 c->prm->max_line_bytes);
	}
}

static void logscan_keep_line(struct logscan_ctx *c, const char *s, size_t len, int64_t t, enum log_sev sev)
{
	struct logbatch *b = &c->p->b;
	if (b->nlines == c->lines_cap) {
		c->lines_cap = c->lines_cap ? c->lines_cap * 2 : 256;
		b->lines = xrealloc(b->lines, c->lines_cap * sizeof(*b->lines));
	}
	struct log_line *l = &b->lines[b->nlines++];
	memset(l, 0, sizeof(*l));
	l->time_ms = t;
	l->sev = (uint8_t)sev;
	l->text = logstore_text(c->prm->max_line_bytes, s, len, false, &l->cut);
	l->len = (uint32_t)strlen(l->text);
	if (sev >= LOG_SEV_WARN) {
		char fp[512];
		size_t fplen;
		l->group = fingerprint_mask(s, len, fp, sizeof(fp), &fplen);
	}
}

static void logscan_line(struct logscan_ctx *c, const char *s, size_t len, int64_t off)
{
	struct logscan_part *p = c->p;
	const struct logscan_params *prm = c->prm;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	enum logevent_step step = logevent_feed(&c->ev, s, len);
	if (step != LOGEVENT_HEAD) {
		/* a continuation: a line of no severity of its own, at its event's time */
		bool named = step == LOGEVENT_TAKEN && logevent_named_last(&c->ev);
		int64_t t = logscan_event_time(c);
		if (step == LOGEVENT_FULL)
			logscan_event_close(c, true);
		if (c->mode == LOGSCAN_KEEP) {
			if (off >= c->keep_from) {
				if (named)
					c->name_idx = (int64_t)p->b.nlines;
				logscan_keep_line(c, s, len, t, LOG_SEV_INFO);
			}
			return;
		}
		logscan_ring_push(p, prm->max_lines, off, c->head_off);
		p->b.lines_total++;
		if (len > prm->max_line_bytes)
			p->b.cut++;
		return;
	}
	if (c->ev.open || c->ev.overflow)
		logscan_event_close(c, false);
	enum log_sev sev =
	    logclass_classify_in_r(prm->lc, c->m, (enum log_format)prm->format, &c->ev.w3c, s, len);
	logevent_begin(&c->ev, s, len, sev, false, false);
	c->head_off = off;
	if (c->mode == LOGSCAN_KEEP) {
		c->name_idx = c->head_idx = -1;
		if (off >= c->keep_from) {
			c->name_idx = c->head_idx = (int64_t)p->b.nlines;
			logscan_keep_line(c, s, len, logscan_event_time(c), sev);
		}
		return;
	}
	logscan_ring_push(p, prm->max_lines, off, off);
	if (p->first_line < 0)
		p->first_line = off;
	struct logbatch *b = &p->b;
	b->lines_total++;
	if (len > prm->max_line_bytes)
		b->cut++;
	/* A warning or an error is counted when its event closes (the next
	 * head, or the end of the chunk), as one event. */
}

/* Offset just after the first '\n' at or after pos, or limit. */
static int64_t logscan_next_start(int fd, int64_t pos, int64_t limit, char *buf, size_t cap)
{
	while (pos < limit) {
		size_t want = limit - pos < (int64_t)cap ? (size_t)(limit - pos) : cap;
		ssize_t n = pread(fd, buf, want, pos);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return limit;
		const char *nl = memchr(buf, '\n', (size_t)n);
		if (nl != NULL)
			return pos + (nl - buf) + 1;
		pos += n;
	}
	return limit;
}

/* Where a chunk cut at pos really begins: the first line at or after pos
 * that no event can continue (logevent_may_continue false), so that an
 * event is never split between two chunks and the chunks cut a file into the
 * same events as reading it line by line. Both chunks that meet there find
 * the same line. Looked for over LOGSCAN_CUT_MAX bytes; without one (a file
 * that is all stack frames) the first line start is the cut. */
static int64_t logscan_boundary(int fd, int64_t pos, int64_t limit)
{
	char buf[65536];
	int64_t first = logscan_next_start(fd, pos - 1, limit, buf, sizeof(buf));
	int64_t at = first;
	while (at < limit && at - first < LOGSCAN_CUT_MAX) {
		size_t want = limit - at < (int64_t)sizeof(buf) ? (size_t)(limit - at) : sizeof(buf);
		ssize_t n = pread(fd, buf, want, at);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return first;
		size_t i = 0;
		char *nl;
		while (i < (size_t)n && (nl = memchr(buf + i, '\n', (size_t)n - i)) != NULL) {
			const char *l = buf + i;
			size_t len = (size_t)(nl - l);
			if (len > 0 && l[len - 1] == '\r')
				len--;
			if (!logevent_may_continue(l, len))
				return at + (int64_t)i;
			i = (size_t)(nl - buf) + 1;
		}
		if (i == 0) /* a line longer than buf: not judged, passed */
			at = logscan_next_start(fd, at, limit, buf, sizeof(buf));
		else
			at += (int64_t)i;
	}
	return at >= limit ? limit : first;
}

/* Every complete line that starts in [a, b) and ends before limit; when
 * skip_first, a is not known to be a line start and the partial line there
 * belongs to the previous chunk. */
static void logscan_read(struct logscan_ctx *c, int fd, int64_t a, int64_t b, int64_t limit, bool skip_first)
{
	size_t cap = LOGSCAN_BUF;
	char *buf = xmalloc(cap);
	int64_t base = a;
	if (skip_first)
		base = logscan_next_start(fd, a - 1, limit, buf, cap);
	size_t len = 0;
	bool eof = false;
	while (base < b && !eof && !*c->cancel) {
		size_t want = cap - len;
		if ((int64_t)want > limit - (base + (int64_t)len))
			want = (size_t)(limit - (base + (int64_t)len));
		ssize_t n = want > 0 ? pread(fd, buf + len, want, base + (int64_t)len) : 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			eof = true;
		else
			len += (size_t)n;
		char *p = buf, *end = buf + len, *nl;
		while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			int64_t off = base + (p - buf);
			if (off >= b) {
				eof = true;
				break;
			}
			logscan_line(c, p, (size_t)(nl - p), off);
			p = nl + 1;
			c->p->end = base + (p - buf);
		}
		size_t rest = (size_t)(end - p);
		if (p == buf && len == cap && !eof) {
			if (cap < LOGSCAN_LINE_MAX) {
				logevent_own(&c->ev);
				cap *= 2;
				buf = xrealloc(buf, cap);
				continue;
			}
			/* A line longer than LOGSCAN_LINE_MAX: classified by its first
			 * bytes, counted once its end is found. */
			char skip[65536];
			int64_t next = logscan_next_start(fd, base + (int64_t)len, limit, skip, sizeof(skip));
			if (next >= limit && (next == base + (int64_t)len ||
			                      pread(fd, skip, 1, next - 1) != 1 || skip[0] != '\n'))
				break;
			logscan_line(c, buf, len, base);
			logevent_own(&c->ev);
			c->p->end = next;
			base = next;
			len = 0;
			continue;
		}
		/* the event's head may lie in what moves away */
		logevent_own(&c->ev);
		memmove(buf, p, rest);
		base += p - buf;
		len = rest;
	}
	logscan_event_close(c, false);
	free(buf);
}

static int64_t logscan_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logscan_part_finish(struct logscan_part *p, const struct logscan_params *prm)
{
	/* Groups oldest first, so merging keeps the store's recency order;
	 * fingerprint and sample sanitized here, off the loop. */
	struct logbatch *b = &p->b;
	for (size_t i = 1; i < b->ngroups; i++) {
		struct logbatch_group g = b->groups[i];
		size_t k = i;
		while (k > 0 && b->groups[k - 1].seen > g.seen) {
			b->groups[k] = b->groups[k - 1];
			k--;
		}
		b->groups[k] = g;
	}
	for (size_t i = 0; i < b->ngroups; i++) {
		struct logbatch_group *g = &b->groups[i];
		char *fp = sanitize(g->fingerprint, strlen(g->fingerprint), 0);
		free(g->fingerprint);
		g->fingerprint = fp;
		bool cut;
		char *text = logstore_text(prm->max_line_bytes, g->sample, g->sample_len, false, &cut);
		free(g->sample);
		g->sample = text;
		g->chain = NULL;
		char *ev = g->event_len > 0
		               ? logevent_text(g->event, g->event_len, prm->max_line_bytes, LOGEVENT_TEXT_MAX)
		               : NULL;
		char *cause = g->event_len > 0 && g->cause_len > 0
		                  ? logstore_text(prm->max_line_bytes, g->cause, g->cause_len, false, &cut)
		                  : NULL;
		free(g->event);
		free(g->cause);
		g->event = ev;
		g->cause = cause;
	}
	free(p->buckets);
	p->buckets = NULL;
}

/* A chunk that starts past the file's head did not see its W3C "#Fields:"
 * directive (logw3c): it starts with what the directives in the first
 * LOGW3C_HEAD bytes say, where IIS writes them. */
static void logscan_w3c_seed(int fd, struct logw3c *w)
{
	char buf[LOGW3C_HEAD];
	ssize_t n;
	do
		n = pread(fd, buf, sizeof(buf), 0);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		logw3c_seed(w, buf, (size_t)n);
}

static struct logscan_part *logscan_chunk(const struct logscan_params *prm, int fd, int64_t a, int64_t b,
                                          int64_t limit, bool skip_first, const volatile int *cancel)
{
	struct logscan_part *p = xmalloc(sizeof(*p));
	logscan_part_init(p, prm);
	static const int never = 0;
	struct logscan_ctx c = {.prm = prm,
	                        .m = logclass_match_new(prm->lc),
	                        .p = p,
	                        .mode = LOGSCAN_COUNT,
	                        .now = logscan_wall_ms(),
	                        .cancel = cancel != NULL ? cancel : &never};
	logevent_init(&c.ev, prm->format);
	if (skip_first)
		a = logscan_boundary(fd, a, limit);
	if (b < limit)
		b = logscan_boundary(fd, b, limit);
	if (a > 0 && a < b)
		logscan_w3c_seed(fd, &c.ev.w3c);
	if (a < b)
		logscan_read(&c, fd, a, b, limit, false);
	p->b.w3c = c.ev.w3c;
	logevent_free(&c.ev);
	logclass_match_free(c.m);
	logscan_part_finish(p, prm);
	return p;
}

/* The lines from keep_from to end, read from a (the head of keep_from's
 * event, so its lines get the event's time). */
static struct logscan_part *logscan_keep(const struct logscan_params *prm, int fd, int64_t a,
                                         int64_t keep_from, int64_t end, const volatile int *cancel)
{
	struct logscan_part *p = xmalloc(sizeof(*p));
	logscan_part_init(p, prm);
	static const int never = 0;
	struct logscan_ctx c = {.prm = prm,
	                        .m = logclass_match_new(prm->lc),
	                        .p = p,
	                        .mode = LOGSCAN_KEEP,
	                        .now = logscan_wall_ms(),
	                        .cancel = cancel != NULL ? cancel : &never,
	                        .keep_from = keep_from,
	                        .name_idx = -1,
	                        .head_idx = -1};
	logevent_init(&c.ev, prm->format);
	if (a > 0 && a < end)
		logscan_w3c_seed(fd, &c.ev.w3c);
	if (a >= 0 && a < end)
		logscan_read(&c, fd, a, end, end, false);
	p->b.w3c = c.ev.w3c;
	logevent_free(&c.ev);
	logclass_match_free(c.m);
	return p;
}

/* Where the kept lines start: the max_lines-th last line over all parts;
 * *head: where its event starts. */
static int64_t logscan_keep_start(struct logscan_part *const *parts, size_t n, size_t max_lines,
                                  int64_t *head)
{
	size_t want = max_lines;
	int64_t start = -1;
	*head = -1;
	for (size_t i = n; i-- > 0 && want > 0;) {
		const struct logscan_part *p = parts[i];
		if (p->ring_n == 0)
			continue;
		size_t k = p->ring_n < want ? p->ring_n : want;
		start = logscan_ring_back(p, k, head);
		want -= k;
		if (p->b.lines_total > p->ring_n)
			break; /* this chunk alone fills what is left */
	}
	return start;
}

/* ---- synchronous (tests, the bench helper) ---- */

size_t logscan_run(const struct logscan_params *prm, int fd, int64_t from, int64_t to, struct logbatch **out,
                   int64_t *end)
{
	int64_t size = to - from;
	size_t chunk = prm->chunk_bytes > 0 ? prm->chunk_bytes : LOGSCAN_CHUNK;
	size_t n = size > 0 ? (size_t)((size + (int64_t)chunk - 1) / (int64_t)chunk) : 0;
	struct logscan_part **parts = xcalloc(n + 1, sizeof(*parts));
	*end = from;
	for (size_t i = 0; i < n; i++) {
		int64_t a = from + (int64_t)(i * chunk), b = a + (int64_t)chunk;
		parts[i] = logscan_chunk(prm, fd, a, b < to ? b : to, to, i > 0, NULL);
		if (parts[i]->end > *end)
			*end = parts[i]->end;
	}
	int64_t head, keep = logscan_keep_start(parts, n, prm->max_lines, &head);
	parts[n] = logscan_keep(prm, fd, head, keep, *end, NULL);
	for (size_t i = 0; i <= n; i++) {
		out[i] = xmalloc(sizeof(**out));
		*out[i] = parts[i]->b;
		memset(&parts[i]->b, 0, sizeof(parts[i]->b));
		logscan_part_free(parts[i]);
	}
	free(parts);
	return n + 1;
}

/* ---- on the thread pool ---- */

struct logscan_job {
	struct logscan *s;
	uv_work_t req;
	int64_t a, b, keep_from;
	bool skip_first;
	struct logscan_part *part;
};

struct logscan {
	uv_loop_t *loop;
	struct logscan_params prm;
	int fd;
	int64_t from, to, end;
	struct logscan_job *jobs; /* the chunks, then the kept lines */
	size_t njobs, next, running, done;
	size_t delivered; /* chunks handed to part_cb, in file order */
	volatile int cancel;
	bool cancelled;
	logscan_done_fn cb;
	logscan_part_fn part_cb;
	void *ctx;
};

static void logscan_free(struct logscan *s)
{
	for (size_t i = 0; i < s->njobs; i++)
		logscan_part_free(s->jobs[i].part);
	free(s->jobs);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void logscan_work(uv_work_t *req)
{
	struct logscan_job *j = req->data;
	struct logscan *s = j->s;
	if (j == &s->jobs[s->njobs - 1])
		j->part = logscan_keep(&s->prm, s->fd, j->a, j->keep_from, j->b, &s->cancel);
	else
		j->part = logscan_chunk(&s->prm, s->fd, j->a, j->b, s->to, j->skip_first, &s->cancel);
}

static void logscan_after(uv_work_t *req, int status);

static void logscan_queue(struct logscan *s, size_t i)
{
	struct logscan_job *j = &s->jobs[i];
	j->req.data = j;
	s->running++;
	uv_queue_work(s->loop, &j->req, logscan_work, logscan_after);
}

static void logscan_finish(struct logscan *s)
{
	struct logbatch **parts = xcalloc(s->njobs, sizeof(*parts));
	size_t n = 0;
	for (size_t i = s->delivered; i < s->njobs; i++)
		parts[n++] = &s->jobs[i].part->b;
	s->cb(s->ctx, parts, n, s->end);
	free(parts);
	logscan_free(s);
}

static void logscan_after(uv_work_t *req, int status)
{
	struct logscan_job *j = req->data;
	struct logscan *s = j->s;
	s->running--;
	if (s->cancelled || status != 0) {
		if (!s->cancelled) {
			/* uv_cancel is the only way to get here otherwise */
			s->cancelled = true;
		}
		if (s->running == 0)
			logscan_free(s);
		return;
	}
	s->done++;
	size_t nchunks = s->njobs - 1;
	if (j->part->end > s->end)
		s->end = j->part->end;
	if (s->part_cb != NULL && j != &s->jobs[nchunks]) {
		/* what was read, at once; the parts in file order, as they can be */
		s->part_cb(s->ctx, NULL, j->b - j->a);
		while (s->delivered < nchunks && s->jobs[s->delivered].part != NULL) {
			s->part_cb(s->ctx, &s->jobs[s->delivered].part->b, 0);
			s->delivered++;
		}
	}
	if (s->next < nchunks) {
		logscan_queue(s, s->next++);
		return;
	}
	if (s->done == nchunks) {
		struct logscan_part **parts = xcalloc(nchunks, sizeof(*parts));
		for (size_t i = 0; i < nchunks; i++)
			parts[i] = s->jobs[i].part;
		struct logscan_job *k = &s->jobs[nchunks];
		k->keep_from = logscan_keep_start(parts, nchunks, s->prm.max_lines, &k->a);
		k->b = s->end;
		free(parts);
		logscan_queue(s, nchunks);
	} else if (s->done == s->njobs) {
		logscan_finish(s);
	}
}

struct logscan *logscan_start(uv_loop_t *loop, const struct logscan_params *prm, int fd, int64_t from,
                              int64_t to, logscan_done_fn cb, void *ctx)
{
	return logscan_start_parts(loop, prm, fd, from, to, cb, NULL, ctx);
}

struct logscan *logscan_start_parts(uv_loop_t *loop, const struct logscan_params *prm, int fd, int64_t from,
                                    int64_t to, logscan_done_fn cb, logscan_part_fn part_cb, void *ctx)
{
	int dfd = dup(fd);
	if (dfd < 0)
		return NULL;
	struct logscan *s = xcalloc(1, sizeof(*s));
	s->loop = loop;
	s->prm = *prm;
	s->fd = dfd;
	s->from = from;
	s->to = to;
	s->end = from;
	s->cb = cb;
	s->part_cb = part_cb;
	s->ctx = ctx;
	size_t chunk = prm->chunk_bytes;
	if (chunk == 0) {
		/* At least a few chunks per core so both cores stay busy to the end. */
		chunk = (size_t)((to - from) / 8);
		if (chunk > LOGSCAN_CHUNK)
			chunk = LOGSCAN_CHUNK;
		if (chunk < LOGSCAN_CHUNK_MIN)
			chunk = LOGSCAN_CHUNK_MIN;
	}
	size_t n = (size_t)((to - from + (int64_t)chunk - 1) / (int64_t)chunk);
	s->njobs = n + 1;
	s->jobs = xcalloc(s->njobs, sizeof(*s->jobs));
	for (size_t i = 0; i < n; i++) {
		struct logscan_job *j = &s->jobs[i];
		j->s = s;
		j->a = from + (int64_t)(i * chunk);
		j->b = j->a + (int64_t)chunk < to ? j->a + (int64_t)chunk : to;
		j->skip_first = i > 0;
	}
	s->jobs[n].s = s;
	/* No more chunks in flight than cores: the pool stays open for others
	 * (file system requests, name lookups). */
	unsigned par = uv_available_parallelism();
	if (par < 1)
		par = 1;
	if (n == 0) {
		s->jobs[0].a = s->jobs[0].keep_from = -1;
		s->jobs[0].b = to;
		logscan_queue(s, 0);
		return s;
	}
	while (s->next < n && s->next < par)
		logscan_queue(s, s->next++);
	return s;
}

void logscan_cancel(struct logscan *s)
{
	if (s == NULL || s->cancelled)
		return;
	s->cancelled = true;
	s->cancel = 1;
	/* Queued jobs are dropped; running ones stop at their next slice. */
	for (size_t i = 0; i < s->njobs; i++)
		if (s->jobs[i].req.data != NULL)
			uv_cancel((uv_req_t *)&s->jobs[i].req);
	if (s->running == 0)
		logscan_free(s);
}
