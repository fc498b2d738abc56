/* procfs: the host metrics source. Each refresh reads /proc/stat, loadavg,
 * meminfo, self/mounts (+ statvfs), diskstats, net/dev and, while the pane is
 * visible, every /proc/PID/stat, and publishes a metrics_data: CPU, load,
 * memory, swap, one series per filesystem, disk and network rates, per-core
 * CPU and the top processes. Rates need two samples: when a refresh has no
 * previous sample (the first one, or the process list just became visible) it
 * takes a baseline and samples again half a second later on a timer of its
 * own, so even `sitrep --once` shows current numbers without blocking the loop.
 * Every series keeps a history ring here, copied into each snapshot. The
 * parsers live in procfs-parse.c, the process scan in procfs-procs.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <poll.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/kinds/metrics.h"
#include "backends/procfs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define PROCFS_SETTLE_MS 500
#define PROCFS_MAX_FS    16
#define PROCFS_TOP_MAX   50
#define PROCFS_READ_MAX  (16u << 20)

/* The whole files read every refresh. On a real procfs each stays open and is
 * read again from offset 0 (the kernel regenerates the text), which saves an
 * open and a close per file and refresh; a read that fails closes it, and the
 * next read opens it again. Files under a fake root (tests, bench) are opened
 * afresh each time, as they may be replaced between refreshes. */
enum procfs_file_id {
	PROCFS_STAT,
	PROCFS_LOADAVG,
	PROCFS_MEMINFO,
	PROCFS_MOUNTS,
	PROCFS_DISKSTATS,
	PROCFS_NETDEV,
	PROCFS_NFILES
};

static const char *const procfs_file_rel[PROCFS_NFILES] = {
    [PROCFS_STAT] = "stat",          [PROCFS_LOADAVG] = "loadavg",     [PROCFS_MEMINFO] = "meminfo",
    [PROCFS_MOUNTS] = "self/mounts", [PROCFS_DISKSTATS] = "diskstats", [PROCFS_NETDEV] = "net/dev",
};

/* The recent values of one series, by name, oldest overwritten first. */
struct procfs_ring {
	char *name;
	double *values;
	size_t head, count;
};

struct procfs_state {
	struct source *src;
	/* options */
	char *root;
	double cpu_warn, cpu_crit, mem_warn, mem_crit, swap_warn, swap_crit;
	double disk_warn, disk_crit, load_warn, load_crit;
	bool load_warn_set, load_crit_set;
	size_t top_cap, history;
	/* previous samples */
	long clk_tck, page_size;
	char *buf; /* reused for every whole-file read */
	size_t buf_cap;
	int fds[PROCFS_NFILES]; /* kept open on a real procfs; -1: none */
	/* self/mounts parsed at the last read: on a real procfs it is read again
	 * only when poll says the mount table changed */
	struct procfs_mount *mounts;
	size_t nmounts;
	bool have_mounts;
	struct procfs_stat stat_prev, stat_cur;
	bool have_stat;
	struct procfs_io disk_prev, net_prev;
	bool have_disk, have_net;
	uint64_t sample_ms;
	struct procfs_procs *procs;
	uint64_t procs_ms;
	bool procs_fresh; /* the previous refresh scanned processes */
	struct procfs_top *top;
	struct procfs_ring *rings;
	size_t nrings;
	uv_timer_t settle;
	bool settle_init;
};

static uint64_t procfs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Reads the whole of fd from offset 0 into st->buf (NUL-terminated). /proc
 * files report size 0, so this reads until EOF, growing the reused buffer. */
