/* test-procfs-live: the host metrics source against this machine's real
 * /proc, where its files and directory stay open between refreshes: a scan
 * whose fork counter has not moved reads the pids of the last listing again
 * (an exited child drops out, a new one waits for the next listing), the
 * kept files are counted and closed, and a kept file that fails to read is
 * opened anew. Skipped where /proc is not a procfs. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitrep/core/config.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/metrics.h"
#include "backends/procfs.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define TOP_CAP 50

static bool have_procfs(void)
{
	struct statfs fs;
	return statfs("/proc", &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

/* The open fds of this process whose target is path ("" for any). */
static int fds_to(const char *path, int *out, int cap)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		char link[300], target[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t len = readlink(link, target, sizeof(target) - 1);
		if (len < 0)
			continue;
		target[len] = '\0';
		if (path[0] != '\0' && strcmp(target, path) != 0)
			continue;
		if (n < cap && out != NULL)
			out[n] = atoi(e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static bool top_has(const struct procfs_top *top, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (top[i].pid == pid)
			return true;
	return false;
}

/* A child that only waits, so that it is in the top list when the cap
 * lets every process in. */
static pid_t spawn_sleeper(void)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void test_scan_reuses_listing(void **state)
{
	(void)state;
	if (!have_procfs())
		skip();
	static struct procfs_top top[4096];
	size_t n;
	struct procfs_procs *p = procfs_procs_new(sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
	int before = fds_to("", NULL, 0);
	procfs_procs_set_forks(p, 1);
	long count = procfs_procs_scan(p, "/proc", 0, top, &n, 4096);
	assert_true(count > 0);
	assert_true(top_has(top, n, getpid()));
	/* the PID/stat files read stay open (up to a cap), and so do the
	 * directory and uptime */
	char self[64];
	snprintf(self, sizeof(self), "/proc/%d/stat", (int)getpid());
	assert_int_equal(fds_to(self, NULL, 0), 1);
	assert_int_equal(fds_to("/proc", NULL, 0), 1);
	assert_int_equal(fds_to("/proc/uptime", NULL, 0), 1);
	if (count < 100)
		assert_int_equal(fds_to("", NULL, 0), before + count + 2);

	/* the counter says no fork: the listing is not read, so a child born
	 * since is not seen yet */
	pid_t child = spawn_sleeper();
	procfs_procs_set_forks(p, 1);
	procfs_procs_scan(p, "/proc", 1.0, top, &n, 4096);
	assert_false(top_has(top, n, child));
	assert_true(top_has(top, n, getpid()));
	/* the counter moved: the directory is listed again */
	procfs_procs_set_forks(p, 2);
	procfs_procs_scan(p, "/proc", 1.0, top, &n, 4096);
	assert_true(top_has(top, n, child));
	/* without a counter the directory is always listed */
	procfs_procs_scan(p, "/proc", 1.0, top, &n, 4096);
	assert_true(top_has(top, n, child));

	/* the child exits without a fork since the listing: its read fails,
	 * it drops out and its fd is closed */
	procfs_procs_set_forks(p, 2);
	procfs_procs_scan(p, "/proc", 1.0, top, &n, 4096);
	assert_true(top_has(top, n, child));
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, NULL, 0), child);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)child);
	assert_int_equal(fds_to(path, NULL, 0), 1);
	procfs_procs_set_forks(p, 2);
	procfs_procs_scan(p, "/proc", 1.0, top, &n, 4096);
	assert_false(top_has(top, n, child));
	assert_int_equal(fds_to(path, NULL, 0), 0);

	procfs_procs_free(p);
	assert_int_equal(fds_to("", NULL, 0), before);
	assert_int_equal(fds_to("/proc", NULL, 0), 0);
}

/* ---- the source on /proc ---- */

struct fixture {
	struct jnode *root;
	struct config_error err;
	struct pane_config pane;
	struct source src;
};

static struct fixture *source_on_proc(void)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct jsonc_error jerr;
	const char *json = "{\"proc_root\": \"/proc\"}";
	f->root = jsonc_parse(json, strlen(json), &jerr);
	assert_non_null(f->root);
	struct config_ctx ctx = {"test.json", &f->err};
	f->pane.node = f->root;
	f->src.ops = &source_procfs;
	f->src.cfg = &f->pane;
	f->src.snap.kind = &kind_metrics;
	f->src.visible = true;
	assert_int_equal(source_procfs.init(&f->src, &ctx, f->root), 0);
	return f;
}

static void source_done(struct fixture *f)
{
	source_procfs.destroy(&f->src);
	snapshot_clear(&f->src.snap);
	jsonc_free(f->root);
	free(f);
}

static const struct metric_series *find_series(const struct metrics_data *m, const char *name)
{
	for (size_t i = 0; i < m->nseries; i++)
		if (strcmp(m->series[i].name, name) == 0)
			return &m->series[i];
	return NULL;
}

/* Every series has a value or no error, as after a normal refresh. */
static void assert_all_read(const struct source *src)
{
	assert_null(src->snap.error);
	const struct metrics_data *m = src->snap.data;
	assert_non_null(m);
	assert_true(find_series(m, "CPU")->has_value);
	assert_true(find_series(m, "Load 1")->has_value);
	assert_true(find_series(m, "Memory")->has_value);
	for (size_t i = 0; i < m->nseries; i++)
		assert_null(m->series[i].error);
	assert_true(m->nprocs > 0);
}

static void test_source_keeps_files(void **state)
{
	(void)state;
	if (!have_procfs())
		skip();
	int before = fds_to("/proc/stat", NULL, 0);
	struct fixture *f = source_on_proc();
	source_procfs.refresh(&f->src);
	assert_all_read(&f->src);
	const struct metrics_data *m = f->src.snap.data;
	size_t nseries = m->nseries;
	assert_int_equal(fds_to("/proc/stat", NULL, 0), before + 1);
	assert_int_equal(fds_to("/proc/meminfo", NULL, 0), 1);

	/* read again from the kept files: the same series, rates now known */
	source_procfs.refresh(&f->src);
	assert_all_read(&f->src);
	m = f->src.snap.data;
	assert_int_equal(m->nseries, nseries);
	assert_true(find_series(m, "Net rx")->has_value);
	assert_int_equal(fds_to("/proc/stat", NULL, 0), before + 1);

	/* kept files that fail (closed behind the source's back) are opened
	 * again, and the refresh reads as before */
	int fds[4];
	int k = fds_to("/proc/meminfo", fds, 4);
	assert_int_equal(k, 1);
	close(fds[0]);
	k = fds_to("/proc/stat", fds, 4);
	for (int i = 0; i < k; i++)
		close(fds[i]);
	source_procfs.refresh(&f->src);
	assert_all_read(&f->src);
	assert_int_equal(
	    f->src.snap.data == NULL ? 0 : ((const struct metrics_data *)f->src.snap.data)->nseries, nseries);
	assert_int_equal(fds_to("/proc/stat", NULL, 0), 1);
	assert_int_equal(fds_to("/proc/meminfo", NULL, 0), 1);

	source_done(f);
	assert_int_equal(fds_to("/proc/meminfo", NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_reuses_listing),
	    cmocka_unit_test(test_source_keeps_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
