/* logscan-tool: the measuring half of bench/logscan.
 *   gen FILE BYTES          writes a synthetic application log of about BYTES
 *   gen-traces FILE BYTES   the same with 10 % of its lines in stack traces
 *                           (Java with a cause, Python, Go), one every ~90 lines
 *   scan FILE               classifies every line and fingerprints the warnings
 *                           and errors (what ingest costs before the store)
 *   ingest FILE             the whole path: classify, fingerprint, sanitize,
 *                           store in a default-size logstore
 *   write FILE MBPS SECONDS appends lines at MBPS MB/s, prints the count
 * scan and ingest read with pread in 1 MiB slices like the tail does, and
 * print "lines N matched M bytes B seconds S". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sitrep/io/linebuf.h"
#include "sitrep/kinds/logs.h"

static double logscan_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const logscan_msgs[] = {
    "GET /api/v1/users/%u HTTP/1.1 200 %u bytes in %u ms",
    "cache miss for key user:%u:profile",
    "connection from 10.0.%u.%u accepted",
    "worker %u finished job %u in %u ms",
    "user %u logged in from 192.168.%u.%u",
    "ERROR payment %u failed: upstream timeout after %u ms",
    "WARNING slow query on orders took %u ms (rows %u)",
    "panic: runtime error: index out of range [%u] with length %u",
    "127.0.0.1 - - \"GET /static/app.%u.js HTTP/1.1\" 502 %u",
    "java.lang.IllegalStateException: pool %u exhausted (%u waiting)",
};
/* Per mille: mostly ordinary lines, about 4 % warnings and errors. */
static const unsigned logscan_weights[] = {300, 200, 150, 150, 160, 15, 15, 2, 5, 3};

static unsigned logscan_rand(void)
{
	static unsigned long long s = 88172645463325252ULL;
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (unsigned)(s >> 11);
}