static int procfs_read_fd(struct procfs_state *st, int fd, size_t *len)
{
	size_t n = 0;
	for (;;) {
		if (st->buf_cap - n < 4096) {
			if (st->buf_cap >= PROCFS_READ_MAX)
				break;
			st->buf_cap = st->buf_cap != 0 ? st->buf_cap * 2 : 16384;
			st->buf = xrealloc(st->buf, st->buf_cap);
		}
		ssize_t r = pread(fd, st->buf + n, st->buf_cap - n - 1, (off_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	st->buf[n] = '\0';
	*len = n;
	return 0;
}

/* Opens root/rel; *proc tells whether it lives on a real procfs. */
static int procfs_open(const struct procfs_state *st, const char *rel, bool *proc)
{
	char *path = xasprintf("%s/%s", st->root, rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	free(path);
	struct statfs fs;
	*proc = fd >= 0 && fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
	return fd;
}

/* Reads one of the files whole into st->buf (see procfs_file_id). */
static int procfs_read(struct procfs_state *st, enum procfs_file_id id, size_t *len)
{
	int *kept = &st->fds[id];
	if (*kept >= 0) {
		/* a real /proc file is never empty: nothing read is a failure too */
		if (procfs_read_fd(st, *kept, len) == 0 && *len > 0)
			return 0;
		close(*kept);
		*kept = -1;
	}
	bool proc;
	int fd = procfs_open(st, procfs_file_rel[id], &proc);
	if (fd < 0)
		return -1;
	int rc = procfs_read_fd(st, fd, len);
	int e = errno;
	if (rc == 0 && proc) {
		*kept = fd;
	} else {
		close(fd);
		errno = e;
	}
	return rc;
}

static void procfs_close_files(struct procfs_state *st)
{
	for (int i = 0; i < PROCFS_NFILES; i++) {
		if (st->fds[i] >= 0)
			close(st->fds[i]);
		st->fds[i] = -1;
	}
}

/* ---- history ---- */

static struct procfs_ring *procfs_ring_get(struct procfs_state *st, const char *name)
{
	for (size_t i = 0; i < st->nrings; i++)
		if (strcmp(st->rings[i].name, name) == 0)
			return &st->rings[i];
	st->rings = xrealloc(st->rings, (st->nrings + 1) * sizeof(*st->rings));
	struct procfs_ring *r = &st->rings[st->nrings++];
	r->name = xstrdup(name);
	r->values = xcalloc(st->history, sizeof(*r->values));
	r->head = r->count = 0;
	return r;
}

/* Appends the value (NaN when there is none) and copies the ring, oldest
 * first, into the series. */
static void procfs_ring_push(struct procfs_state *st, const char *name, struct metric_series *s)
{
	struct procfs_ring *r = procfs_ring_get(st, name);
	r->values[r->head] = s->has_value ? s->value : NAN;
	r->head = (r->head + 1) % st->history;
	if (r->count < st->history)
		r->count++;
	double *ordered = xmalloc(r->count * sizeof(*ordered));
	size_t start = (r->head + st->history - r->count) % st->history;
	for (size_t i = 0; i < r->count; i++)
		ordered[i] = r->values[(start + i) % st->history];
	metrics_set_history(s, ordered, r->count);
	free(ordered);
}

static void procfs_rings_free(struct procfs_state *st)
{
	for (size_t i = 0; i < st->nrings; i++) {
		free(st->rings[i].name);
		free(st->rings[i].values);
	}
	free(st->rings);
	st->rings = NULL;
	st->nrings = 0;
}

/* ---- building the snapshot ---- */

/* The raw (unsanitized) names of the series, in order, so that history can
 * be pushed once the snapshot is known to be published. */
struct procfs_names {
	char *v[64];
	size_t n;
};

static struct metric_series *procfs_series(struct metrics_data *m, struct procfs_names *names,
                                           const char *name, const char *unit)
{
	if (names->n < ARRAY_LEN(names->v))
		names->v[names->n++] = xstrdup(name);
	return metrics_add_series(m, name, unit);
}

static void procfs_thresholds(struct metric_series *s, double warn, double crit)
{
	s->has_warn = s->has_crit = true;
	s->warn = warn;
	s->crit = crit;
}

/* "cannot read ROOT/REL: reason" as the series' error. */
static void procfs_series_error(const struct procfs_state *st, struct metric_series *s, const char *rel,
                                int e)
{
	char *raw = xasprintf("cannot read %s/%s: %s", st->root, rel, strerror(e));
	free(s->error);
	s->error = sanitize_str(raw);
	free(raw);
}

static void procfs_detail_bytes(struct metric_series *s, double used, double total)
{
	char a[32], b[32];
	util_bytes(used, a, sizeof(a));
	util_bytes(total, b, sizeof(b));
	char *raw = xasprintf("%s / %s", a, b);
	free(s->detail);
	s->detail = sanitize_str(raw);
	free(raw);
}

static void procfs_detail_text(struct metric_series *s, const char *text)
{
	free(s->detail);
	s->detail = sanitize(text, strlen(text), 120);
}

static void procfs_add_cpu(struct procfs_state *st, struct metrics_data *m, struct procfs_names *names,
                           bool *baseline)
{
	struct procfs_stat *cur = &st->stat_cur, *prev = &st->stat_prev;
	bool have_prev = st->have_stat && prev->ncores == cur->ncores;
	if (!have_prev)
		*baseline = true;
	/* Without a previous sample (or when no tick passed) the value is the
	 * average since boot: still a number, replaced on the next refresh. */
	double cpu = procfs_cpu_percent(have_prev ? &prev->all : NULL, &cur->all);
	if (isnan(cpu))
		cpu = procfs_cpu_percent(NULL, &cur->all);
	struct metric_series *s = procfs_series(m, names, "CPU", "%");
	procfs_thresholds(s, st->cpu_warn, st->cpu_crit);
	if (!isnan(cpu))
		metrics_set_value(s, cpu);
	char detail[64];
	snprintf(detail, sizeof(detail), "%zu cores", cur->ncores);
	procfs_detail_text(s, detail);

	m->ncores = cur->ncores;
	m->cores = m->ncores != 0 ? xcalloc(m->ncores, sizeof(*m->cores)) : NULL;
	for (size_t i = 0; i < cur->ncores; i++) {
		double c = procfs_cpu_percent(have_prev ? &prev->cores[i] : NULL, &cur->cores[i]);
		if (isnan(c))
			c = procfs_cpu_percent(NULL, &cur->cores[i]);
		m->cores[i] = isnan(c) ? 0.0 : c;
	}
}

static void procfs_add_load(struct procfs_state *st, struct metrics_data *m, struct procfs_names *names)
{
	static const char *const load_names[3] = {"Load 1", "Load 5", "Load 15"};
	double load[3];
	size_t len;
	int e = 0;
	bool ok = procfs_read(st, PROCFS_LOADAVG, &len) == 0;
	if (!ok)
		e = errno;
	else if (procfs_parse_loadavg(st->buf, len, load) < 0)
		ok = false;
	/* A load equal to the core count is a saturated host; twice that is a queue. */
	double cores = st->stat_cur.ncores != 0 ? (double)st->stat_cur.ncores : 1.0;
	double warn = st->load_warn_set ? st->load_warn : cores;
	double crit = st->load_crit_set ? st->load_crit : 2.0 * cores;
	for (int i = 0; i < 3; i++) {
		struct metric_series *s = procfs_series(m, names, load_names[i], "");
		procfs_thresholds(s, warn, crit);
		if (ok)
			metrics_set_value(s, load[i]);
		else if (e != 0)
			procfs_series_error(st, s, "loadavg", e);
		else
			s->error = xasprintf("cannot parse loadavg");
	}
}

static void procfs_add_memory(struct procfs_state *st, struct metrics_data *m, struct procfs_names *names)
{
	struct procfs_mem mem;
	size_t len;
	int e = 0;
	bool ok = procfs_read(st, PROCFS_MEMINFO, &len) == 0;
	if (!ok)
		e = errno;
	else if (procfs_parse_meminfo(st->buf, len, &mem) < 0)
		ok = false;

	struct metric_series *s = procfs_series(m, names, "Memory", "%");
	procfs_thresholds(s, st->mem_warn, st->mem_crit);
	if (ok) {
		metrics_set_value(s, procfs_mem_used_percent(mem.total, mem.available));
		procfs_detail_bytes(s, (double)(mem.total - mem.available), (double)mem.total);
	} else if (e != 0) {
		procfs_series_error(st, s, "meminfo", e);
	} else {
		s->error = xasprintf("cannot parse meminfo");
	}

	s = procfs_series(m, names, "Swap", "%");
	procfs_thresholds(s, st->swap_warn, st->swap_crit);
	if (ok && mem.swap_total == 0) {
		procfs_detail_text(s, "no swap");
	} else if (ok) {
		metrics_set_value(s, procfs_mem_used_percent(mem.swap_total, mem.swap_free));
		procfs_detail_bytes(s, (double)(mem.swap_total - mem.swap_free), (double)mem.swap_total);
	} else if (e != 0) {
		procfs_series_error(st, s, "meminfo", e);
	}
}

/* Whether the mount table must be read again: always under a fake root or
 * without a parsed copy; on a real procfs only when poll on the kept
 * self/mounts reports a change (POLLPRI, as util-linux's findmnt --poll
 * waits for), since the text is only regenerated to find nothing new. */
static bool procfs_mounts_stale(const struct procfs_state *st)
{
	if (!st->have_mounts || st->fds[PROCFS_MOUNTS] < 0)
		return true;
	struct pollfd pfd = {.fd = st->fds[PROCFS_MOUNTS], .events = POLLPRI};
	int r;
	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	return r != 0;
}

static void procfs_mounts_drop(struct procfs_state *st)
{
	procfs_mounts_free(st->mounts, st->nmounts);
	st->mounts = NULL;
	st->nmounts = 0;
	st->have_mounts = false;
}

static void procfs_add_filesystems(struct procfs_state *st, struct metrics_data *m,
                                   struct procfs_names *names)
{
	size_t len;
	if (procfs_mounts_stale(st)) {
		procfs_mounts_drop(st);
		if (procfs_read(st, PROCFS_MOUNTS, &len) < 0) {
			int e = errno;
			struct metric_series *s = procfs_series(m, names, "fs", "%");
			procfs_series_error(st, s, "self/mounts", e);
			return;
		}
		st->nmounts = procfs_parse_mounts(st->buf, len, &st->mounts);
		st->have_mounts = true;
	}
	const struct procfs_mount *mounts = st->mounts;
	size_t n = st->nmounts;
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < PROCFS_MAX_FS; i++) {
		/* Network and FUSE filesystems are filtered out by the parser:
		 * a statvfs on a dead server would block the loop. */
		struct statvfs vfs;
		if (statvfs(mounts[i].dir, &vfs) < 0 || vfs.f_blocks == 0)
			continue;
		double frsize = vfs.f_frsize != 0 ? (double)vfs.f_frsize : (double)vfs.f_bsize;
		double used = (double)(vfs.f_blocks - vfs.f_bfree) * frsize;
		double avail = (double)vfs.f_bavail * frsize;
		/* Like df: the share of what non-root users can have. */
		double pct = used + avail > 0 ? used / (used + avail) * 100.0 : 0.0;
		char *name = xasprintf("fs %s", mounts[i].dir);
		struct metric_series *s = procfs_series(m, names, name, "%");
		free(name);
		procfs_thresholds(s, st->disk_warn, st->disk_crit);
		metrics_set_value(s, pct);
		procfs_detail_bytes(s, used, (double)vfs.f_blocks * frsize);
		metrics_add_label(s, "mount", mounts[i].dir);
		metrics_add_label(s, "device", mounts[i].device);
		metrics_add_label(s, "type", mounts[i].type);
		shown++;
	}
}

/* Disk or network: two rate series from byte counters. */
static void procfs_add_io(struct procfs_state *st, struct metrics_data *m, struct procfs_names *names,
                          bool disk, double seconds, bool *baseline)
{
	enum procfs_file_id id = disk ? PROCFS_DISKSTATS : PROCFS_NETDEV;
	const char *rel = procfs_file_rel[id];
	const char *rname = disk ? "Disk read" : "Net rx";
	const char *wname = disk ? "Disk write" : "Net tx";
	struct procfs_io *prev = disk ? &st->disk_prev : &st->net_prev;
	bool *have = disk ? &st->have_disk : &st->have_net;
	struct procfs_io cur;
	size_t len;
	int e = 0;
	bool ok = procfs_read(st, id, &len) == 0;
	if (!ok)
		e = errno;
	else if ((disk ? procfs_parse_diskstats : procfs_parse_netdev)(st->buf, len, &cur) < 0)
		ok = false;

	struct metric_series *r = procfs_series(m, names, rname, "B/s");
	if (ok && *have) {
		metrics_set_value(r, procfs_rate(prev->read_bytes, cur.read_bytes, seconds));
		procfs_detail_text(r, cur.names);
	} else if (ok) {
		procfs_detail_text(r, cur.names);
	} else if (e != 0) {
		procfs_series_error(st, r, rel, e);
	} else {
		r->error = xasprintf("cannot parse %s", rel);
	}
	char *rerr = r->error != NULL ? xstrdup(r->error) : NULL;

	struct metric_series *w = procfs_series(m, names, wname, "B/s");
	if (ok && *have) {
		metrics_set_value(w, procfs_rate(prev->write_bytes, cur.write_bytes, seconds));
		procfs_detail_text(w, cur.names);
	} else if (ok) {
		procfs_detail_text(w, cur.names);
	}
	w->error = rerr;

	if (ok) {
		if (!*have)
			*baseline = true;
		*prev = cur;
		*have = true;
	} else {
		*have = false;
	}
}

static void procfs_add_procs(struct procfs_state *st, struct metrics_data *m, bool visible, uint64_t now,
                             bool *baseline)
{
	if (!visible || st->top_cap == 0) {
		st->procs_fresh = false;
		return;
	}
	if (!st->procs_fresh || !procfs_procs_have_baseline(st->procs))
		*baseline = true;
	double seconds = st->procs_fresh ? (double)(now - st->procs_ms) / 1000.0 : 0.0;
	if (st->stat_cur.has_forks)
		procfs_procs_set_forks(st->procs, st->stat_cur.forks);
	size_t n = 0;
	/* the configured "top", or as many as the pane has rows for (zoomed) */
	size_t cap = st->top_cap;
	if (st->src->view_rows > 0 && (size_t)st->src->view_rows > cap)
		cap =
		    (size_t)st->src->view_rows < PROCFS_TOP_MAX ? (size_t)st->src->view_rows : PROCFS_TOP_MAX;
	long count = procfs_procs_scan(st->procs, st->root, seconds, st->top, &n, cap);
	st->procs_ms = now;
	st->procs_fresh = count >= 0;
	if (count < 0 || n == 0)
		return;
	m->procs = xcalloc(n, sizeof(*m->procs));
	m->nprocs = n;
	/* the few shown get their command line, user and start (procfs-proc.c) */
	double boot = procfs_proc_boot(st->root);
	for (size_t i = 0; i < n; i++) {
		m->procs[i].pid = st->top[i].pid;
		m->procs[i].name = sanitize_str(st->top[i].comm);
		m->procs[i].cpu = st->top[i].cpu;
		m->procs[i].rss = st->top[i].rss;
		m->procs[i].start_ticks = st->top[i].starttime;
		procfs_proc_details(st->root, st->clk_tck, boot, &m->procs[i]);
	}
}

/* One pass over every file. NULL with *fatal set when /proc/stat is not there:
 * without it nothing else is worth showing. *baseline tells that some rate had
 * no previous sample. */
static struct metrics_data *procfs_collect(struct procfs_state *st, bool visible, struct procfs_names *names,
                                           bool *baseline, char **fatal)
{
	size_t len;
	if (procfs_read(st, PROCFS_STAT, &len) < 0) {
		*fatal = xasprintf("cannot read %s/stat: %s", st->root, strerror(errno));
		return NULL;
	}
	if (procfs_parse_stat(st->buf, len, &st->stat_cur) < 0) {
		*fatal = xasprintf("cannot parse %s/stat: no cpu line", st->root);
		return NULL;
	}
	uint64_t now = procfs_now_ms();
	double seconds = st->have_stat ? (double)(now - st->sample_ms) / 1000.0 : 0.0;

	struct metrics_data *m = metrics_data_new();
	procfs_add_cpu(st, m, names, baseline);
	procfs_add_load(st, m, names);
	procfs_add_memory(st, m, names);
	procfs_add_filesystems(st, m, names);
	procfs_add_io(st, m, names, true, seconds, baseline);
	procfs_add_io(st, m, names, false, seconds, baseline);
	procfs_add_procs(st, m, visible, now, baseline);

	struct procfs_stat t = st->stat_prev;
	st->stat_prev = st->stat_cur;
	st->stat_cur = t;
	st->have_stat = true;
	st->sample_ms = now;
	return m;
}

static void procfs_names_free(struct procfs_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->v[i]);
	names->n = 0;
}

static void procfs_settle_cb(uv_timer_t *timer);

/* Samples; publishes, or after a baseline-only pass samples again shortly. */
static void procfs_run(struct procfs_state *st, bool may_settle)
{
	struct source *src = st->src;
	struct procfs_names names = {.n = 0};
	bool baseline = false;
	char *fatal = NULL;
	struct metrics_data *m = procfs_collect(st, src->visible, &names, &baseline, &fatal);
	if (m == NULL) {
		procfs_names_free(&names);
		st->have_stat = st->have_disk = st->have_net = false;
		source_fail(src, "%s", fatal);
		free(fatal);
		return;
	}
	if (baseline && may_settle && src->loop != NULL) {
		/* the very first frame should not wait for the second sample */
		if (src->snap.data == NULL)
			source_publish_preview(src, m);
		else
			metrics_data_free(m);
		procfs_names_free(&names);
		if (!st->settle_init) {
			uv_timer_init(src->loop, &st->settle);
			st->settle.data = st;
			st->settle_init = true;
		}
		uv_timer_start(&st->settle, procfs_settle_cb, PROCFS_SETTLE_MS, 0);
		return;
	}
	for (size_t i = 0; i < names.n && i < m->nseries; i++)
		procfs_ring_push(st, names.v[i], &m->series[i]);
	procfs_names_free(&names);
	source_publish(src, m);
}

static void procfs_settle_cb(uv_timer_t *timer)
{
	procfs_run(timer->data, false);
}

/* ---- source_ops ---- */

static int procfs_pair(struct config_ctx *ctx, struct jnode *node, const char *prefix, double def_warn,
                       double def_crit, double max, double *warn, double *crit)
{
	char wkey[32], ckey[32];
	snprintf(wkey, sizeof(wkey), "%s_warn", prefix);
	snprintf(ckey, sizeof(ckey), "%s_crit", prefix);
	if (config_get_number(ctx, node, wkey, false, def_warn, 0, max, warn) < 0 ||
	    config_get_number(ctx, node, ckey, false, def_crit, 0, max, crit) < 0)
		return -1;
	if (*warn > *crit) {
		struct jnode *at = jsonc_get(node, wkey);
		return config_fail(ctx, at != NULL ? at : node, "%s (%g) must not be above %s (%g)", wkey,
		                   *warn, ckey, *crit);
	}
	return 0;
}

static int procfs_optional(struct config_ctx *ctx, struct jnode *node, const char *key, bool *set,
                           double *out)
{
	struct jnode *n;
	if (config_get_node(ctx, node, key, JNODE_NUMBER, false, &n) < 0)
		return -1;
	*set = n != NULL;
	if (n == NULL)
		return 0;
	return config_get_number(ctx, node, key, true, 0, 0.01, 1e6, out);
}

static void procfs_state_free(struct procfs_state *st)
{
	free(st->root);
	free(st->buf);
	procfs_close_files(st);
	procfs_mounts_drop(st);
	procfs_stat_free(&st->stat_prev);
	procfs_stat_free(&st->stat_cur);
	procfs_procs_free(st->procs);
	free(st->top);
	procfs_rings_free(st);
	free(st);
}

static int procfs_init(struct source *src, struct config_ctx *ctx, struct jnode *node)
{
	struct procfs_state *st = xcalloc(1, sizeof(*st));
	st->src = src;
	for (int i = 0; i < PROCFS_NFILES; i++)
		st->fds[i] = -1;
	double top = 5, history = 120;
	if (procfs_pair(ctx, node, "cpu", 80, 95, 100, &st->cpu_warn, &st->cpu_crit) < 0 ||
	    procfs_pair(ctx, node, "memory", 85, 95, 100, &st->mem_warn, &st->mem_crit) < 0 ||
	    procfs_pair(ctx, node, "swap", 80, 95, 100, &st->swap_warn, &st->swap_crit) < 0 ||
	    procfs_pair(ctx, node, "disk", 85, 95, 100, &st->disk_warn, &st->disk_crit) < 0 ||
	    procfs_optional(ctx, node, "load_warn", &st->load_warn_set, &st->load_warn) < 0 ||
	    procfs_optional(ctx, node, "load_crit", &st->load_crit_set, &st->load_crit) < 0 ||
	    config_get_number(ctx, node, "top", false, 5, 0, PROCFS_TOP_MAX, &top) < 0 ||
	    config_get_number(ctx, node, "history", false, 120, 10, 3600, &history) < 0 ||
	    config_get_string(ctx, node, "proc_root", false, "/proc", &st->root) < 0)
		goto fail;
	if (st->load_warn_set && st->load_crit_set && st->load_warn > st->load_crit) {
		config_fail(ctx, jsonc_get(node, "load_warn"),
		            "load_warn (%g) must not be above load_crit (%g)", st->load_warn, st->load_crit);
		goto fail;
	}
	if (st->root[0] == '\0') {
		config_fail(ctx, jsonc_get(node, "proc_root"), "expected a directory, not \"\"");
		goto fail;
	}
	st->top_cap = (size_t)top;
	st->history = (size_t)history;
	st->top = xcalloc(PROCFS_TOP_MAX + 1, sizeof(*st->top)); /* zoomed: up to the max */
	st->clk_tck = sysconf(_SC_CLK_TCK);
	st->page_size = sysconf(_SC_PAGESIZE);
	st->procs = procfs_procs_new(st->clk_tck, st->page_size);
	src->data = st;
	return 0;
fail:
	procfs_state_free(st);
	return -1;
}

static void procfs_refresh(struct source *src)
{
	procfs_run(src->data, true);
}

static void procfs_stop(struct source *src)
{
	struct procfs_state *st = src->data;
	if (st != NULL && st->settle_init && !uv_is_closing((uv_handle_t *)&st->settle))
		uv_close((uv_handle_t *)&st->settle, NULL);
	procfs_proc_stop();
}

static void procfs_destroy(struct source *src)
{
	if (src->data != NULL)
		procfs_state_free(src->data);
	src->data = NULL;
}

const char *procfs_root_of(const struct source *src)
{
	const struct procfs_state *st = src->data;
	return st->root;
}

const struct source_ops source_procfs = {
    .name = "procfs",
    .kind = "metrics",
    .init = procfs_init,
    .refresh = procfs_refresh,
    .prepare = procfs_proc_prepare,
    .act = procfs_proc_act,
    .stop = procfs_stop,
    .destroy = procfs_destroy,
};
