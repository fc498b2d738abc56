/* test-procfs: the /proc parsers fed with files captured on a real host
 * (tests/data/proc, see its README), the process table, and the procfs source
 * run against that directory as its proc_root and against one that does not
 * exist. Expected numbers are the ones in the captured files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "sitrep/core/config.h"
#include "sitrep/core/jsonc.h"
#include "sitrep/core/kind.h"
#include "sitrep/kinds/metrics.h"
#include "backends/procfs.h"
#include "sitrep/core/source.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

#define PROC TEST_DATA "/proc"

static char *load(const char *rel, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", PROC, rel);
	char *buf = util_read_file(path, 1 << 20, len);
	assert_non_null(buf);
	return buf;
}

/* ---- /proc/stat ---- */

static void test_stat_parse(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("stat", &len);
	struct procfs_stat st = {0};
	assert_int_equal(procfs_parse_stat(buf, len, &st), 0);
	/* cpu  2190 0 1950 53319 356 0 41 11 0 0 */
	assert_int_equal(st.all.busy, 2190 + 0 + 1950 + 0 + 41 + 11);
	assert_int_equal(st.all.total, 2190 + 0 + 1950 + 53319 + 356 + 0 + 41 + 11);
	assert_int_equal(st.ncores, 2);
	/* cpu0 802 0 751 27367 8 0 3 3 0 0 */
	assert_int_equal(st.cores[0].busy, 802 + 751 + 3 + 3);
	assert_int_equal(st.cores[0].total, 802 + 751 + 27367 + 8 + 3 + 3);
	/* cpu1 1388 0 1199 25951 348 0 37 7 0 0 */
	assert_int_equal(st.cores[1].busy, 1388 + 1199 + 37 + 7);
	/* processes 5006: the fork counter that lets a scan skip the listing */
	assert_true(st.has_forks);
	assert_int_equal(st.forks, 5006);
	procfs_stat_free(&st);
	free(buf);

	assert_int_equal(procfs_parse_stat("intr 1 2 3\nctxt 5\n", 18, &st), -1);
	assert_false(st.has_forks);
	procfs_stat_free(&st);
}

static void test_stat_cpu_percent(void **state)
{
	(void)state;
	size_t l1, l2;
	char *b1 = load("stat", &l1), *b2 = load("stat.later", &l2);
	struct procfs_stat a = {0}, b = {0};
	assert_int_equal(procfs_parse_stat(b1, l1, &a), 0);
	assert_int_equal(procfs_parse_stat(b2, l2, &b), 0);
	/* all: busy 4192 -> 4326, total 57867 -> 58130: 134 / 263 */
	assert_float_equal(procfs_cpu_percent(&a.all, &b.all), 134.0 / 263.0 * 100.0, 1e-9);
	/* cpu0 ran the busy loop: busy 1559 -> 1690, total 28934 -> 29066 */
	assert_float_equal(procfs_cpu_percent(&a.cores[0], &b.cores[0]), 131.0 / 132.0 * 100.0, 1e-9);
	/* cpu1 was idle: busy 2631 -> 2633, total 28930 -> 29061 */
	assert_float_equal(procfs_cpu_percent(&a.cores[1], &b.cores[1]), 2.0 / 131.0 * 100.0, 1e-9);
	/* Since boot, and no time passed. */
	assert_float_equal(procfs_cpu_percent(NULL, &a.all), 4192.0 / 57867.0 * 100.0, 1e-9);
	assert_true(isnan(procfs_cpu_percent(&a.all, &a.all)));
	procfs_stat_free(&a);
	procfs_stat_free(&b);
	free(b1);
	free(b2);
}

/* ---- loadavg, meminfo ---- */

static void test_loadavg(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("loadavg", &len);
	double l[3];
	assert_int_equal(procfs_parse_loadavg(buf, len, l), 0);
	/* 0.03 0.10 0.05 1/87 5006 */
	assert_float_equal(l[0], 0.03, 1e-9);
	assert_float_equal(l[1], 0.10, 1e-9);
	assert_float_equal(l[2], 0.05, 1e-9);
	free(buf);
	assert_int_equal(procfs_parse_loadavg("0.5 x", 5, l), -1);
	assert_int_equal(procfs_parse_loadavg("", 0, l), -1);
}

