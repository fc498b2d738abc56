/* procfs-parse: pure parsers for the /proc files the host metrics source
 * reads. Each takes a buffer and its length (not necessarily NUL-terminated),
 * works line by line on a bounded copy, and fills plain structs; no I/O, so the
 * unit tests and fuzzers feed them captured files. Numbers are parsed by hand:
 * strtod follows LC_NUMERIC, which the TUI's setlocale may have changed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/procfs.h"
#include "sitrep/core/util.h"

struct procfs_lines {
	const char *p, *end;
};

/* Copies the next line (cut to cap - 1 bytes) into line; false at the end. */
static bool procfs_lines_next(struct procfs_lines *it, char *line, size_t cap)
{
	if (it->p >= it->end)
		return false;
	const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	size_t n = nl != NULL ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
	size_t c = n < cap - 1 ? n : cap - 1;
	memcpy(line, it->p, c);
	line[c] = '\0';
	it->p += n + (nl != NULL ? 1 : 0);
	return true;
}

static const char *procfs_skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* An unsigned decimal after optional blanks; saturates instead of wrapping. */
static bool procfs_u64(const char **s, uint64_t *v)
{
	const char *p = procfs_skip_space(*s);
	if (*p < '0' || *p > '9')
		return false;
	uint64_t x = 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*s = p;
	*v = x;
	return true;
}

/* A signed decimal (rss can be reported negative by odd kernels). */
static bool procfs_i64(const char **s, int64_t *v)
{
	const char *p = procfs_skip_space(*s);
	bool neg = *p == '-';
	if (neg)
		p++;
	uint64_t x;
	if (!procfs_u64(&p, &x))
		return false;
	if (x > INT64_MAX)
		x = INT64_MAX;
	*v = neg ? -(int64_t)x : (int64_t)x;
	*s = p;
	return true;
}

/* "12.34" in the C locale whatever LC_NUMERIC says. */
static bool procfs_decimal(const char **s, double *v)
{
	const char *p = procfs_skip_space(*s);
	uint64_t ip;
	if (!procfs_u64(&p, &ip))
		return false;
	double x = (double)ip;
	if (*p == '.') {
		double scale = 0.1;
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			x += (*p - '0') * scale;
	}
	*s = p;
	*v = x;
	return true;
}

/* Skips one blank-separated word. */
static const char *procfs_skip_word(const char *s)
{
	s = procfs_skip_space(s);
	while (*s != '\0' && *s != ' ' && *s != '\t')
		s++;
	return s;
}

/* ---- /proc/stat ---- */

/* busy = user nice system irq softirq steal; total adds idle and iowait.
 * guest and guest_nice are already inside user and nice, so they are left out. */
static bool procfs_parse_cpu_fields(const char *s, struct procfs_cpu *cpu)
{
	uint64_t f[8] = {0};
	size_t n = 0;
	while (n < 8 && procfs_u64(&s, &f[n]))
		n++;
	if (n < 4)
		return false;
	cpu->busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
	cpu->total = cpu->busy + f[3] + f[4];
	return true;
}

int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *out)
{
	struct procfs_lines it = {buf, buf + len};
	char line[512];
	bool have_all = false;
	out->ncores = 0;
	out->has_forks = false;
	while (procfs_lines_next(&it, line, sizeof(line))) {
		if (strncmp(line, "processes ", 10) == 0) {
			const char *f = line + 10;
			out->has_forks = procfs_u64(&f, &out->forks);
			continue;
		}
		if (strncmp(line, "cpu", 3) != 0)
			continue;
		const char *s = line + 3;
		if (*s == ' ') {
			have_all = procfs_parse_cpu_fields(s, &out->all);
			continue;
		}
		if (*s < '0' || *s > '9')
			continue;
		s = procfs_skip_word(s);
		struct procfs_cpu cpu;
		if (!procfs_parse_cpu_fields(s, &cpu))
			continue;
		if (out->ncores == out->cap) {
			out->cap = out->cap != 0 ? out->cap * 2 : 16;
			out->cores = xrealloc(out->cores, out->cap * sizeof(*out->cores));
		}
		out->cores[out->ncores++] = cpu;
	}
	return have_all ? 0 : -1;
}

void procfs_stat_free(struct procfs_stat *st)
{
	free(st->cores);
	st->cores = NULL;
	st->ncores = st->cap = 0;
}

double procfs_cpu_percent(const struct procfs_cpu *prev, const struct procfs_cpu *cur)
{
	struct procfs_cpu zero = {0, 0};
	if (prev == NULL)
		prev = &zero;
	if (cur->total <= prev->total || cur->busy < prev->busy)
		return NAN;
	double pct = (double)(cur->busy - prev->busy) / (double)(cur->total - prev->total) * 100.0;
	return pct > 100.0 ? 100.0 : pct;
}

