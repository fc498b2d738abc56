/* logtime: the time written at the start of a log line.
 *
 * Lines read from the tail of a file at start were written before sitrep ran;
 * stamping them with "now" would make every old error look like it began this
 * second, so the common formats are parsed. Local-time conversion (mktime) is
 * slow, so the epoch of the last local hour is cached: consecutive lines almost
 * always share it. Times with a zone are converted with integer arithmetic
 * (days from the civil date), not timegm. The caches are per thread: the
 * backlog of a big file is scanned on the thread pool. */
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "sitrep/kinds/logs.h"

static int lt_num(const char *p, const char *end, int n)
{
	if (end - p < n)
		return -1;
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

static int lt_month(const char *p, const char *end)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	if (end - p < 3)
		return -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(p, names + 3 * i, 3) == 0)
			return i;
	return -1;
}

/* Epoch seconds of a local time, caching the hour. */
static int64_t lt_local(int year, int mon, int day, int hour, int min, int sec)
{
	static _Thread_local int c_year = -1, c_mon, c_day, c_hour;
	static _Thread_local int64_t c_base;
	if (year != c_year || mon != c_mon || day != c_day || hour != c_hour) {
		struct tm tm = {
		    .tm_year = year - 1900, .tm_mon = mon, .tm_mday = day, .tm_hour = hour, .tm_isdst = -1};
		time_t t = mktime(&tm);
		if (t == (time_t)-1)
			return -1;
		c_year = year;
		c_mon = mon;
		c_day = day;
		c_hour = hour;
		c_base = (int64_t)t;
	}
	return c_base + min * 60 + sec;
}

/* Epoch seconds of a UTC time (mon 0..11); days from the proleptic Gregorian
 * date, as timegm computes them, normalising a day past the month's end. */
static int64_t lt_utc(int year, int mon, int day, int hour, int min, int sec)
{
	int64_t y = year, m = mon + 1;
	if (m <= 2)
		y--;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* HH:MM:SS at p; fraction as milliseconds into *ms; returns bytes used or 0. */
static size_t lt_clock(const char *p, const char *end, int *h, int *m, int *s, int *ms)
{
	*h = lt_num(p, end, 2);
	if (*h < 0 || end - p < 8 || p[2] != ':' || p[5] != ':')
		return 0;
	*m = lt_num(p + 3, end, 2);
	*s = lt_num(p + 6, end, 2);
	if (*m < 0 || *s < 0 || *h > 23 || *m > 59 || *s > 60)
		return 0;
	const char *q = p + 8;
	*ms = 0;
	if (q < end && (*q == '.' || *q == ',')) {
		q++;
		int scale = 100;
		while (q < end && *q >= '0' && *q <= '9') {
			*ms += (*q - '0') * scale;
			scale /= 10;
			q++;
		}
	}
	return (size_t)(q - p);
}

/* Zone after a time: Z, +HH:MM, +HHMM; seconds east into *off. */
static bool lt_zone(const char *p, const char *end, int *off)
{
	if (p < end && *p == 'Z') {
		*off = 0;
		return true;
	}
	if (p < end && (*p == '+' || *p == '-')) {
		int h = lt_num(p + 1, end, 2);
		const char *q = p + 3;
		if (q < end && *q == ':')
			q++;
		int m = lt_num(q, end, 2);
		if (h < 0 || m < 0)
			return false;
		*off = (h * 3600 + m * 60) * (*p == '-' ? -1 : 1);
		return true;
	}
	return false;
}

/* 2024-05-01T10:00:00.123Z, 2024-05-01 10:00:00, 2024/05/01 10:00:00. */
static int64_t lt_iso(const char *p, const char *end)
{
	int y = lt_num(p, end, 4);
	if (y < 1970 || end - p < 19 || (p[4] != '-' && p[4] != '/') || p[7] != p[4])
		return 0;
	int mo = lt_num(p + 5, end, 2), d = lt_num(p + 8, end, 2);
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || (p[10] != 'T' && p[10] != ' '))
		return 0;
	int h, mi, s, ms;
	size_t n = lt_clock(p + 11, end, &h, &mi, &s, &ms);
	if (n == 0)
		return 0;
	int off;
	int64_t t;
	if (lt_zone(p + 11 + n, end, &off))
		t = lt_utc(y, mo - 1, d, h, mi, s) - off;
	else
		t = lt_local(y, mo - 1, d, h, mi, s);
	return t < 0 ? 0 : t * 1000 + ms;
}

/* May  1 10:00:00 (no year: the year that puts it nearest to now). */
static int64_t lt_syslog(const char *p, const char *end, int64_t now_ms)
{
	int mo = lt_month(p, end);
	if (mo < 0 || end - p < 15 || p[3] != ' ')
		return 0;
	const char *q = p + 4;
	int d = q[0] == ' ' ? lt_num(q + 1, end, 1) : lt_num(q, end, 2);
	if (d < 1 || d > 31 || q[2] != ' ')
		return 0;
	int h, mi, s, ms;
	if (lt_clock(q + 3, end, &h, &mi, &s, &ms) == 0)
		return 0;
	time_t now = (time_t)(now_ms / 1000);
	/* The current year, looked up once an hour. */
	static _Thread_local int64_t c_hour = -1;
	static _Thread_local int c_year;
	if (now / 3600 != c_hour) {
		struct tm tm;
		localtime_r(&now, &tm);
		c_hour = now / 3600;
		c_year = tm.tm_year + 1900;
	}
	int64_t t = lt_local(c_year, mo, d, h, mi, s);
	/* December lines read in January belong to last year. */
	if (t > (int64_t)now + 86400)
		t = lt_local(c_year - 1, mo, d, h, mi, s);
	return t < 0 ? 0 : t * 1000 + ms;
}

/* [01/May/2024:10:00:00 +0000] anywhere in the first bytes (after the client). */
static int64_t lt_access(const char *p, const char *end)
{
	const char *lim = end - p > 80 ? p + 80 : end;
	const char *b = memchr(p, '[', (size_t)(lim - p));
	if (b == NULL || end - b < 28)
		return 0;
	b++;
	int d = lt_num(b, end, 2), mo = lt_month(b + 3, end), y = lt_num(b + 7, end, 4);
	if (d < 1 || mo < 0 || y < 1970 || b[2] != '/' || b[6] != '/' || b[11] != ':')
		return 0;
	int h, mi, s, ms, off = 0;
	size_t n = lt_clock(b + 12, end, &h, &mi, &s, &ms);
	if (n == 0)
		return 0;
	const char *z = b + 12 + n;
	if (z < end && *z == ' ')
		z++;
	if (!lt_zone(z, end, &off))
		return 0;
	int64_t t = lt_utc(y, mo, d, h, mi, s) - off;
	return t < 0 ? 0 : t * 1000 + ms;
}

int64_t logtime_parse(const char *line, size_t len, int64_t now_ms)
{
	const char *p = line, *end = line + len;
	while (p < end && (*p == ' ' || *p == '[' || *p == '<'))
		p++;
	if (p == end)
		return 0;
	int64_t t = 0;
	if (*p >= '0' && *p <= '9') {
		t = lt_iso(p, end);
		if (t == 0)
			t = lt_access(p, end);
	} else if (*p >= 'A' && *p <= 'Z') {
		t = lt_syslog(p, end, now_ms);
	}
	return t;
}
