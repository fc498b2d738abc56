/* procfs-procs: the top-processes scan, the expensive part of the host
 * metrics. One opendir of /proc per scan, one read of each PID/stat into a
 * reused buffer (no stdio), and two open-addressing tables of the previous and
 * current ticks per pid, swapped after each scan so that dead pids drop out
 * without tombstones. Only the few busiest processes are kept; nothing else is
 * copied or sanitized.
 *
 * Each PID/stat stays open between scans (up to a cap well under the fd
 * limit) and is read again with pread at offset 0: the kernel regenerates the
 * text, and one syscall per process replaces openat+read+close, which is most
 * of what an idle dashboard costs. A process that has exited answers the
 * pread with an error; its fd is closed at the end of the scan.
 *
 * On a real procfs the directory and ROOT/uptime stay open too (rewound and
 * pread each scan), and the directory is not read at all when the fork
 * counter of ROOT/stat has not moved since the last listing: without a fork
 * no pid can appear, so the pids read last time are the ones to read again
 * (an exited one fails its read, as it would after a listing). A fake root
 * (tests, bench/procfs-top) is opened afresh every scan, as its files may be
 * replaced between scans. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <linux/magic.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <string.h>
#include <unistd.h>

#include "backends/procfs.h"
#include "sitrep/core/util.h"

struct procfs_slot {
	int pid; /* 0: empty */
	uint64_t starttime;
	uint64_t ticks; /* utime + stime */
	int fd1;        /* the open PID/stat plus one; 0: none */
};

struct procfs_table {
	struct procfs_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

struct procfs_procs {
	long clk_tck, page_size;
	struct procfs_table prev, cur;
	bool have_prev;
	/* ROOT/uptime at this scan and the previous one (0: unknown): a process
	 * born between two scans is measured over its own lifetime, so a busy
	 * short-lived compiler shows up instead of reading 0 %. */
	double uptime, prev_uptime;
	int fd_cap;  /* how many PID/stat files may stay open */
	int fd_held; /* how many the current table holds */
	/* the kept directory of a real procfs root, and its uptime file */
	char *dir_root;
	DIR *dir;
	int uptime_fd; /* -1: none */
	/* the fork counter given for this scan, and the one of the last listing */
	uint64_t forks, listed_forks;
	bool forks_known, have_list;
	int *pids; /* the pids read after the last listing, in directory order */
	size_t npids, pids_cap;
	char buf[2048]; /* one /proc/PID/stat; real ones are under 400 bytes */
};

struct procfs_procs *procfs_procs_new(long clk_tck, long page_size)
{
	struct procfs_procs *p = xcalloc(1, sizeof(*p));
	p->clk_tck = clk_tck > 0 ? clk_tck : 100;
	p->page_size = page_size > 0 ? page_size : 4096;
	/* a quarter of the fd limit at most: log files, children and sockets
	 * need the rest */
	struct rlimit rl;
	p->fd_cap = 512;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < 512)
		p->fd_cap = (int)(rl.rlim_cur / 4);
	p->uptime_fd = -1;
	return p;
}

/* Closes the kept directory and uptime file; the next scan opens them again. */
static void procfs_procs_close_dir(struct procfs_procs *p)
{
	if (p->dir != NULL)
		closedir(p->dir);
	if (p->uptime_fd >= 0)
		close(p->uptime_fd);
	free(p->dir_root);
	p->dir = NULL;
	p->uptime_fd = -1;
	p->dir_root = NULL;
	p->have_list = false;
}

static void procfs_table_close_fds(struct procfs_table *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].fd1 != 0) {
			close(t->slots[i].fd1 - 1);
			t->slots[i].fd1 = 0;
		}
	}
}

void procfs_procs_free(struct procfs_procs *p)
{
	if (p == NULL)
		return;
	procfs_table_close_fds(&p->prev);
	procfs_table_close_fds(&p->cur);
	procfs_procs_close_dir(p);
	free(p->pids);
	free(p->prev.slots);
	free(p->cur.slots);
	free(p);
}

static size_t procfs_table_hash(int pid, size_t cap)
{
	return ((uint32_t)pid * 2654435761u) & (cap - 1);
}

static struct procfs_slot *procfs_table_find(const struct procfs_table *t, int pid)
{
	if (t->cap == 0)
		return NULL;
	for (size_t i = procfs_table_hash(pid, t->cap);; i = (i + 1) & (t->cap - 1)) {
		if (t->slots[i].pid == pid)
			return &t->slots[i];
		if (t->slots[i].pid == 0)
			return NULL;
	}
}

static void procfs_table_put(struct procfs_table *t, const struct procfs_slot *s);

