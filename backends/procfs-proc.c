/* procfs-proc: one process of the host pane: what its detail shows (the
 * whole command line, the user, when it started), read only for the
 * processes shown, and the signal `K` (SIGTERM) or `X` (SIGKILL) sends to it.
 *
 * A process is named by its pid and its starttime (field 22 of
 * /proc/PID/stat, clock ticks after boot): a pid reused by another process
 * has another starttime. Right before the signal, pidfd_open pins the
 * process the pid names now, and its starttime is read again: if it is the
 * one confirmed, the signal goes through that pidfd (pidfd_send_signal), so
 * nothing can slip in between the check and the signal. Without pidfds
 * (Linux before 5.3) the action is refused rather than racing. The pidfd
 * becomes readable when the process exits: that is the verification. */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/core/action.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/metrics.h"
#include "backends/procfs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

#define PROCFS_PROC_CMDLINE_MAX 4096
#define PROCFS_PROC_TERM_MS     10000 /* how long SIGTERM gets to end the process */
#define PROCFS_PROC_KILL_MS     5000

static ssize_t procfs_proc_read(const char *root, int pid, const char *name, char *buf, size_t cap)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%d/%s", root, pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

double procfs_proc_boot(const char *root)
{
	char path[256], buf[128];
	snprintf(path, sizeof(path), "%s/uptime", root);
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	double up = atof(buf);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return up > 0 ? (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - up : 0;
}

/* The user name of uid: the local passwd file, read directly (no NSS
 * lookup that could block the loop), else the number. */
static char *procfs_proc_user(uid_t uid)
{
	FILE *f = fopen("/etc/passwd", "re");
	char line[512];
	char *name = NULL;
	while (f != NULL && name == NULL && fgets(line, sizeof(line), f) != NULL) {
		char *c1 = strchr(line, ':'), *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
		if (c2 == NULL)
			continue;
		char *end;
		unsigned long v = strtoul(c2 + 1, &end, 10);
		if (end != c2 + 1 && *end == ':' && v == uid) {
			*c1 = '\0';
			name = xasprintf("%s (uid %u)", line, (unsigned)uid);
		}
	}
	if (f != NULL)
		fclose(f);
	if (name == NULL)
		name = xasprintf("uid %u", (unsigned)uid);
	char *clean = sanitize_str(name);
	free(name);
	return clean;
}

void procfs_proc_details(const char *root, long clk_tck, double boot, struct metric_proc *p)
{
	char *buf = xmalloc(PROCFS_PROC_CMDLINE_MAX + 1);
	ssize_t n = procfs_proc_read(root, p->pid, "cmdline", buf, PROCFS_PROC_CMDLINE_MAX + 1);
	if (n > 0) {
		/* arguments are NUL-separated: one line, spaces between */
		while (n > 0 && buf[n - 1] == '\0')
			n--;
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		p->cmdline = sanitize(buf, (size_t)n, PROCFS_PROC_CMDLINE_MAX);
	}
	free(buf);
	char path[256];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%d", root, p->pid);
	if (stat(path, &st) == 0)
		p->user = procfs_proc_user(st.st_uid);
	if (boot > 0 && clk_tck > 0 && p->start_ticks > 0)
		p->started = (int64_t)(boot + (double)p->start_ticks / (double)clk_tck);
}

char *procfs_proc_identity(int pid, uint64_t start_ticks)
{
	return xasprintf("%d:%" PRIu64, pid, start_ticks);
}

int procfs_proc_identity_parse(const char *text, int *pid, uint64_t *start_ticks)
{
	char *end;
	errno = 0;
	long p = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != ':' || p <= 0 || p > 0x7fffffff)
		return -1;
	const char *s = end + 1;
	unsigned long long t = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || t == 0)
		return -1;
	*pid = (int)p;
	*start_ticks = (uint64_t)t;
	return 0;
}

uint64_t procfs_proc_start_now(const char *root, int pid)
{
	char buf[1024];
	ssize_t n = procfs_proc_read(root, pid, "stat", buf, sizeof(buf));
	struct procfs_pid_stat st;
	if (n <= 0 || procfs_parse_pid_stat(buf, (size_t)n, &st) != 0 || st.pid != pid)
		return 0;
	/* a zombie has ended: nothing of it runs any more */
	return st.state == 'Z' || st.state == 'X' ? 0 : st.starttime;
}