/* ---- /proc/loadavg ---- */

int procfs_parse_loadavg(const char *buf, size_t len, double load[3])
{
	struct procfs_lines it = {buf, buf + len};
	char line[256];
	if (!procfs_lines_next(&it, line, sizeof(line)))
		return -1;
	const char *s = line;
	for (int i = 0; i < 3; i++)
		if (!procfs_decimal(&s, &load[i]))
			return -1;
	return 0;
}

/* ---- /proc/meminfo ---- */

int procfs_parse_meminfo(const char *buf, size_t len, struct procfs_mem *out)
{
	struct procfs_lines it = {buf, buf + len};
	char line[256];
	uint64_t total = 0, avail = 0, memfree = 0, buffers = 0, cached = 0;
	bool have_total = false, have_avail = false;
	memset(out, 0, sizeof(*out));
	while (procfs_lines_next(&it, line, sizeof(line))) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		const char *s = colon + 1;
		uint64_t v;
		if (!procfs_u64(&s, &v))
			continue;
		s = procfs_skip_space(s);
		if (strncmp(s, "kB", 2) == 0)
			v = v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
		if (strcmp(line, "MemTotal") == 0) {
			total = v;
			have_total = true;
		} else if (strcmp(line, "MemAvailable") == 0) {
			avail = v;
			have_avail = true;
		} else if (strcmp(line, "MemFree") == 0) {
			memfree = v;
		} else if (strcmp(line, "Buffers") == 0) {
			buffers = v;
		} else if (strcmp(line, "Cached") == 0) {
			cached = v;
		} else if (strcmp(line, "SwapTotal") == 0) {
			out->swap_total = v;
		} else if (strcmp(line, "SwapFree") == 0) {
			out->swap_free = v;
		}
	}
	if (!have_total)
		return -1;
	out->total = total;
	out->available = have_avail ? avail : memfree + buffers + cached;
	if (out->available > total)
		out->available = total;
	if (out->swap_free > out->swap_total)
		out->swap_free = out->swap_total;
	return 0;
}

double procfs_mem_used_percent(uint64_t total, uint64_t avail)
{
	if (total == 0)
		return 0.0;
	if (avail > total)
		avail = total;
	return (double)(total - avail) / (double)total * 100.0;
}

/* ---- /proc/self/mounts ---- */

static const char *const procfs_pseudo_types[] = {
    "proc",       "sysfs",     "tmpfs",    "devtmpfs", "devpts",   "securityfs", "debugfs", "tracefs",
    "pstore",     "bpf",       "configfs", "fusectl",  "mqueue",   "hugetlbfs",  "autofs",  "binfmt_misc",
    "rpc_pipefs", "nsfs",      "efivarfs", "squashfs", "ramfs",    "selinuxfs",  "nfsd",    "devfs",
    "rootfs",     "fuse",      "nfs",      "nfs4",     "cifs",     "smb3",       "smbfs",   "9p",
    "ceph",       "glusterfs", "afs",      "sshfs",    "virtiofs", "erofs",      "iso9660", "udf",
};

bool procfs_mount_skip(const char *type, const char *dir)
{
	if (strncmp(type, "cgroup", 6) == 0 || strncmp(type, "fuse.", 5) == 0)
		return true;
	if (strcmp(type, "overlay") == 0)
		return strcmp(dir, "/") != 0;
	for (size_t i = 0; i < ARRAY_LEN(procfs_pseudo_types); i++)
		if (strcmp(type, procfs_pseudo_types[i]) == 0)
			return true;
	/* Whatever sits below these is the kernel's, never user data. */
	static const char *const kernel_dirs[] = {"/proc", "/sys", "/dev"};
	for (size_t i = 0; i < ARRAY_LEN(kernel_dirs); i++) {
		size_t n = strlen(kernel_dirs[i]);
		if (strncmp(dir, kernel_dirs[i], n) == 0 && (dir[n] == '\0' || dir[n] == '/'))
			return true;
	}
	return false;
}

/* Decodes the octal escapes (\040 space, \011 tab, \012 newline, \134
 * backslash) the kernel writes in mount fields, in place. */