static void test_meminfo(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("meminfo", &len);
	struct procfs_mem m;
	assert_int_equal(procfs_parse_meminfo(buf, len, &m), 0);
	assert_int_equal(m.total, 24684084ull * 1024);
	assert_int_equal(m.available, 24368476ull * 1024);
	assert_int_equal(m.swap_total, 0);
	assert_float_equal(procfs_mem_used_percent(m.total, m.available),
	                   (24684084.0 - 24368476.0) / 24684084.0 * 100.0, 1e-9);
	free(buf);

	/* No MemAvailable: MemFree + Buffers + Cached = 2000000 kB of 8000000. */
	buf = load("crafted-meminfo-swap", &len);
	assert_int_equal(procfs_parse_meminfo(buf, len, &m), 0);
	assert_int_equal(m.available, 2000000ull * 1024);
	assert_float_equal(procfs_mem_used_percent(m.total, m.available), 75.0, 1e-9);
	assert_float_equal(procfs_mem_used_percent(m.swap_total, m.swap_free), 75.0, 1e-9);
	free(buf);

	assert_int_equal(procfs_parse_meminfo("MemFree: 1 kB\n", 14, &m), -1);
	assert_float_equal(procfs_mem_used_percent(0, 0), 0.0, 0);
}

/* ---- mounts ---- */

static void test_mounts_captured(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("self/mounts", &len);
	struct procfs_mount *m;
	size_t n = procfs_parse_mounts(buf, len, &m);
	/* Of 20 lines only the root ext4 holds data: proc, sysfs, tmpfs,
	 * devpts, cgroup*, ... are all pseudo filesystems. */
	assert_int_equal(n, 1);
	assert_string_equal(m[0].dir, "/");
	assert_string_equal(m[0].device, "/dev/vda");
	assert_string_equal(m[0].type, "ext4");
	procfs_mounts_free(m, n);
	free(buf);
}

static void test_mounts_filtering(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("crafted-mounts", &len);
	struct procfs_mount *m;
	size_t n = procfs_parse_mounts(buf, len, &m);
	assert_int_equal(n, 5);
	/* The bind mount on /etc/hostname came first; "/" is the name kept. */
	assert_string_equal(m[0].device, "/dev/mapper/vg-root");
	assert_string_equal(m[0].dir, "/");
	assert_string_equal(m[1].dir, "/boot");
	assert_string_equal(m[2].dir, "/boot/efi");
	assert_string_equal(m[3].dir, "/home");
	assert_string_equal(m[4].dir, "/srv/data disk"); /* \040 decoded */
	assert_string_equal(m[4].type, "xfs");
	procfs_mounts_free(m, n);
	free(buf);

	assert_true(procfs_mount_skip("overlay", "/var/lib/docker/overlay2/x/merged"));
	assert_false(procfs_mount_skip("overlay", "/"));
	assert_true(procfs_mount_skip("cgroup2", "/sys/fs/cgroup"));
	assert_true(procfs_mount_skip("squashfs", "/snap/x"));
	assert_true(procfs_mount_skip("nfs4", "/mnt/nfs"));
	assert_true(procfs_mount_skip("fuse.sshfs", "/mnt/remote"));
	assert_true(procfs_mount_skip("ext4", "/dev/something"));
	assert_false(procfs_mount_skip("ext4", "/devices"));
	assert_false(procfs_mount_skip("btrfs", "/data"));
}

/* ---- diskstats ---- */