/* --- the action ---------------------------------------------------------- */

/* What prepare decided and act sends. */
struct procfs_signal {
	int pid;
	uint64_t start_ticks;
	int sig;
	char *root;
};

static void procfs_signal_free(void *p)
{
	struct procfs_signal *s = p;
	if (s != NULL)
		free(s->root);
	free(s);
}

/* The process in the host pane's snapshot that the identity names. */
static const struct metric_proc *procfs_proc_find(const struct source *src, int pid, uint64_t start)
{
	const struct metrics_data *m = src->snap.data;
	for (size_t i = 0; m != NULL && i < m->nprocs; i++)
		if (m->procs[i].pid == pid && m->procs[i].start_ticks == start)
			return &m->procs[i];
	return NULL;
}

int procfs_proc_prepare(struct source *src, struct action *a, char *err, size_t cap)
{
	bool kill9 = a->verb == &kind_metrics_kill;
	if (!kill9 && a->verb != &kind_metrics_terminate) {
		snprintf(err, cap, "a host pane cannot %s", a->verb->name);
		return -1;
	}
	int pid;
	uint64_t start;
	if (a->nselection != 1 || procfs_proc_identity_parse(a->selection[0], &pid, &start) != 0) {
		snprintf(err, cap, "select one process (a row of the top list)");
		return -1;
	}
	const char *root = procfs_root_of(src);
	if (procfs_proc_start_now(root, pid) != start) {
		snprintf(err, cap, "process %d has ended (or its pid is another process's now)", pid);
		return -1;
	}
	const struct metric_proc *p = procfs_proc_find(src, pid, start);
	char when[40] = "?";
	if (p != NULL && p->started > 0)
		util_rfc3339((time_t)p->started, when, sizeof(when));
	char *effect = xasprintf(
	    "%s to process %d (%s), started %s, user %s:\n  %s\n"
	    "pidfd_open(%d), then %s/%d/stat must still say starttime %" PRIu64
	    ", then pidfd_send_signal(%s); done when the process has exited (at most %d s)",
	    kill9 ? "SIGKILL" : "SIGTERM", pid, p != NULL && p->name ? p->name : "?", when,
	    p != NULL && p->user ? p->user : "?", p != NULL && p->cmdline ? p->cmdline : "?", pid, root, pid,
	    start, kill9 ? "SIGKILL" : "SIGTERM", (kill9 ? PROCFS_PROC_KILL_MS : PROCFS_PROC_TERM_MS) / 1000);
	action_set_effect(a, effect);
	free(effect);
	struct procfs_signal *s = xcalloc(1, sizeof(*s));
	s->pid = pid;
	s->start_ticks = start;
	s->sig = kill9 ? SIGKILL : SIGTERM;
	s->root = xstrdup(root);
	if (a->request != NULL && a->request_free != NULL)
		a->request_free(a->request);
	a->request = s;
	a->request_free = procfs_signal_free;
	a->timeout_ms = (kill9 ? PROCFS_PROC_KILL_MS : PROCFS_PROC_TERM_MS) + 5000;
	return 0;
}

/* An action in flight: the pidfd watched until the process exits or the
 * time is up. Freed in the close callbacks of its two handles. */
struct procfs_wait {
	struct action *a;
	int fd;
	int pid;
	int sig;
	uv_poll_t poll;
	uv_timer_t timer;
	int open;
	bool ended;
	struct procfs_wait *next; /* every wait in flight, for procfs_proc_stop */
};

static struct procfs_wait *procfs_waits;

static void procfs_wait_closed(uv_handle_t *h)
{
	struct procfs_wait *w = h->data;
	if (--w->open == 0) {
		close(w->fd);
		free(w);
	}
}