static void procfs_unescape(char *s)
{
	char *w = s;
	for (const char *r = s; *r != '\0';) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* Splits the next blank-separated field off *s, NUL-terminating it. */
static char *procfs_field(char **s)
{
	char *p = (char *)procfs_skip_space(*s);
	if (*p == '\0')
		return NULL;
	char *start = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return start;
}

size_t procfs_parse_mounts(const char *buf, size_t len, struct procfs_mount **out)
{
	struct procfs_lines it = {buf, buf + len};
	char line[4096 + 512];
	struct procfs_mount *m = NULL;
	size_t n = 0, cap = 0;
	while (procfs_lines_next(&it, line, sizeof(line))) {
		char *s = line;
		char *dev = procfs_field(&s);
		char *dir = procfs_field(&s);
		char *type = procfs_field(&s);
		if (dev == NULL || dir == NULL || type == NULL)
			continue;
		procfs_unescape(dev);
		procfs_unescape(dir);
		procfs_unescape(type);
		if (procfs_mount_skip(type, dir))
			continue;
		/* A device seen before is a bind mount or a subvolume: one entry,
		 * under its shortest mount point ("/" rather than "/etc/hosts"). */
		size_t i;
		for (i = 0; i < n; i++)
			if (strcmp(m[i].device, dev) == 0)
				break;
		if (i < n) {
			if (strlen(dir) < strlen(m[i].dir)) {
				free(m[i].dir);
				m[i].dir = xstrdup(dir);
			}
			continue;
		}
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 8;
			m = xrealloc(m, cap * sizeof(*m));
		}
		m[n].device = xstrdup(dev);
		m[n].dir = xstrdup(dir);
		m[n].type = xstrdup(type);
		n++;
	}
	*out = m;
	return n;
}

void procfs_mounts_free(struct procfs_mount *mounts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(mounts[i].device);
		free(mounts[i].dir);
		free(mounts[i].type);
	}
	free(mounts);
}

/* ---- /proc/diskstats ---- */

bool procfs_disk_skip(const char *name)
{
	static const char *const prefixes[] = {"loop", "ram", "zram", "fd"};
	for (size_t i = 0; i < ARRAY_LEN(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(name, prefixes[i], n) == 0 && name[n] >= '0' && name[n] <= '9')
			return true;
	}
	return false;
}

bool procfs_disk_is_partition_of(const char *part, const char *disk)
{
	size_t n = strlen(disk);
	if (n == 0 || strncmp(part, disk, n) != 0)
		return false;
	const char *rest = part + n;
	/* A disk name ending in a digit (nvme0n1, mmcblk0) separates with 'p'. */
	if (disk[n - 1] >= '0' && disk[n - 1] <= '9') {
		if (*rest != 'p')
			return false;
		rest++;
	}
	if (*rest == '\0')
		return false;
	for (; *rest != '\0'; rest++)
		if (*rest < '0' || *rest > '9')
			return false;
	return true;
}

/* Device-mapper and md devices stack on disks already counted. */
static bool procfs_disk_stacked(const char *name)
{
	return strncmp(name, "dm-", 3) == 0 ||
	       (strncmp(name, "md", 2) == 0 && name[2] >= '0' && name[2] <= '9');
}

struct procfs_disk {
	char name[64];
	uint64_t rd, wr; /* sectors */
};

static void procfs_io_add_name(struct procfs_io *io, const char *name)
{
	size_t used = strlen(io->names);
	size_t need = strlen(name) + (used != 0 ? 1 : 0);
	if (used + need + 1 > sizeof(io->names))
		return;
	if (used != 0)
		io->names[used++] = ' ';
	memcpy(io->names + used, name, strlen(name) + 1);
}

int procfs_parse_diskstats(const char *buf, size_t len, struct procfs_io *out)
{
	struct procfs_lines it = {buf, buf + len};
	char line[512];
	struct procfs_disk *d = NULL;
	size_t n = 0, cap = 0;
	memset(out, 0, sizeof(*out));
	while (procfs_lines_next(&it, line, sizeof(line))) {
		const char *s = line;
		uint64_t major, minor, f[7];
		if (!procfs_u64(&s, &major) || !procfs_u64(&s, &minor))
			continue;
		s = procfs_skip_space(s);
		const char *name = s;
		s = procfs_skip_word(s);
		size_t nlen = (size_t)(s - name);
		if (nlen == 0 || nlen >= sizeof(d->name))
			continue;
		/* reads, merged, sectors read, ms, writes, merged, sectors written */
		size_t k = 0;
		while (k < 7 && procfs_u64(&s, &f[k]))
			k++;
		if (k < 7)
			continue;
		if (n == cap) {
			cap = cap != 0 ? cap * 2 : 16;
			d = xrealloc(d, cap * sizeof(*d));
		}
		memcpy(d[n].name, name, nlen);
		d[n].name[nlen] = '\0';
		d[n].rd = f[2];
		d[n].wr = f[6];
		n++;
	}
	if (n == 0) {
		free(d);
		return -1;
	}
	bool have_physical = false;
	for (size_t i = 0; i < n; i++)
		if (!procfs_disk_skip(d[i].name) && !procfs_disk_stacked(d[i].name))
			have_physical = true;
	for (size_t i = 0; i < n; i++) {
		if (procfs_disk_skip(d[i].name))
			continue;
		if (have_physical && procfs_disk_stacked(d[i].name))
			continue;
		bool partition = false;
		for (size_t j = 0; j < n && !partition; j++)
			partition = j != i && !procfs_disk_skip(d[j].name) &&
			            procfs_disk_is_partition_of(d[i].name, d[j].name);
		if (partition)
			continue;
		out->read_bytes += d[i].rd * 512;
		out->write_bytes += d[i].wr * 512;
		out->ndevices++;
		procfs_io_add_name(out, d[i].name);
	}
	free(d);
	return 0;
}

