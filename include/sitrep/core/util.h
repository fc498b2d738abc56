/* util: allocation that aborts on OOM, time formatting and small string helpers
 * shared by every folder. */
#ifndef SITREP_UTIL_H
#define SITREP_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Allocated printf; caller frees. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/* Two strings, either of which may be NULL, are the same (both NULL counts). */
bool util_str_same(const char *a, const char *b);

/* Monotonic milliseconds (for intervals and ages, never for display). */
uint64_t util_mono_ms(void);
/* Writes RFC 3339 UTC ("2026-11-22T01:02:03Z") into buf (>= 21 bytes). */
void util_rfc3339(time_t t, char *buf, size_t cap);
/* Compact age: "now", "12s", "4m", "3h", "2d". buf >= 8 bytes. */
void util_age(uint64_t ms, char *buf, size_t cap);
/* Human bytes with binary units: "512B", "1.5K", "12M", "3.2G". */
void util_bytes(double bytes, char *buf, size_t cap);
/* Reads a whole small file into a new NUL-terminated buffer; NULL with errno on failure. */
char *util_read_file(const char *path, size_t max, size_t *len);
/* Reads fd to its end (at most max - 1 bytes) into a new NUL-terminated
 * buffer; NULL with errno. wait_ms >= 0: fd is a pipe opened non-blocking,
 * waited on with poll for up to wait_ms at a time (ETIMEDOUT when silent);
 * < 0: read as it comes. fd stays open. */
char *util_read_fd(int fd, size_t max, int wait_ms, size_t *len);
/* mkdir -p with mode for the directories it creates; 0, or -1 with errno. */
int util_mkdirs(const char *dir, unsigned mode);
/* A whole number of seconds in its largest exact unit: "2h", "30m", "1d", "90s". */
void util_duration(double seconds, char *buf, size_t cap);

/* Drops a UTF-8 sequence left incomplete at the end of s (what a fixed
 * buffer leaves when snprintf cuts a message inside a character), so a
 * message handed on ends on a whole character. Other bytes are left as
 * they are. Returns the new length. */
size_t util_utf8_trim(char *s);
/* The last at most max bytes of s, starting on a character boundary (never
 * on a UTF-8 continuation byte): a pointer into s. */
const char *util_utf8_tail(const char *s, size_t max);

/* Starts fn(arg) on a detached thread that blocks every signal (signals are
 * the loop's business): name lookups, libpq's connection set-up. 0, or an
 * errno value when the thread could not start (arg is then the caller's). */
int util_thread_detached(void *(*fn)(void *), void *arg);

/* A growing NUL-terminated string (an export, a statement): s is owned by
 * whoever ends up with it (free). */
struct util_buf {
	char *s;
	size_t len, cap;
};
void util_buf_add(struct util_buf *b, const char *s, size_t n);

#endif
