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
 * pread with an error; its fd is closed at the end of the scan. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>

#include "sitrep/procfs.h"
#include "sitrep/util.h"

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
	return p;
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
}

bool procfs_procs_have_baseline(const struct procfs_procs *p)
{
	return p->have_prev;
}

static bool procfs_is_pid_name(const char *name)
{
	if (*name == '\0')
		return false;
	for (; *name != '\0'; name++)
		if (*name < '0' || *name > '9')
			return false;
	return true;
}

/* One read of a whole small /proc file; the kernel builds PID/stat in one go. */
static ssize_t procfs_read_at(int dirfd, const char *path, char *buf, size_t cap)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	ssize_t n;
	do
		n = read(fd, buf, cap);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n;
}

/* The PID/stat of the directory entry name: the fd kept from the last scan
 * (taken out of the previous table; *kept tells), or a new one. -1 when it
 * cannot be opened. */
static int procfs_procs_open(struct procfs_procs *p, int dfd, const char *name, size_t nlen, bool *kept)
{
	struct procfs_slot *old = procfs_table_find(&p->prev, atoi(name));
	*kept = old != NULL && old->fd1 != 0;
	if (*kept) {
		int fd = old->fd1 - 1;
		old->fd1 = 0;
		return fd;
	}
	char path[64];
	memcpy(path, name, nlen);
	memcpy(path + nlen, "/stat", sizeof("/stat"));
	return openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
}

static ssize_t procfs_pread(int fd, char *buf, size_t cap)
{
	ssize_t n;
	do
		n = pread(fd, buf, cap, 0);
	while (n < 0 && errno == EINTR);
	return n;
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

long procfs_procs_scan(struct procfs_procs *p, const char *root, double seconds, struct procfs_top *top,
                       size_t *n, size_t cap)
{
	*n = 0;
	DIR *dir = opendir(root);
	if (dir == NULL)
		return -1;
	int dfd = dirfd(dir);
	long count = 0;
	ssize_t ulen = procfs_read_at(dfd, "uptime", p->buf, sizeof(p->buf) - 1);
	p->uptime = 0;
	if (ulen > 0) {
		p->buf[ulen] = '\0';
		p->uptime = strtod(p->buf, NULL);
	}
	struct dirent *de;
	while ((de = readdir(dir)) != NULL) {
		size_t nlen = strlen(de->d_name);
		if (nlen > 20 || !procfs_is_pid_name(de->d_name))
			continue;
		bool kept;
		int fd = procfs_procs_open(p, dfd, de->d_name, nlen, &kept);
		if (fd < 0)
			continue;
		ssize_t len = procfs_pread(fd, p->buf, sizeof(p->buf));
		if (len <= 0 && kept) {
			/* the pid was reused by a new process: the old fd reads nothing */
			close(fd);
			fd = procfs_procs_open(p, dfd, de->d_name, nlen, &kept);
			if (fd < 0)
				continue;
			len = procfs_pread(fd, p->buf, sizeof(p->buf));
		}
		struct procfs_pid_stat st;
		/* A process may exit between readdir and the read: just skip it. */
		if (len <= 0 || procfs_parse_pid_stat(p->buf, (size_t)len, &st) < 0 ||
		    st.pid != atoi(de->d_name)) {
			close(fd);
			continue;
		}
		count++;
		double cpu = procfs_procs_account(p, &st, seconds);
		procfs_procs_keep(p, st.pid, fd);
		/* a zombie or a dying task holds nothing: it is counted, not listed */
		if (st.state == 'Z' || st.state == 'X')
			continue;
		struct procfs_top e;
		e.pid = st.pid;
		memcpy(e.comm, st.comm, sizeof(e.comm));
		e.cpu = isnan(cpu) ? 0.0 : cpu;
		e.rss = st.rss_pages > 0 ? (uint64_t)st.rss_pages * (uint64_t)p->page_size : 0;
		procfs_top_insert(top, n, cap, &e);
	}
	closedir(dir);
	procfs_procs_end_scan(p);
	return count;
}
