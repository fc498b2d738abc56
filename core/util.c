/* util: allocation that aborts on OOM (a dashboard that cannot allocate a few
 * bytes cannot do anything useful), time and size formatting. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "sitrep/core/util.h"

static void util_oom(void)
{
	static const char msg[] = "sitrep: out of memory\n";
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL)
		util_oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		util_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		util_oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		n = 0;
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

bool util_str_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

uint64_t util_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void util_rfc3339(time_t t, char *buf, size_t cap)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void util_age(uint64_t ms, char *buf, size_t cap)
{
	uint64_t s = ms / 1000;
	if (s < 1)
		snprintf(buf, cap, "now");
	else if (s < 120)
		snprintf(buf, cap, "%us", (unsigned)s);
	else if (s < 7200)
		snprintf(buf, cap, "%um", (unsigned)(s / 60));
	else if (s < 172800)
		snprintf(buf, cap, "%uh", (unsigned)(s / 3600));
	else
		snprintf(buf, cap, "%ud", (unsigned)(s / 86400));
}

void util_bytes(double bytes, char *buf, size_t cap)
{
	static const char units[] = "BKMGTPE";
	int u = 0;
	while (bytes >= 1024.0 && u < 6) {
		bytes /= 1024.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, cap, "%.0fB", bytes);
	else if (bytes < 10.0)
		snprintf(buf, cap, "%.1f%c", bytes, units[u]);
	else
		snprintf(buf, cap, "%.0f%c", bytes, units[u]);
}

char *util_read_fd(int fd, size_t max, int wait_ms, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap >= max)
				break;
			cap = cap * 2 > max ? max : cap * 2;
			buf = xrealloc(buf, cap);
		}
		if (wait_ms >= 0) {
			/* a pipe: wait for data, or for its writer to close */
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			int pr = poll(&pfd, 1, wait_ms);
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr <= 0) {
				int e = pr == 0 ? ETIMEDOUT : errno;
				free(buf);
				errno = e;
				return NULL;
			}
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR || (wait_ms >= 0 && errno == EAGAIN))
				continue;
			int e = errno;
			free(buf);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

char *util_read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	char *buf = util_read_fd(fd, max, -1, len);
	int e = errno;
	close(fd);
	errno = e;
	return buf;
}

int util_mkdirs(const char *dir, unsigned mode)
{
	char *p = xstrdup(dir);
	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		mkdir(p, (mode_t)mode);
		*s = '/';
	}
	int rc = mkdir(p, (mode_t)mode) == 0 || errno == EEXIST ? 0 : -1;
	free(p);
	return rc;
}

void util_duration(double seconds, char *buf, size_t cap)
{
	long v = lround(seconds);
	if (v >= 86400 && v % 86400 == 0)
		snprintf(buf, cap, "%ldd", v / 86400);
	else if (v >= 3600 && v % 3600 == 0)
		snprintf(buf, cap, "%ldh", v / 3600);
	else if (v >= 60 && v % 60 == 0)
		snprintf(buf, cap, "%ldm", v / 60);
	else
		snprintf(buf, cap, "%lds", v);
}

size_t util_utf8_trim(char *s)
{
	size_t len = strlen(s);
	/* The lead byte of the last sequence: at most 3 continuation bytes back. */
	size_t i = len, cont = 0;
	while (i > 0 && cont < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0)
		return len;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 0;
	/* A lead byte with fewer continuation bytes than it announces was cut;
	 * anything else (ASCII, a whole character, a stray byte) stays. */
	if (need != 0 && cont + 1 < need) {
		s[i - 1] = '\0';
		return i - 1;
	}
	return len;
}

const char *util_utf8_tail(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return s;
	const char *p = s + len - max;
	while (*p != '\0' && ((unsigned char)*p & 0xC0) == 0x80)
		p++;
	return p;
}

int util_thread_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Blocked before the thread exists, so it is born with every signal blocked. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc;
}

void util_buf_add(struct util_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}
