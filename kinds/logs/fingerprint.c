/* fingerprint: what two log lines have in common once the parts that change
 * from one occurrence to the next are masked.
 *
 * "user 4711 timed out after 30s from 10.0.0.7" and "user 12 timed out after
 * 5s from 10.0.0.9" both become "user <n> timed out after <n>s from <ip>" and so
 * land in one group. One left-to-right pass over at most FINGERPRINT_INPUT_MAX
 * bytes, no regex: it runs on every error line at full ingest speed. For a JSON
 * line the message member ("msg", "message") is fingerprinted instead of the
 * whole object, whose every value is a quoted string. */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "sitrep/kinds/logs.h"

struct fp_out {
	char *buf;
	size_t cap, len;
	uint64_t hash;
};

static void fp_put(struct fp_out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		o->hash ^= (unsigned char)s[i];
		o->hash *= 0x100000001b3ULL;
	}
	if (o->len + 1 >= o->cap)
		return;
	size_t room = o->cap - 1 - o->len;
	if (n > room)
		n = room;
	memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void fp_puts(struct fp_out *o, const char *s)
{
	fp_put(o, s, strlen(s));
}

static bool fp_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool fp_hex(char c)
{
	return fp_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool fp_alnum(char c)
{
	return fp_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Number of digits at p (at most max). */
static size_t fp_digits(const char *p, const char *end, size_t max)
{
	size_t n = 0;
	while (p + n < end && n < max && fp_digit(p[n]))
		n++;
	return n;
}

/* 8-4-4-4-12 hex digits. */
static size_t fp_uuid(const char *p, const char *end)
{
	static const int groups[] = {8, 4, 4, 4, 12};
	const char *q = p;
	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, q++)
			if (q >= end || !fp_hex(*q))
				return 0;
		if (g < 4) {
			if (q >= end || *q != '-')
				return 0;
			q++;
		}
	}
	if (q < end && fp_alnum(*q))
		return 0;
	return (size_t)(q - p);
}

/* HH:MM[:SS[.frac]] with an optional zone; returns its length. */
static size_t fp_clock(const char *p, const char *end)
{
	const char *q = p;
	size_t n = fp_digits(q, end, 2);
	if (n == 0 || q + n >= end || q[n] != ':')
		return 0;
	q += n + 1;
	if (fp_digits(q, end, 2) != 2)
		return 0;
	q += 2;
	if (q < end && *q == ':' && fp_digits(q + 1, end, 2) == 2) {
		q += 3;
		if (q < end && (*q == '.' || *q == ',') && fp_digits(q + 1, end, 9) > 0)
			q += 1 + fp_digits(q + 1, end, 9);
	}
	if (q < end && *q == 'Z')
		q++;
	else if (q + 5 < end && (*q == '+' || *q == '-') && fp_digits(q + 1, end, 2) == 2) {
		const char *z = q + 3;
		if (*z == ':')
			z++;
		if (fp_digits(z, end, 2) == 2)
			q = z + 2;
	}
	return (size_t)(q - p);
}

/* YYYY-MM-DD or YYYY/MM/DD, optionally followed by [T ]clock. */
static size_t fp_date(const char *p, const char *end)
{
	if (fp_digits(p, end, 4) != 4 || p + 10 > end)
		return 0;
	char sep = p[4];
	if ((sep != '-' && sep != '/') || fp_digits(p + 5, end, 2) != 2 || p[7] != sep ||
	    fp_digits(p + 8, end, 2) != 2)
		return 0;
	const char *q = p + 10;
	if (q + 1 < end && (*q == 'T' || *q == ' ')) {
		size_t c = fp_clock(q + 1, end);
		if (c > 0)
			q += 1 + c;
	}
	return (size_t)(q - p);
}

/* Dotted quad with an optional :port. */
static size_t fp_ipv4(const char *p, const char *end)
{
	const char *q = p;
	for (int i = 0; i < 4; i++) {
		size_t n = fp_digits(q, end, 3);
		if (n == 0)
			return 0;
		q += n;
		if (i < 3) {
			if (q >= end || *q != '.')
				return 0;
			q++;
		}
	}
	if (q < end && (fp_digit(*q) || *q == '.') && !(q + 1 >= end || !fp_digit(q[1])))
		return 0;
	if (q + 1 < end && *q == ':' && fp_digit(q[1]))
		q += 1 + fp_digits(q + 1, end, 5);
	return (size_t)(q - p);
}

/* An IPv6 address: hex groups of at most 4 with at least two colons. */
static size_t fp_ipv6(const char *p, const char *end)
{
	const char *q = p;
	int colons = 0, run = 0;
	bool digit = false;
	while (q < end && (fp_hex(*q) || *q == ':')) {
		if (*q == ':') {
			colons++;
			run = 0;
		} else {
			if (++run > 4)
				return 0;
			digit |= fp_digit(*q);
		}
		q++;
	}
	if (colons < 2 || (q < end && fp_alnum(*q)) || !digit)
		return 0;
	return (size_t)(q - p);
}