static void test_disk_partition_names(void **state)
{
	(void)state;
	assert_true(procfs_disk_is_partition_of("sda1", "sda"));
	assert_true(procfs_disk_is_partition_of("sda15", "sda"));
	assert_false(procfs_disk_is_partition_of("sda", "sda"));
	assert_false(procfs_disk_is_partition_of("sdab", "sda")); /* another disk */
	assert_true(procfs_disk_is_partition_of("nvme0n1p1", "nvme0n1"));
	assert_false(procfs_disk_is_partition_of("nvme0n11", "nvme0n1"));
	assert_true(procfs_disk_is_partition_of("mmcblk0p2", "mmcblk0"));
	assert_false(procfs_disk_is_partition_of("mmcblk0p", "mmcblk0"));
	assert_true(procfs_disk_skip("loop3"));
	assert_true(procfs_disk_skip("ram0"));
	assert_true(procfs_disk_skip("zram0"));
	assert_false(procfs_disk_skip("vda"));
	assert_false(procfs_disk_skip("dm-0"));
}

static void test_diskstats_captured(void **state)
{
	(void)state;
	size_t l1, l2;
	char *b1 = load("diskstats", &l1), *b2 = load("diskstats.later", &l2);
	struct procfs_io a, b;
	assert_int_equal(procfs_parse_diskstats(b1, l1, &a), 0);
	assert_int_equal(procfs_parse_diskstats(b2, l2, &b), 0);
	/* loop0..7 and zram0 are skipped: vda alone. */
	assert_int_equal(a.ndevices, 1);
	assert_string_equal(a.names, "vda");
	assert_int_equal(a.read_bytes, 2141018ull * 512);
	assert_int_equal(a.write_bytes, 1418688ull * 512);
	/* 328 sectors read in the second between the two captures. */
	assert_float_equal(procfs_rate(a.read_bytes, b.read_bytes, 1.0), 328.0 * 512, 1e-9);
	assert_float_equal(procfs_rate(a.write_bytes, b.write_bytes, 1.0), 0.0, 0);
	assert_float_equal(procfs_rate(b.read_bytes, a.read_bytes, 1.0), 0.0, 0); /* reset */
	free(b1);
	free(b2);
}

static void test_diskstats_partitions(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("crafted-diskstats", &len);
	struct procfs_io io;
	assert_int_equal(procfs_parse_diskstats(buf, len, &io), 0);
	/* sda and nvme0n1 count, their partitions do not; sdb1's disk is not
	 * listed so it counts; dm-0 stacks on sda2; loop, ram, zram skipped. */
	assert_string_equal(io.names, "sda nvme0n1 sr0 sdb1");
	assert_int_equal(io.ndevices, 4);
	assert_int_equal(io.read_bytes, (1000ull + 4000 + 16 + 64) * 512);
	assert_int_equal(io.write_bytes, (2000ull + 8000 + 0 + 128) * 512);
	free(buf);

	/* Only device-mapper devices visible (a VM or a container): they count. */
	const char *dm = " 253 0 dm-0 1 0 10 0 1 0 20 0 0 0 0\n 253 1 dm-1 1 0 4 0 1 0 6 0 0 0 0\n";
	assert_int_equal(procfs_parse_diskstats(dm, strlen(dm), &io), 0);
	assert_int_equal(io.ndevices, 2);
	assert_int_equal(io.read_bytes, 14 * 512);
	assert_int_equal(procfs_parse_diskstats("garbage\n", 8, &io), -1);
}

/* ---- net/dev ---- */

static void test_netdev(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("net/dev", &len);
	struct procfs_io io;
	assert_int_equal(procfs_parse_netdev(buf, len, &io), 0);
	/* lo and the ifb mirrors are skipped. */
	assert_string_equal(io.names, "eth0");
	assert_int_equal(io.read_bytes, 68406187);
	assert_int_equal(io.write_bytes, 65199);
	free(buf);
	assert_true(procfs_net_skip("lo"));
	assert_true(procfs_net_skip("veth12ab"));
	assert_false(procfs_net_skip("enp3s0"));
	assert_int_equal(procfs_parse_netdev("Inter-|\n face |\n", 16, &io), -1);
}

/* ---- /proc/PID/stat ---- */

