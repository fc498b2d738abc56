/* procfs: the implementer's interface of the host metrics source
 * (backends/procfs*.c). The parsers take a buffer holding one /proc file and
 * fill plain structs, with no I/O, so unit tests feed them captured files; the
 * process table keeps the previous CPU ticks of every pid between refreshes.
 * The consumer's interface is source_procfs in sources.h. */
#ifndef SITREP_PROCFS_H
#define SITREP_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Busy and total jiffies of one CPU line of /proc/stat. */
struct procfs_cpu {
	uint64_t busy;
	uint64_t total;
};

/* /proc/stat: the "cpu" line, one per "cpuN" line, and the fork counter. */
struct procfs_stat {
	struct procfs_cpu all;
	struct procfs_cpu *cores; /* owned; grown by procfs_parse_stat */
	size_t ncores;
	size_t cap;
	uint64_t forks; /* "processes": forks since boot */
	bool has_forks;
};

/* Parses /proc/stat into out, reusing out->cores. 0, or -1 when there is no
 * "cpu" line. Free with procfs_stat_free. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out);
void procfs_stat_free(struct procfs_stat *st);
/* Busy percent between two samples (prev NULL: since boot); NaN when no time passed. */
double procfs_cpu_percent(const struct procfs_cpu *prev, const struct procfs_cpu *cur);

/* /proc/loadavg: 0, or -1 when the three numbers are not there. */
int procfs_parse_loadavg(const char *buf, size_t len, double load[3]);

/* /proc/meminfo, in bytes. */
struct procfs_mem {
	uint64_t total, available, swap_total, swap_free;
};
/* 0, or -1 without MemTotal. Kernels without MemAvailable (< 3.14) get
 * MemFree + Buffers + Cached instead. */
int procfs_parse_meminfo(const char *buf, size_t len, struct procfs_mem *out);
/* Used percent of total (0 when total is 0). */
double procfs_mem_used_percent(uint64_t total, uint64_t avail);

/* One mounted filesystem worth showing: raw text, decoded from the \040
 * escapes of /proc/self/mounts; sanitized only when it enters a snapshot. */
struct procfs_mount {
	char *device;
	char *dir;
	char *type;
};

/* True for filesystems that hold no user data (proc, sysfs, tmpfs, cgroup*,
 * squashfs, overlay other than /, ...) or that may hang a statvfs (network
 * filesystems, FUSE). */
bool procfs_mount_skip(const char *type, const char *dir);
/* Parses /proc/self/mounts into a new array of the mounts that matter, in file
 * order, one per device (bind mounts and btrfs subvolumes of a device that is
 * already listed are dropped). Returns the count; *out owned by the caller,
 * free with procfs_mounts_free. */
size_t procfs_parse_mounts(const char *buf, size_t len, struct procfs_mount **out);
void procfs_mounts_free(struct procfs_mount *mounts, size_t n);

/* Byte totals over the real disks of /proc/diskstats. */
struct procfs_io {
	uint64_t read_bytes, write_bytes;
	size_t ndevices;
	char names[256]; /* "vda sdb", raw, for the detail text; cut when long */
};

/* True for devices that are not disks (loop, ram, zram). */
bool procfs_disk_skip(const char *name);
/* True when part is a partition of disk: sda1 of sda, nvme0n1p2 of nvme0n1. */
bool procfs_disk_is_partition_of(const char *part, const char *disk);
/* Sums sectors (always 512 bytes in diskstats) over the disks that count:
 * partitions are dropped when their whole disk is listed. 0, or -1 when no
 * line parses. */
int procfs_parse_diskstats(const char *buf, size_t len, struct procfs_io *out);

/* True for interfaces whose traffic is counted elsewhere (lo, veth, bridges, ifb). */
bool procfs_net_skip(const char *name);
/* Sums rx/tx bytes of /proc/net/dev over the interfaces that count (read_bytes
 * = rx, write_bytes = tx). 0, or -1 when no interface line parses. */
int procfs_parse_netdev(const char *buf, size_t len, struct procfs_io *out);

/* Per-second rate of a counter; 0 when it went backwards (reset, device gone). */
double procfs_rate(uint64_t prev, uint64_t cur, double seconds);