static size_t logscan_line(char *buf, size_t cap, unsigned long long i)
{
	unsigned r = logscan_rand() % 1000, k = 0, acc = 0;
	for (k = 0; k < 9; k++) {
		acc += logscan_weights[k];
		if (r < acc)
			break;
	}
	time_t t = 1714557600 + (time_t)(i / 2000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ web1 app[", &tm);
	n += (size_t)snprintf(buf + n, cap - n, "%u]: ", 1000 + logscan_rand() % 9000);
	/* The formats are the fixed table above, each with at most three %u. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n += (size_t)snprintf(buf + n, cap - n, logscan_msgs[k], logscan_rand() % 100000,
	                      logscan_rand() % 256, logscan_rand() % 256);
#pragma GCC diagnostic pop
	buf[n++] = '\n';
	return n;
}

static int logscan_gen(const char *path, unsigned long long bytes)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return 1;
	static char out[1 << 20];
	size_t used = 0;
	unsigned long long total = 0, i = 0;
	while (total < bytes) {
		used += logscan_line(out + used, sizeof(out) - used, i++);
		if (used > sizeof(out) - 512) {
			fwrite(out, 1, used, f);
			total += used;
			used = 0;
		}
	}
	fwrite(out, 1, used, f);
	fclose(f);
	return 0;
}

/* The traces gen-traces puts in: each a logger's record (or not) and its
 * lines, 9 or 10 lines in all. */
static const char *const logscan_traces[][11] = {
    {"%s ERROR [exec-%u] c.e.shop.CartController - request failed",
     "java.lang.IllegalStateException: cart %u has no price",
     "\tat com.example.shop.Cart.total(Cart.java:42)",
     "\tat com.example.shop.CartController.show(CartController.java:17)",
     "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
     "Caused by: java.sql.SQLException: connection reset by peer %u",
     "\tat org.postgresql.core.PGStream.receive(PGStream.java:501)", "\t... 3 more",
     "Caused by: java.net.SocketException: Connection reset", "\t... 4 more", NULL},
    {"%s ERROR app: pricing cart %u failed",
     "Traceback (most recent call last):", "  File \"/srv/shop/app.py\", line 30, in <module>", "    main()",
     "  File \"/srv/shop/cart.py\", line %u, in total", "    return sum(item[\"price\"] for item in items)",
     "               ~~~~^^^^^^^^^", "KeyError: 'price'", NULL},
    {"panic: runtime error: index out of range [%u] with length 3", "", "goroutine %u [running]:",
     "main.lookupPrice(...)", "\t/srv/shop/price.go:41", "main.(*Cart).Total(0xc000010018)",
     "\t/srv/shop/cart.go:27 +0x1d5", "created by net/http.(*Server).Serve in goroutine 1",
     "\t/usr/lib/go-1.22/src/net/http/server.go:3285 +0x4b4", NULL},
};

/* The formats are the table's own literals. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int logscan_gen_traces(const char *path, unsigned long long bytes)
{
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return 1;
	static char out[1 << 20];
	size_t used = 0;
	unsigned long long total = 0, i = 0;
	while (total < bytes) {
		/* 81 ordinary lines, then a trace of about 9: 10 % */
		if (i % 90 == 89) {
			const char *const *tr = logscan_traces[logscan_rand() % 3];
			char when[32];
			time_t t = 1714557600 + (time_t)(i / 2000);
			struct tm tm;
			gmtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			for (size_t k = 0; tr[k] != NULL; k++) {
				int n = k == 0 && tr[k][0] == '%'
				            ? snprintf(out + used, sizeof(out) - used, tr[k], when,
				                       logscan_rand() % 100)
				            : snprintf(out + used, sizeof(out) - used, tr[k],
				                       logscan_rand() % 100);
				used += (size_t)n;
				out[used++] = '\n';
				i++;
			}
		} else {
			used += logscan_line(out + used, sizeof(out) - used, i++);
		}
		if (used > sizeof(out) - 4096) {
			fwrite(out, 1, used, f);
			total += used;
			used = 0;
		}
	}
	fwrite(out, 1, used, f);
	fclose(f);
	return 0;
}

#pragma GCC diagnostic pop

struct logscan_ctx {
	struct logclass *lc;
	struct logstore *st;
	unsigned long long lines, matched;
};

static void logscan_on_scan(void *p, const char *line, size_t len, bool cut)
{
	struct logscan_ctx *c = p;
	c->lines++;
	enum log_sev sev = logclass_classify(c->lc, line, len);
	if (sev != LOG_SEV_INFO) {
		char fp[512];
		fingerprint_mask(line, len, fp, sizeof(fp), NULL);
		c->matched++;
	}
}

static void logscan_on_ingest(void *p, const char *line, size_t len, bool cut)
{
	struct logscan_ctx *c = p;
	c->lines++;
	logstore_ingest(c->st, c->lc, 0, 0, -1, line, len, cut);
}

static int logscan_read(const char *path, bool ingest)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 1;
	char err[200];
	struct logscan_ctx c = {.lc = logclass_new(NULL, 0, NULL, 0, err, sizeof(err))};
	if (ingest)
		c.st = logstore_new(0, 0, 0);
	struct linebuf lb;
	linebuf_init(&lb, 0);
	static char buf[1 << 20];
	off_t off = 0;
	ssize_t n;
	double t0 = logscan_now();
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		off += n;
		linebuf_feed(&lb, buf, (size_t)n, ingest ? logscan_on_ingest : logscan_on_scan, &c);
	}
	linebuf_flush(&lb, ingest ? logscan_on_ingest : logscan_on_scan, &c);
	double secs = logscan_now() - t0;
	if (ingest)
		c.matched = logstore_stats(c.st)->errors + logstore_stats(c.st)->warnings;
	printf("lines %llu matched %llu bytes %lld seconds %.3f\n", c.lines, c.matched, (long long)off, secs);
	linebuf_free(&lb);
	logstore_unref(c.st);
	logclass_free(c.lc);
	close(fd);
	return 0;
}

static int logscan_write(const char *path, double mbps, double seconds)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd < 0)
		return 1;
	static char out[1 << 20];
	unsigned long long lines = 0, bytes = 0, i = 0;
	double t0 = logscan_now();
	for (;;) {
		double el = logscan_now() - t0;
		if (el >= seconds)
			break;
		/* Ahead of the rate: wait a little. */
		if ((double)bytes > mbps * 1e6 * el) {
			usleep(1000);
			continue;
		}
		size_t used = 0;
		while (used < 64 * 1024) {
			used += logscan_line(out + used, sizeof(out) - used, i++);
			lines++;
		}
		if (write(fd, out, used) != (ssize_t)used)
			return 1;
		bytes += used;
	}
	printf("lines %llu bytes %llu seconds %.3f\n", lines, bytes, logscan_now() - t0);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "gen") == 0)
		return logscan_gen(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "gen-traces") == 0)
		return logscan_gen_traces(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "scan") == 0)
		return logscan_read(argv[2], false);
	if (argc == 3 && strcmp(argv[1], "ingest") == 0)
		return logscan_read(argv[2], true);
	if (argc == 5 && strcmp(argv[1], "write") == 0)
		return logscan_write(argv[2], atof(argv[3]), atof(argv[4]));
	fprintf(stderr,
	        "usage: logscan-tool gen FILE BYTES | gen-traces FILE BYTES | scan FILE | ingest FILE | "
	        "write FILE MBPS SECONDS\n");
	return 2;
}