static void test_pid_stat(void **state)
{
	(void)state;
	size_t len;
	char *buf = load("5012/stat", &len);
	struct procfs_pid_stat p;
	assert_int_equal(procfs_parse_pid_stat(buf, len, &p), 0);
	assert_int_equal(p.pid, 5012);
	assert_string_equal(p.comm, "a) b (c");
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.starttime, 29085);
	assert_int_equal(p.rss_pages, 431);
	free(buf);

	buf = load("1/stat", &len);
	assert_int_equal(procfs_parse_pid_stat(buf, len, &p), 0);
	assert_string_equal(p.comm, "process_api");
	assert_int_equal(p.utime, 37);
	assert_int_equal(p.stime, 171);
	assert_int_equal(p.rss_pages, 3367);
	free(buf);

	const char *trunc = "77 (x) S 1 2 3";
	assert_int_equal(procfs_parse_pid_stat(trunc, strlen(trunc), &p), -1);
	const char *noparen = "77 x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21";
	assert_int_equal(procfs_parse_pid_stat(noparen, strlen(noparen), &p), -1);
	const char *sdpam = "901 ((sd-pam)) S 900 900 900 0 -1 1077936448 64 0 0 0 3 4 0 0 20 0 "
	                    "1 0 1200 170000000 -5 18446744073709551615";
	assert_int_equal(procfs_parse_pid_stat(sdpam, strlen(sdpam), &p), 0);
	assert_string_equal(p.comm, "(sd-pam)");
	assert_int_equal(p.utime + p.stime, 7);
	assert_int_equal(p.rss_pages, -5);
}

static void test_top_insert(void **state)
{
	(void)state;
	struct procfs_top top[3];
	size_t n = 0;
	double cpus[] = {5, 50, 0, 20, 70, 20};
	uint64_t rss[] = {1, 1, 1, 1, 1, 9};
	for (size_t i = 0; i < ARRAY_LEN(cpus); i++) {
		struct procfs_top e = {.pid = (int)i + 1, .cpu = cpus[i], .rss = rss[i]};
		procfs_top_insert(top, &n, 3, &e);
	}
	assert_int_equal(n, 3);
	assert_int_equal(top[0].pid, 5); /* 70 % */
	assert_int_equal(top[1].pid, 2); /* 50 % */
	assert_int_equal(top[2].pid, 6); /* 20 %, larger RSS than pid 4 */
}

static void test_procs_account(void **state)
{
	(void)state;
	size_t l1, l2;
	char *b1 = load("5013/stat", &l1), *b2 = load("5013/stat.later", &l2);
	struct procfs_pid_stat a, b;
	assert_int_equal(procfs_parse_pid_stat(b1, l1, &a), 0);
	assert_int_equal(procfs_parse_pid_stat(b2, l2, &b), 0);
	struct procfs_procs *p = procfs_procs_new(100, 4096);
	assert_true(isnan(procfs_procs_account(p, &a, 0)));
	procfs_procs_end_scan(p);
	assert_true(procfs_procs_have_baseline(p));
	/* utime 30 -> 131 ticks at 100 per second over 1.01 s: the busy loop. */
	assert_float_equal(procfs_procs_account(p, &b, 1.01), 101.0 / 1.01, 1e-9);
	procfs_procs_end_scan(p);
	/* The same pid with another start time is a new process. */
	b.starttime++;
	assert_true(isnan(procfs_procs_account(p, &b, 1.0)));
	procfs_procs_end_scan(p);
	/* Thousands of pids: the table grows and still finds each. */
	for (int round = 0; round < 2; round++) {
		int found = 0;
		for (int pid = 1; pid <= 5000; pid++) {
			struct procfs_pid_stat s = {.pid = pid, .utime = (uint64_t)(pid + round * 10)};
			double c = procfs_procs_account(p, &s, 1.0);
			if (round == 1 && fabs(c - 10.0) < 1e-9)
				found++;
		}
		procfs_procs_end_scan(p);
		if (round == 1)
			assert_int_equal(found, 5000);
	}
	procfs_procs_free(p);
	free(b1);
	free(b2);
}