/* Keeps the load factor under one half so probes stay short. */
static void procfs_table_reserve(struct procfs_table *t, size_t n)
{
	if (n * 2 <= t->cap)
		return;
	struct procfs_table old = *t;
	size_t cap = old.cap != 0 ? old.cap : 256;
	while (n * 2 > cap)
		cap *= 2;
	t->slots = xcalloc(cap, sizeof(*t->slots));
	t->cap = cap;
	t->n = 0;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slots[i].pid != 0)
			procfs_table_put(t, &old.slots[i]);
	free(old.slots);
}

static void procfs_table_put(struct procfs_table *t, const struct procfs_slot *s)
{
	procfs_table_reserve(t, t->n + 1);
	size_t i = procfs_table_hash(s->pid, t->cap);
	while (t->slots[i].pid != 0 && t->slots[i].pid != s->pid)
		i = (i + 1) & (t->cap - 1);
	if (t->slots[i].pid == 0)
		t->n++;
	t->slots[i] = *s;
}

double procfs_procs_account(struct procfs_procs *p, const struct procfs_pid_stat *st, double seconds)
{
	struct procfs_slot s = {st->pid, st->starttime, st->utime + st->stime, 0};
	procfs_table_put(&p->cur, &s);
	if (!p->have_prev || !(seconds > 0))
		return NAN;
	const struct procfs_slot *old = procfs_table_find(&p->prev, st->pid);
	if (old == NULL || old->starttime != s.starttime) {
		double born = (double)s.starttime / (double)p->clk_tck;
		double life = p->uptime - born;
		if (p->prev_uptime > 0 && p->uptime > 0 && born >= p->prev_uptime && life > 0.01)
			return (double)s.ticks / (double)p->clk_tck / life * 100.0;
		return NAN;
	}
	if (s.ticks < old->ticks)
		return NAN;
	return (double)(s.ticks - old->ticks) / ((double)p->clk_tck * seconds) * 100.0;
}

void procfs_procs_end_scan(struct procfs_procs *p)
{
	/* what is still open in the previous table belongs to exited processes */
	procfs_table_close_fds(&p->prev);
	p->fd_held = 0;
	struct procfs_table t = p->prev;
	p->prev = p->cur;
	p->cur = t;
	if (p->cur.slots != NULL)
		memset(p->cur.slots, 0, p->cur.cap * sizeof(*p->cur.slots));
	p->cur.n = 0;
	p->have_prev = true;
	p->prev_uptime = p->uptime;
	p->forks_known = false;
}

void procfs_procs_set_forks(struct procfs_procs *p, uint64_t forks)
{
	p->forks = forks;
	p->forks_known = true;
}

bool procfs_procs_have_baseline(const struct procfs_procs *p)
{
	return p->have_prev;
}

/* The pid a directory entry names, or 0 when it is not a pid. */
static int procfs_pid_of_name(const char *name)
{
	if (*name == '\0')
		return 0;
	long v = 0;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return 0;
		v = v * 10 + (*name - '0');
		if (v > INT32_MAX)
			return 0;
	}
	return (int)v;
}