static void procfs_wait_end(struct procfs_wait *w, bool gone)
{
	if (w->ended)
		return;
	w->ended = true;
	for (struct procfs_wait **pp = &procfs_waits; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	const char *name = w->sig == SIGKILL ? "SIGKILL" : "SIGTERM";
	if (gone)
		action_finish(w->a, ACTION_OK, "process %d ended after %s (verified: it has exited)", w->pid,
		              name);
	else if (w->sig == SIGTERM)
		action_finish(
		    w->a, ACTION_FAILED,
		    "process %d still runs %d s after SIGTERM; X sends SIGKILL (after its pid is typed)",
		    w->pid, PROCFS_PROC_TERM_MS / 1000);
	else
		action_finish(w->a, ACTION_FAILED, "process %d still runs %d s after SIGKILL", w->pid,
		              PROCFS_PROC_KILL_MS / 1000);
	uv_close((uv_handle_t *)&w->poll, procfs_wait_closed);
	uv_close((uv_handle_t *)&w->timer, procfs_wait_closed);
}

static void procfs_wait_readable(uv_poll_t *h, int status, int events)
{
	(void)status, (void)events;
	procfs_wait_end(h->data, true);
}

static void procfs_wait_timeout(uv_timer_t *t)
{
	procfs_wait_end(t->data, false);
}

void procfs_proc_stop(void)
{
	/* sitrep quits: the signal went out, the exit was not seen yet */
	while (procfs_waits != NULL) {
		struct procfs_wait *w = procfs_waits;
		procfs_waits = w->next;
		w->ended = true;
		action_finish(w->a, ACTION_UNKNOWN,
		              "signal sent to process %d; sitrep quit before its exit was seen", w->pid);
		uv_close((uv_handle_t *)&w->poll, procfs_wait_closed);
		uv_close((uv_handle_t *)&w->timer, procfs_wait_closed);
	}
}

int procfs_proc_act(struct source *src, const struct action *ca)
{
	struct action *a = (struct action *)ca;
	struct procfs_signal *s = a->request;
	if (s == NULL)
		return -1;
#if defined(SYS_pidfd_open) && defined(SYS_pidfd_send_signal)
	int fd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (fd < 0) {
		action_finish(a, ACTION_FAILED,
		              errno == ESRCH ? "process %d ended before the signal; nothing was sent%.0s"
		                             : "process %d: pidfd_open failed (%s); nothing was sent",
		              s->pid, strerror(errno));
		return 0;
	}
	/* the pidfd pins what the pid names now: is it the process confirmed? */
	uint64_t now = procfs_proc_start_now(s->root, s->pid);
	if (now != s->start_ticks) {
		close(fd);
		if (now == 0)
			action_finish(a, ACTION_FAILED,
			              "process %d ended before the signal; nothing was sent", s->pid);
		else
			action_finish(a, ACTION_FAILED,
			              "pid %d is another process now (started at tick %" PRIu64
			              ", not %" PRIu64 "); nothing was sent",
			              s->pid, now, s->start_ticks);
		return 0;
	}
	if (syscall(SYS_pidfd_send_signal, fd, s->sig, NULL, 0) != 0) {
		int e = errno;
		close(fd);
		action_finish(a, ACTION_FAILED, "process %d: the signal was refused: %s", s->pid,
		              strerror(e));
		return 0;
	}
	struct procfs_wait *w = xcalloc(1, sizeof(*w));
	w->a = a;
	w->fd = fd;
	w->pid = s->pid;
	w->sig = s->sig;
	w->poll.data = w->timer.data = w;
	if (uv_poll_init(src->loop, &w->poll, fd) != 0) {
		close(fd);
		free(w);
		action_finish(a, ACTION_UNVERIFIED, "signal sent to process %d; its exit cannot be watched",
		              s->pid);
		return 0;
	}
	uv_timer_init(src->loop, &w->timer);
	w->open = 2;
	w->next = procfs_waits;
	procfs_waits = w;
	uv_poll_start(&w->poll, UV_READABLE, procfs_wait_readable);
	uv_timer_start(&w->timer, procfs_wait_timeout,
	               s->sig == SIGKILL ? PROCFS_PROC_KILL_MS : PROCFS_PROC_TERM_MS, 0);
	return 0;
#else
	action_finish(a, ACTION_FAILED,
	              "this system has no pidfd (Linux 5.3+): a pid could be reused between the "
	              "check and the signal, so nothing was sent");
	return 0;
#endif
}