/* A token of hex digits (or 0x...) at least 6 long that holds a digit, or any
 * 0x number. */
static size_t fp_hexid(const char *p, const char *end)
{
	const char *q = p;
	bool prefix = q + 2 < end && q[0] == '0' && (q[1] == 'x' || q[1] == 'X') && fp_hex(q[2]);
	if (prefix)
		q += 2;
	bool digit = false, alpha = false;
	while (q < end && fp_hex(*q)) {
		if (fp_digit(*q))
			digit = true;
		else
			alpha = true;
		q++;
	}
	if (q < end && fp_alnum(*q))
		return 0;
	size_t n = (size_t)(q - p);
	if (prefix)
		return n;
	return (n >= 6 && digit && alpha) ? n : 0;
}

/* A quoted string closing on the same line within a bounded distance. */
static size_t fp_quoted(const char *p, const char *end)
{
	char q = *p;
	const char *limit = end - p > 512 ? p + 512 : end;
	for (const char *s = p + 1; s < limit; s++) {
		if (*s == '\\')
			s++;
		else if (*s == q)
			return (size_t)(s + 1 - p);
	}
	return 0;
}

static void fp_mask(struct fp_out *o, const char *start, const char *end)
{
	const char *p = start;
	while (p < end) {
		char c = *p;
		bool boundary = p == start || !fp_alnum(p[-1]);
		size_t n;
		if (boundary && fp_hex(c)) {
			if ((n = fp_uuid(p, end)) > 0) {
				fp_puts(o, "<uuid>");
				p += n;
				continue;
			}
			if (fp_digit(c)) {
				if ((n = fp_date(p, end)) > 0 || (n = fp_clock(p, end)) > 0) {
					fp_puts(o, "<ts>");
					p += n;
					continue;
				}
				if ((n = fp_ipv4(p, end)) > 0) {
					fp_puts(o, "<ip>");
					p += n;
					continue;
				}
			}
			if ((n = fp_ipv6(p, end)) > 0) {
				fp_puts(o, "<ip>");
				p += n;
				continue;
			}
			if ((n = fp_hexid(p, end)) > 0) {
				fp_puts(o, "<hex>");
				p += n;
				continue;
			}
		}
		if (fp_digit(c)) {
			p += fp_digits(p, end, (size_t)-1);
			/* 3.14 and 1,000 are one number */
			while (p + 1 < end && (*p == '.' || *p == ',') && fp_digit(p[1]))
				p += 1 + fp_digits(p + 1, end, (size_t)-1);
			fp_puts(o, "<n>");
			continue;
		}
		if ((c == '"' || (c == '\'' && boundary)) && (n = fp_quoted(p, end)) > 0) {
			fp_puts(o, c == '"' ? "\"<str>\"" : "'<str>'");
			p += n;
			continue;
		}
		fp_put(o, p, 1);
		p++;
	}
}

/* The string value of a top-level "msg"/"message" member of a JSON line,
 * without quotes; false when the line is not such an object. */
static bool fp_json_message(const char *line, size_t len, const char **msg, size_t *mlen)
{
	const char *end = line + len;
	const char *p = line;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '{')
		return false;
	static const char *const keys[] = {"\"msg\"", "\"message\"", "\"error\"", "\"err\""};
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		size_t kl = strlen(keys[k]);
		const char *s = p;
		while ((s = memmem(s, (size_t)(end - s), keys[k], kl)) != NULL) {
			const char *v = s + kl;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			if (v < end && *v == ':') {
				v++;
				while (v < end && (*v == ' ' || *v == '\t'))
					v++;
				if (v < end && *v == '"') {
					size_t n = fp_quoted(v, end);
					if (n >= 2) {
						*msg = v + 1;
						*mlen = n - 2;
						return true;
					}
				}
			}
			s += kl;
		}
	}
	return false;
}

uint64_t fingerprint_mask(const char *line, size_t len, char *out, size_t cap, size_t *outlen)
{
	struct fp_out o = {.buf = out, .cap = cap, .len = 0, .hash = 0xcbf29ce484222325ULL};
	const char *msg;
	size_t mlen;
	if (fp_json_message(line, len, &msg, &mlen)) {
		line = msg;
		len = mlen;
	}
	if (len > FINGERPRINT_INPUT_MAX)
		len = FINGERPRINT_INPUT_MAX;
	/* Trailing blanks and a CR do not make a different message. */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r' || line[len - 1] == '\t'))
		len--;
	fp_mask(&o, line, line + len);
	if (cap > 0)
		out[o.len] = '\0';
	if (outlen != NULL)
		*outlen = o.len;
	return o.hash;
}