/* ---- /proc/net/dev ---- */

bool procfs_net_skip(const char *name)
{
	if (strcmp(name, "lo") == 0)
		return true;
	static const char *const prefixes[] = {"veth",    "ifb",  "docker", "br-",  "virbr", "cni",
	                                       "flannel", "cali", "vxlan",  "tunl", "dummy"};
	for (size_t i = 0; i < ARRAY_LEN(prefixes); i++)
		if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

int procfs_parse_netdev(const char *buf, size_t len, struct procfs_io *out)
{
	struct procfs_lines it = {buf, buf + len};
	char line[512];
	bool any = false;
	memset(out, 0, sizeof(*out));
	while (procfs_lines_next(&it, line, sizeof(line))) {
		char *colon = strchr(line, ':');
		if (colon == NULL)
			continue;
		*colon = '\0';
		const char *name = procfs_skip_space(line);
		const char *s = colon + 1;
		uint64_t f[9];
		size_t k = 0;
		while (k < 9 && procfs_u64(&s, &f[k]))
			k++;
		if (k < 9 || *name == '\0')
			continue;
		any = true;
		if (procfs_net_skip(name))
			continue;
		out->read_bytes += f[0];
		out->write_bytes += f[8];
		out->ndevices++;
		procfs_io_add_name(out, name);
	}
	return any ? 0 : -1;
}

double procfs_rate(uint64_t prev, uint64_t cur, double seconds)
{
	if (cur < prev || !(seconds > 0))
		return 0.0;
	return (double)(cur - prev) / seconds;
}

/* ---- /proc/PID/stat ---- */

int procfs_parse_pid_stat(const char *buf, size_t len, struct procfs_pid_stat *out)
{
	char line[1024];
	size_t c = len < sizeof(line) - 1 ? len : sizeof(line) - 1;
	memcpy(line, buf, c);
	line[c] = '\0';
	memset(out, 0, sizeof(*out));
	/* comm is whatever lies between the first '(' and the LAST ')': a
	 * process may name itself "a) b (c". */
	char *open = memchr(line, '(', c);
	char *close = NULL;
	for (char *p = line + c; p > line; p--)
		if (p[-1] == ')') {
			close = p - 1;
			break;
		}
	if (open == NULL || close == NULL || close < open)
		return -1;
	const char *s = line;
	int64_t pid;
	if (!procfs_i64(&s, &pid) || pid <= 0 || pid > INT32_MAX)
		return -1;
	out->pid = (int)pid;
	size_t clen = (size_t)(close - open - 1);
	if (clen >= sizeof(out->comm))
		clen = sizeof(out->comm) - 1;
	memcpy(out->comm, open + 1, clen);
	out->comm[clen] = '\0';
	s = procfs_skip_space(close + 1);
	if (*s == '\0')
		return -1;
	out->state = *s++;
	/* Fields 4.. (ppid onwards); utime is field 14, stime 15, starttime 22, rss 24. */
	for (int field = 4; field <= 24; field++) {
		int64_t v;
		if (!procfs_i64(&s, &v))
			return -1;
		switch (field) {
		case 14: out->utime = (uint64_t)(v < 0 ? 0 : v); break;
		case 15: out->stime = (uint64_t)(v < 0 ? 0 : v); break;
		case 22: out->starttime = (uint64_t)(v < 0 ? 0 : v); break;
		case 24: out->rss_pages = v; break;
		default: break;
		}
	}
	return 0;
}

void procfs_top_insert(struct procfs_top *top, size_t *n, size_t cap, const struct procfs_top *e)
{
	if (cap == 0)
		return;
	size_t i = *n;
	/* Find where e goes: after every entry that is busier (or as busy and larger). */
	while (i > 0 && (top[i - 1].cpu < e->cpu || (top[i - 1].cpu == e->cpu && top[i - 1].rss < e->rss)))
		i--;
	if (i >= cap)
		return;
	size_t last = *n < cap ? *n : cap - 1;
	memmove(&top[i + 1], &top[i], (last - i) * sizeof(*top));
	top[i] = *e;
	if (*n < cap)
		(*n)++;
}