/* The fields of /proc/PID/stat that the top list needs. */
struct procfs_pid_stat {
	int pid;
	char comm[64]; /* raw, between the first '(' and the last ')' */
	char state;
	uint64_t utime, stime; /* clock ticks */
	uint64_t starttime;    /* ticks after boot; tells a reused pid apart */
	int64_t rss_pages;
};

/* Parses one /proc/PID/stat; comm may hold spaces and parentheses. 0 or -1. */
int procfs_parse_pid_stat(const char *buf, size_t len, struct procfs_pid_stat *out);

/* ---- procfs-proc: one process, for its detail and for `K` (backends/procfs-proc.c) ---- */

struct metric_proc;
/* The wall-clock time the machine booted (now minus root/uptime), 0 unknown. */
double procfs_proc_boot(const char *root);
/* Fills p's cmdline, user and started from root/PID (cmdline, the owner of
 * the PID directory, boot + starttime); p->pid and p->start_ticks set.
 * What cannot be read stays NULL / 0. */
void procfs_proc_details(const char *root, long clk_tck, double boot, struct metric_proc *p);

struct source;
struct action;
/* The host pane's `K` (terminate: SIGTERM) and `X` (kill: SIGKILL) on a
 * process: source_ops.prepare and .act of procfs. The target is the
 * process's identity (pid and starttime), re-checked right before the signal
 * through a pidfd that pins the process, so a reused pid is never signalled;
 * the outcome is verified (the pidfd reports the exit). */
int procfs_proc_prepare(struct source *src, struct action *a, char *err, size_t cap);
int procfs_proc_act(struct source *src, const struct action *a);
/* At quit: every signal still waiting for its process's exit ends "unknown". */
void procfs_proc_stop(void);
/* procfs' root (the "proc_root" option, "/proc" by default) (backends/procfs.c). */
const char *procfs_root_of(const struct source *src);
/* "4711:123456": a process's identity for an action (pid and starttime). */
char *procfs_proc_identity(int pid, uint64_t start_ticks);
int procfs_proc_identity_parse(const char *text, int *pid, uint64_t *start_ticks);
/* The starttime in root/PID/stat now; 0 when the process is gone (or a zombie). */
uint64_t procfs_proc_start_now(const char *root, int pid);

/* One entry of the top list. */
struct procfs_top {
	int pid;
	uint64_t starttime; /* ticks after boot: the pid's identity */
	char comm[64];      /* raw */
	double cpu;         /* percent of one core */
	uint64_t rss;       /* bytes */
};

/* Inserts e into top[0..*n) kept sorted by CPU then RSS, descending, at most
 * cap entries. */
void procfs_top_insert(struct procfs_top *top, size_t *n, size_t cap, const struct procfs_top *e);

/* The process table: previous ticks per pid, reused buffers. */
struct procfs_procs;

/* Allocates an empty table for a kernel with clk_tck ticks per second and
 * pages of page_size bytes; free with procfs_procs_free. */
struct procfs_procs *procfs_procs_new(long clk_tck, long page_size);
void procfs_procs_free(struct procfs_procs *p);
/* Accounts one process of the current scan: returns its CPU percent of one
 * core over `seconds` since the previous scan, or NaN when it was not seen
 * then (new process, first scan, or pid reused). */
double procfs_procs_account(struct procfs_procs *p, const struct procfs_pid_stat *st, double seconds);
/* Ends a scan: the processes accounted since the last call become the previous ones. */
void procfs_procs_end_scan(struct procfs_procs *p);
/* Scans root (a /proc) once: lists the directory (kept open on a real
 * procfs; skipped as procfs_procs_set_forks says) and reads each PID/stat
 * (kept open between scans, read again at offset 0). Fills top[0..*n) (at most cap) with the
 * busiest processes; processes without a previous sample count as 0 %.
 * Returns the number of processes read, or -1 with errno when root cannot be
 * opened. */
long procfs_procs_scan(struct procfs_procs *p, const char *root, double seconds, struct procfs_top *top,
                       size_t *n, size_t cap);
/* The fork counter of ROOT/stat, read before the next scan: when it has not
 * moved since the scan that last listed a real procfs, that scan's pids are
 * read again without listing the directory. Holds for the next scan only. */
void procfs_procs_set_forks(struct procfs_procs *p, uint64_t forks);
/* Whether the previous scan exists (CPU percents of the next one mean something). */
bool procfs_procs_have_baseline(const struct procfs_procs *p);

#endif