static void test_procs_scan(void **state)
{
	(void)state;
	struct procfs_procs *p = procfs_procs_new(100, 4096);
	struct procfs_top top[5];
	size_t n;
	assert_int_equal(procfs_procs_scan(p, PROC, 0, top, &n, 5), 4);
	assert_int_equal(n, 4);
	/* No CPU yet: ordered by RSS. pid 1 has 3367 pages. */
	assert_int_equal(top[0].pid, 1);
	assert_int_equal(top[0].rss, 3367ull * 4096);
	bool crafted = false;
	for (size_t i = 0; i < n; i++)
		crafted = crafted || strcmp(top[i].comm, "a) b (c") == 0;
	assert_true(crafted);
	/* Second scan of unchanged files: every process at 0 %. */
	assert_int_equal(procfs_procs_scan(p, PROC, 1.0, top, &n, 2), 4);
	assert_int_equal(n, 2);
	assert_float_equal(top[0].cpu, 0.0, 0);
	assert_int_equal(procfs_procs_scan(p, TEST_DATA "/no-such-proc", 1.0, top, &n, 2), -1);
	procfs_procs_free(p);
}

/* A process born between two scans is measured over its own lifetime. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_procs_newborn(void **state)
{
	(void)state;
	char root[] = "/tmp/sitrep-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	char path[256];
	snprintf(path, sizeof(path), "%s/uptime", root);
	write_file(path, "100.00 150.00\n");
	snprintf(path, sizeof(path), "%s/7", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/7/stat", root);
	/* an old process: born at 1 s, 20 ticks so far */
	write_file(path, "7 (old) S 1 7 7 0 -1 0 0 0 0 0 10 10 0 0 20 0 1 0 100 1000 10 0 0\n");
	struct procfs_procs *p = procfs_procs_new(100, 4096);
	struct procfs_top top[4];
	size_t n;
	assert_int_equal(procfs_procs_scan(p, root, 0, top, &n, 4), 1);
	/* 2 s later: a compiler born at 101 s has used 50 ticks (0.5 s) in its 1 s of life */
	snprintf(path, sizeof(path), "%s/uptime", root);
	write_file(path, "102.00 150.00\n");
	snprintf(path, sizeof(path), "%s/9", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/9/stat", root);
	write_file(path, "9 (cc1) R 1 9 9 0 -1 0 0 0 0 0 40 10 0 0 20 0 1 0 10100 1000 10 0 0\n");
	/* a zombie is counted but never listed */
	snprintf(path, sizeof(path), "%s/11", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/11/stat", root);
	write_file(path, "11 (defunct) Z 1 11 11 0 -1 0 0 0 0 0 900 90 0 0 20 0 1 0 10150 0 0 0 0\n");
	assert_int_equal(procfs_procs_scan(p, root, 2.0, top, &n, 4), 3);
	assert_int_equal(n, 2);
	assert_int_equal(top[0].pid, 9);
	assert_float_equal(top[0].cpu, 50.0, 0.01);
	assert_int_equal(top[1].pid, 7);
	assert_float_equal(top[1].cpu, 0.0, 0.01);
	procfs_procs_free(p);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory itself */
}

/* PID/stat files stay open between scans; an exited pid's is closed. */
static void test_procs_keeps_fds(void **state)
{
	(void)state;
	char root[] = "/tmp/sitrep-proc-XXXXXX";
	assert_non_null(mkdtemp(root));
	char path[256];
	for (int pid = 20; pid < 23; pid++) {
		snprintf(path, sizeof(path), "%s/%d", root, pid);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%d/stat", root, pid);
		char line[128];
		snprintf(line, sizeof(line),
		         "%d (x) S 1 20 20 0 -1 0 0 0 0 0 10 10 0 0 20 0 1 0 100 1000 10 0 0\n", pid);
		write_file(path, line);
	}
	int before = open_fds();
	struct procfs_procs *p = procfs_procs_new(100, 4096);
	struct procfs_top top[4];
	size_t n;
	assert_int_equal(procfs_procs_scan(p, root, 0, top, &n, 4), 3);
	assert_int_equal(open_fds(), before + 3);
	/* pid 21 exits: its directory is gone, its fd is closed */
	snprintf(path, sizeof(path), "rm -rf '%s/21'", root);
	assert_int_equal(system(path), 0);
	assert_int_equal(procfs_procs_scan(p, root, 1.0, top, &n, 4), 2);
	assert_int_equal(open_fds(), before + 2);
	procfs_procs_free(p);
	assert_int_equal(open_fds(), before);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

/* ---- the source ---- */

struct fixture {
	struct jnode *root;
	struct config_error err;
	struct pane_config pane;
	struct source src;
};

static struct fixture *source_with(const char *json)
{
	struct fixture *f = xcalloc(1, sizeof(*f));
	struct jsonc_error jerr;
	f->root = jsonc_parse(json, strlen(json), &jerr);
	assert_non_null(f->root);
	struct config_ctx ctx = {"test.json", &f->err};
	f->pane.node = f->root;
	f->src.ops = &source_procfs;
	f->src.cfg = &f->pane;
	f->src.snap.kind = &kind_metrics;
	f->src.visible = true;
	int rc = source_procfs.init(&f->src, &ctx, f->root);
	if (rc < 0) {
		jsonc_free(f->root);
		free(f);
		return NULL;
	}
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

static void test_source_missing_root(void **state)
{
	(void)state;
	struct fixture *f = source_with("{\"proc_root\": \"" TEST_DATA "/no-such-proc\"}");
	assert_non_null(f);
	source_procfs.refresh(&f->src);
	assert_true(f->src.done_once);
	assert_null(f->src.snap.data);
	assert_non_null(f->src.snap.error);
	assert_string_equal(f->src.snap.error,
	                    "cannot read " TEST_DATA "/no-such-proc/stat: No such file or directory");
	source_done(f);
}

static void test_source_captured_root(void **state)
{
	(void)state;
	struct fixture *f = source_with("{\"proc_root\": \"" PROC "\", \"top\": 3, \"cpu_warn\": 5,"
	                                " \"cpu_crit\": 50, \"load_warn\": 0.02, \"history\": 10}");
	assert_non_null(f);
	/* No loop: the first refresh publishes at once with CPU since boot. */
	source_procfs.refresh(&f->src);
	assert_null(f->src.snap.error);
	const struct metrics_data *m = f->src.snap.data;
	assert_non_null(m);
	const struct metric_series *s = find_series(m, "CPU");
	assert_non_null(s);
	assert_true(s->has_value);
	assert_float_equal(s->value, 4192.0 / 57867.0 * 100.0, 1e-9);
	assert_int_equal(s->status, LEVEL_WARN); /* 7.2 % with cpu_warn 5 */
	assert_int_equal(s->nhistory, 1);
	assert_int_equal(m->ncores, 2);

	s = find_series(m, "Load 1");
	assert_non_null(s);
	assert_float_equal(s->value, 0.03, 1e-9);
	assert_int_equal(s->status, LEVEL_WARN); /* load_warn 0.02; load_crit 2 x 2 cores */
	assert_float_equal(s->crit, 4.0, 0);
	s = find_series(m, "Memory");
	assert_non_null(s);
	assert_float_equal(s->value, (24684084.0 - 24368476.0) / 24684084.0 * 100.0, 1e-9);
	assert_non_null(s->detail);
	s = find_series(m, "Swap");
	assert_non_null(s);
	assert_false(s->has_value);
	s = find_series(m, "fs /");
	assert_non_null(s);
	assert_true(s->has_value);
	assert_true(s->value >= 0 && s->value <= 100);
	/* Rates have no previous sample yet. */
	s = find_series(m, "Disk read");
	assert_non_null(s);
	assert_false(s->has_value);
	assert_non_null(find_series(m, "Net tx"));
	assert_int_equal(m->nprocs, 3);
	assert_int_equal(m->procs[0].pid, 1);

	/* Second refresh: same files, so rates are 0 and CPU (no tick passed)
	 * falls back to since boot; every series has two samples. */
	source_procfs.refresh(&f->src);
	m = f->src.snap.data;
	s = find_series(m, "Disk read");
	assert_true(s->has_value);
	assert_float_equal(s->value, 0.0, 0);
	assert_int_equal(s->nhistory, 2);
	assert_true(isnan(s->history[0]));
	s = find_series(m, "CPU");
	assert_int_equal(s->nhistory, 2);
	assert_float_equal(s->history[1], s->value, 0);
	for (int i = 0; i < 20; i++)
		source_procfs.refresh(&f->src);
	m = f->src.snap.data;
	assert_int_equal(find_series(m, "Memory")->nhistory, 10);
	source_done(f);
}

/* On a loop, a refresh without previous samples takes a baseline and
 * publishes after the settle timer, with every rate known; stop closes the
 * timer so the loop can end. */
static void test_source_settle_on_loop(void **state)
{
	(void)state;
	struct fixture *f = source_with("{\"proc_root\": \"" PROC "\"}");
	assert_non_null(f);
	uv_loop_t loop;
	assert_int_equal(uv_loop_init(&loop), 0);
	f->src.loop = &loop;
	f->src.in_flight = true;
	uint64_t t0 = uv_hrtime();
	source_procfs.refresh(&f->src);
	assert_false(f->src.done_once); /* waiting for the second sample */
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_true(f->src.done_once);
	assert_false(f->src.in_flight);
	assert_true(uv_hrtime() - t0 >= 400u * 1000 * 1000);
	const struct metrics_data *m = f->src.snap.data;
	assert_non_null(m);
	const struct metric_series *s = find_series(m, "Disk read");
	assert_true(s->has_value); /* the baseline pass gave it a previous sample */
	assert_int_equal(s->nhistory, 1);
	assert_true(find_series(m, "CPU")->has_value);
	assert_int_equal(m->nprocs, 4);
	/* The next refresh has everything: it publishes at once. */
	f->src.in_flight = true;
	source_procfs.refresh(&f->src);
	assert_false(f->src.in_flight);
	assert_int_equal(find_series(f->src.snap.data, "CPU")->nhistory, 2);
	source_procfs.stop(&f->src);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	f->src.loop = NULL;
	source_done(f);
}

static void test_source_config_errors(void **state)
{
	(void)state;
	assert_null(source_with("{\"cpu_warn\": 90, \"cpu_crit\": 80}"));
	assert_null(source_with("{\"top\": 500}"));
	assert_null(source_with("{\"proc_root\": 3}"));
	assert_null(source_with("{\"load_warn\": 4, \"load_crit\": 2}"));
	struct fixture *f = source_with("{}");
	assert_non_null(f);
	source_done(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat_parse),
	    cmocka_unit_test(test_stat_cpu_percent),
	    cmocka_unit_test(test_loadavg),
	    cmocka_unit_test(test_meminfo),
	    cmocka_unit_test(test_mounts_captured),
	    cmocka_unit_test(test_mounts_filtering),
	    cmocka_unit_test(test_disk_partition_names),
	    cmocka_unit_test(test_diskstats_captured),
	    cmocka_unit_test(test_diskstats_partitions),
	    cmocka_unit_test(test_netdev),
	    cmocka_unit_test(test_pid_stat),
	    cmocka_unit_test(test_top_insert),
	    cmocka_unit_test(test_procs_account),
	    cmocka_unit_test(test_procs_scan),
	    cmocka_unit_test(test_procs_newborn),
	    cmocka_unit_test(test_procs_keeps_fds),
	    cmocka_unit_test(test_source_missing_root),
	    cmocka_unit_test(test_source_captured_root),
	    cmocka_unit_test(test_source_settle_on_loop),
	    cmocka_unit_test(test_source_config_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