static ssize_t procfs_pread(int fd, char *buf, size_t cap)
{
	ssize_t n;
	do
		n = pread(fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	return n;
}

/* ROOT/uptime in seconds, 0 when unknown. On a real procfs the file stays
 * open (keep) and is read again at offset 0; a failed read opens it anew. */
static double procfs_procs_uptime(struct procfs_procs *p, int dfd, bool keep)
{
	ssize_t n = -1;
	if (p->uptime_fd >= 0) {
		n = procfs_pread(p->uptime_fd, p->buf, sizeof(p->buf) - 1);
		if (n <= 0) {
			close(p->uptime_fd);
			p->uptime_fd = -1;
		}
	}
	if (n <= 0) {
		int fd = openat(dfd, "uptime", O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return 0;
		n = procfs_pread(fd, p->buf, sizeof(p->buf) - 1);
		if (keep && n > 0)
			p->uptime_fd = fd;
		else
			close(fd);
	}
	if (n <= 0)
		return 0;
	p->buf[n] = '\0';
	return strtod(p->buf, NULL);
}

/* PID/stat of pid: the fd kept from the last scan (taken out of the previous
 * table; *kept tells), or a new one. -1 when it cannot be opened. */
static int procfs_procs_open(struct procfs_procs *p, int dfd, int pid, bool *kept)
{
	struct procfs_slot *old = procfs_table_find(&p->prev, pid);
	*kept = old != NULL && old->fd1 != 0;
	if (*kept) {
		int fd = old->fd1 - 1;
		old->fd1 = 0;
		return fd;
	}
	char digits[16], path[32];
	size_t nd = 0;
	for (unsigned v = (unsigned)pid; v != 0 || nd == 0; v /= 10)
		digits[nd++] = (char)('0' + v % 10);
	size_t len = 0;
	while (nd > 0)
		path[len++] = digits[--nd];
	memcpy(path + len, "/stat", sizeof("/stat"));
	return openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

/* Keeps fd open in the current table while under the cap, else closes it. */
static void procfs_procs_keep(struct procfs_procs *p, int pid, int fd)
{
	struct procfs_slot *s = procfs_table_find(&p->cur, pid);
	if (s != NULL && s->fd1 == 0 && p->fd_held < p->fd_cap) {
		s->fd1 = fd + 1;
		p->fd_held++;
	} else {
		close(fd);
	}
}

/* Reads and accounts one process, adding it to the top list unless it is a
 * zombie. False when it could not be read (it exited, or its pid is gone). */
static bool procfs_procs_one(struct procfs_procs *p, int dfd, int pid, double seconds, struct procfs_top *top,
                             size_t *n, size_t cap)
{
	bool kept;
	int fd = procfs_procs_open(p, dfd, pid, &kept);
	if (fd < 0)
		return false;
	ssize_t len = procfs_pread(fd, p->buf, sizeof(p->buf));
	if (len <= 0 && kept) {
		/* the pid was reused by a new process: the old fd reads nothing */
		close(fd);
		fd = procfs_procs_open(p, dfd, pid, &kept);
		if (fd < 0)
			return false;
		len = procfs_pread(fd, p->buf, sizeof(p->buf));
	}
	struct procfs_pid_stat st;
	/* A process may exit between readdir and the read: just skip it. */
	if (len <= 0 || procfs_parse_pid_stat(p->buf, (size_t)len, &st) < 0 || st.pid != pid) {
		close(fd);
		return false;
	}
	double cpu = procfs_procs_account(p, &st, seconds);
	procfs_procs_keep(p, st.pid, fd);
	/* a zombie or a dying task holds nothing: it is counted, not listed */
	if (st.state == 'Z' || st.state == 'X')
		return true;
	struct procfs_top e;
	e.pid = st.pid;
	e.starttime = st.starttime;
	memcpy(e.comm, st.comm, sizeof(e.comm));
	e.cpu = isnan(cpu) ? 0.0 : cpu;
	e.rss = st.rss_pages > 0 ? (uint64_t)st.rss_pages * (uint64_t)p->page_size : 0;
	procfs_top_insert(top, n, cap, &e);
	return true;
}

/* The directory to scan: on a real procfs the one kept from the last scan;
 * otherwise a new one, which the caller closes (*fresh). */
static DIR *procfs_procs_dir(struct procfs_procs *p, const char *root, bool *fresh)
{
	*fresh = false;
	if (p->dir != NULL && strcmp(p->dir_root, root) == 0)
		return p->dir;
	procfs_procs_close_dir(p);
	DIR *dir = opendir(root);
	if (dir == NULL)
		return NULL;
	struct statfs fs;
	if (fstatfs(dirfd(dir), &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC) {
		p->dir = dir;
		p->dir_root = xstrdup(root);
	} else {
		*fresh = true;
	}
	return dir;
}

static void procfs_procs_remember(struct procfs_procs *p, int pid)
{
	if (p->npids == p->pids_cap) {
		p->pids_cap = p->pids_cap != 0 ? p->pids_cap * 2 : 256;
		p->pids = xrealloc(p->pids, p->pids_cap * sizeof(*p->pids));
	}
	p->pids[p->npids++] = pid;
}

long procfs_procs_scan(struct procfs_procs *p, const char *root, double seconds, struct procfs_top *top,
                       size_t *n, size_t cap)
{
	*n = 0;
	bool fresh;
	DIR *dir = procfs_procs_dir(p, root, &fresh);
	if (dir == NULL) {
		p->forks_known = false;
		return -1;
	}
	int dfd = dirfd(dir);
	long count = 0;
	p->uptime = procfs_procs_uptime(p, dfd, !fresh);
	if (!fresh && p->have_list && p->forks_known && p->forks == p->listed_forks) {
		/* no fork since the listing: the same pids, less those that exited */
		size_t w = 0;
		for (size_t i = 0; i < p->npids; i++) {
			if (procfs_procs_one(p, dfd, p->pids[i], seconds, top, n, cap)) {
				p->pids[w++] = p->pids[i];
				count++;
			}
		}
		p->npids = w;
		procfs_procs_end_scan(p);
		return count;
	}
	if (!fresh)
		rewinddir(dir);
	p->npids = 0;
	bool failed = false;
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(dir);
		if (de == NULL) {
			failed = errno != 0;
			break;
		}
		int pid = procfs_pid_of_name(de->d_name);
		if (pid <= 0)
			continue;
		if (procfs_procs_one(p, dfd, pid, seconds, top, n, cap)) {
			procfs_procs_remember(p, pid);
			count++;
		}
	}
	if (fresh) {
		closedir(dir);
	} else if (failed) {
		/* a kept directory that fails is opened anew next time */
		procfs_procs_close_dir(p);
	} else {
		p->have_list = p->forks_known;
		p->listed_forks = p->forks;
	}
	procfs_procs_end_scan(p);
	return count;
}
