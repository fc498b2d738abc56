/* fuzz-procfs: every /proc parser of the procfs source on the same bytes:
 * stat, meminfo, loadavg, diskstats, net/dev, mounts and PID stat. A file in
 * /proc is the kernel's, but a PID's comm is chosen by whoever runs the
 * process, and the parsers must never trust a length or a field count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "backends/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;

	struct procfs_stat st;
	memset(&st, 0, sizeof(st));
	if (procfs_parse_stat(buf, size, &st) == 0) {
		(void)procfs_cpu_percent(NULL, &st.all);
		/* a second parse reuses the cores array */
		(void)procfs_parse_stat(buf, size, &st);
		if (st.ncores > st.cap)
			abort();
	}
	procfs_stat_free(&st);

	struct procfs_mem mem;
	if (procfs_parse_meminfo(buf, size, &mem) == 0)
		(void)procfs_mem_used_percent(mem.total, mem.available);

	double load[3];
	(void)procfs_parse_loadavg(buf, size, load);

	struct procfs_io io;
	memset(&io, 0, sizeof(io));
	if (procfs_parse_diskstats(buf, size, &io) == 0 &&
	    strnlen(io.names, sizeof(io.names)) == sizeof(io.names))
		abort();
	memset(&io, 0, sizeof(io));
	if (procfs_parse_netdev(buf, size, &io) == 0 &&
	    strnlen(io.names, sizeof(io.names)) == sizeof(io.names))
		abort();

	struct procfs_mount *mounts = NULL;
	size_t n = procfs_parse_mounts(buf, size, &mounts);
	for (size_t i = 0; i < n; i++)
		if (mounts[i].device == NULL || mounts[i].dir == NULL || mounts[i].type == NULL)
			abort();
	procfs_mounts_free(mounts, n);

	struct procfs_pid_stat ps;
	if (procfs_parse_pid_stat(buf, size, &ps) == 0) {
		if (strnlen(ps.comm, sizeof(ps.comm)) == sizeof(ps.comm))
			abort();
		struct procfs_procs *pp = procfs_procs_new(100, 4096);
		(void)procfs_procs_account(pp, &ps, 1.0);
		procfs_procs_end_scan(pp);
		(void)procfs_procs_account(pp, &ps, 2.0);
		procfs_procs_free(pp);
	}
	return 0;
}
