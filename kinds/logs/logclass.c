/* logclass: decides whether a log line is an error, a warning or neither.
 *
 * The error and warning patterns are joined into one JIT-compiled PCRE2
 * expression "(E)|(W)" so an ordinary line costs a single scan; only a line
 * whose first hit is a warning is scanned again for a later error, because an
 * error anywhere in a line outranks a warning. Lines that are JSON objects
 * carrying a level field are judged by that field alone: "level":"info" with
 * the word "error" in its message is not an error; so are lines in any format
 * logformat.c reads a level from (its start checks before the prefilter, its
 * scan checks after it).
 *
 * With the default patterns a line is first checked for any of the literals
 * every match must contain ("erro", "pani", "warn", ...; four bytes each,
 * compared with ASCII case folded): most lines hold none and never reach
 * PCRE2. The list must change with logclass_default_error/_warn. The compiled patterns are shared read-only,
 * so several threads may classify at once, each with its own struct logclass_match. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

/* Words of failure; "exception" may end a longer name (NullPointerException);
 * an access-log line whose status is 5xx; nginx's [alert]/[emerg]/[crit].
 * Alternatives sharing a first letter are factored: PCRE2's JIT scans about
 * 25 % faster that way (bench/logscan). */
const char logclass_default_error[] =
    "\\b(?:e(?:rror|merg)|fatal|panic|crit(?:ical)?|traceback|seg(?:fault|mentation fault)|"
    "core dumped|o(?:om-killer|ut of memory))\\b|exception\\b|\\[alert\\]|"
    "HTTP/[0-9.]+\" 5[0-9][0-9] ";
const char logclass_default_warn[] = "\\bwarn(?:ing)?s?\\b";

/* Four bytes out of each alternative of the default patterns, one of which
 * every match contains, chosen to be rare in ordinary lines ("http" would be
 * in every access-log line, "out " in every "timed out"). logclass_maybe
 * looks for three bytes out of each (see there): keep the lists in step. */
static const char logclass_grams[][5] = {
    "erro",
    "merg",
    "fata",
    "anic",
    "crit",
    "ceba",
    "segf",
    "segm",
    "dump",
    "oom-",
    "f me",
    "xcep",
    "aler",
    "warn",
    "\" 50",
    "\" 51",
    "\" 52",
    "\" 53",
    "\" 54",
    "\" 55",
    "\" 56",
    "\" 57",
    "\" 58",
    "\" 59",
    /* the levels of logformat's scan checks that hold none of the above:
     * log15's eror and an access log's 4xx */
    "eror",
    "\" 40",
    "\" 41",
    "\" 42",
    "\" 43",
    "\" 44",
    "\" 45",
    "\" 46",
    "\" 47",
    "\" 48",
    "\" 49",
};

#define LOGCLASS_HASH_BITS 16

struct logclass {
	pcre2_code *both;           /* (E)|(W) */
	pcre2_code *error;          /* E alone, for the rescan after a warning hit */
	struct logclass_match *own; /* for logclass_classify */
	uint32_t warn_group;        /* capture number of the W group in both */
	bool prefilter;             /* the default patterns: the literal check applies */
	uint32_t grams[ARRAY_LEN(logclass_grams)];
	uint8_t bits[(1u << LOGCLASS_HASH_BITS) / 8];
};

struct logclass_match {
	pcre2_match_data *md;
};

static inline uint32_t logclass_load4(const char *p)
{
	uint32_t w;
	memcpy(&w, p, 4);
	/* Folds ASCII letters to lower case; other bytes change too, the same way
	 * on both sides, so the check never misses a literal. */
	return w | 0x20202020u;
}

static inline uint32_t logclass_hash(uint32_t w)
{
	return (w * 0x9E3779B1u) >> (32 - LOGCLASS_HASH_BITS);
}

static void logclass_prefilter_init(struct logclass *lc)
{
	lc->prefilter = true;
	for (size_t i = 0; i < ARRAY_LEN(logclass_grams); i++) {
		lc->grams[i] = logclass_load4(logclass_grams[i]);
		uint32_t h = logclass_hash(lc->grams[i]);
		lc->bits[h >> 3] |= (uint8_t)(1u << (h & 7));
	}
}

typedef unsigned char logclass_v16 __attribute__((vector_size(16)));

static inline logclass_v16 logclass_loadv(const char *p)
{
	logclass_v16 v;
	memcpy(&v, p, 16);
	return v | 0x20;
}

/* One of the grams at q (within the line). */
static bool logclass_gram_at(const struct logclass *lc, const char *line, const char *end, const char *q)
{
	if (q < line || q + 4 > end)
		return false;
	uint32_t w = logclass_load4(q);
	uint32_t h = logclass_hash(w);
	if (!(lc->bits[h >> 3] & (1u << (h & 7))))
		return false;
	for (size_t i = 0; i < ARRAY_LEN(logclass_grams); i++)
		if (lc->grams[i] == w)
			return true;
	return false;
}

/* The lanes of the 16 positions at blk where one of the three-byte pieces
 * starts: m0 at a gram's first byte, m1 at its second. blk must have 18
 * bytes. */
static inline void logclass_pieces(const char *blk, logclass_v16 *m0, logclass_v16 *m1)
{
	logclass_v16 a = logclass_loadv(blk), b = logclass_loadv(blk + 1), c = logclass_loadv(blk + 2);
	*m0 = ((a == 'f') & (b == 'a') & (c == 't')) | ((a == 'c') & (b == 'r') & (c == 'i')) |
	      ((a == 'c') & (b == 'e') & (c == 'b')) | ((a == 'd') & (b == 'u') & (c == 'm')) |
	      ((a == 'f') & (b == ' ') & (c == 'm')) | ((a == 'x') & (b == 'c') & (c == 'e')) |
	      ((a == 'a') & (b == 'l') & (c == 'e')) | ((a == '"') & (b == ' ') & ((c == '5') | (c == '4')));
	*m1 = ((a == 'r') & (b == 'r') & (c == 'o')) | ((a == 'e') & (b == 'r') & (c == 'g')) |
	      ((a == 'n') & (b == 'i') & (c == 'c')) | ((a == 'e') & (b == 'g') & ((c == 'f') | (c == 'm'))) |
	      ((a == 'o') & (b == 'm') & (c == '-')) | ((a == 'a') & (b == 'r') & (c == 'n')) |
	      ((a == 'r') & (b == 'o') & (c == 'r'));
}

/* Whether a gram starts where the lanes of m0 (at the lane) or m1 (a byte
 * before it) say, for the block whose first lane is at p in the line. */
static bool logclass_block_hit(const struct logclass *lc, const char *line, const char *end, const char *p,
                               logclass_v16 m0, logclass_v16 m1)
{
	logclass_v16 m = m0 | m1;
	uint64_t lo, hi;
	memcpy(&lo, &m, 8);
	memcpy(&hi, (const char *)&m + 8, 8);
	if ((lo | hi) == 0)
		return false;
	for (int k = 0; k < 16; k++)
		if ((m0[k] != 0 && logclass_gram_at(lc, line, end, p + k)) ||
		    (m1[k] != 0 && logclass_gram_at(lc, line, end, p + k - 1)))
			return true;
	return false;
}

/* True when the line may hold a match (contains one of the grams). Sixteen
 * positions at a time look for three bytes out of each gram: its first three,
 * or its last three where those are rarer ("rro" of "erro", "arn" of "warn";
 * the gram then starts 1 byte before), and only where one is found are the
 * grams compared. Pairs of bytes, as before, were found in most lines of
 * ordinary text ("of ", "pa", "em", " 5") and sent every one of them to the
 * gram compare. The last, partial block is copied into a zeroed buffer and
 * checked the same way (zeros fold to spaces and complete no piece of a
 * gram; a hit is checked against the line's real end anyway). The vector
 * code is GCC's generic vectors (SSE2 on x86-64, NEON on arm64);
 * test-logclass checks that no line is ever missed. */
static bool logclass_maybe(const struct logclass *lc, const char *line, size_t len)
{
	if (len < 4)
		return false;
	const char *end = line + len, *p = line;
	logclass_v16 m0, m1;
	for (; p + 18 <= end; p += 16) {
		logclass_pieces(p, &m0, &m1);
		if (logclass_block_hit(lc, line, end, p, m0, m1))
			return true;
	}
	if (p + 3 > end)
		return false;
	/* fewer than 18 bytes left: every piece starting in them fits one block */
	char tail[32] = {0};
	memcpy(tail, p, (size_t)(end - p));
	logclass_pieces(tail, &m0, &m1);
	return logclass_block_hit(lc, line, end, p, m0, m1);
}

const char *log_sev_name(enum log_sev sev)
{
	switch (sev) {
	case LOG_SEV_ERROR: return "error";
	case LOG_SEV_WARN: return "warn";
	default: return "info";
	}
}

/* "(?:p1)|(?:p2)|..." of a list, or def when the list is empty. */
static char *logclass_join(const char *const *pats, size_t n, const char *def)
{
	if (pats == NULL || n == 0)
		return xasprintf("%s", def);
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(pats[i]) + 6;
	char *out = xmalloc(cap);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(out, "|");
		strcat(out, "(?:");
		strcat(out, pats[i]);
		strcat(out, ")");
	}
	return out;
}

static pcre2_code *logclass_compile(const char *pat, char *err, size_t errcap, const char *what)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re =
	    pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &code, &off, NULL);
	if (re == NULL) {
		char msg[160];
		pcre2_get_error_message(code, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errcap, "%s pattern: %s at offset %zu", what, msg, (size_t)off);
		return NULL;
	}
	/* Without JIT (no support on this CPU) the interpreter still works. */
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

/* Compiles each user pattern alone first so an error names the right one. */
static int logclass_check_list(const char *const *pats, size_t n, const char *what, char *err, size_t errcap)
{
	for (size_t i = 0; i < n; i++) {
		char label[64];
		snprintf(label, sizeof(label), "%s %zu", what, i + 1);
		pcre2_code *re = logclass_compile(pats[i], err, errcap, label);
		if (re == NULL)
			return -1;
		pcre2_code_free(re);
	}
	return 0;
}

struct logclass *logclass_new(const char *const *error_patterns, size_t nerror,
                              const char *const *warn_patterns, size_t nwarn, char *err, size_t errcap)
{
	if (logclass_check_list(error_patterns, nerror, "error", err, errcap) < 0 ||
	    logclass_check_list(warn_patterns, nwarn, "warn", err, errcap) < 0)
		return NULL;
	char *e = logclass_join(error_patterns, nerror, logclass_default_error);
	char *w = logclass_join(warn_patterns, nwarn, logclass_default_warn);
	char *both = xasprintf("(%s)|(%s)", e, w);
	struct logclass *lc = xcalloc(1, sizeof(*lc));
	lc->error = logclass_compile(e, err, errcap, "error");
	lc->both = logclass_compile(both, err, errcap, "combined");
	free(both);
	free(w);
	free(e);
	if (lc->error == NULL || lc->both == NULL) {
		logclass_free(lc);
		return NULL;
	}
	uint32_t ecaps = 0;
	pcre2_pattern_info(lc->error, PCRE2_INFO_CAPTURECOUNT, &ecaps);
	lc->warn_group = ecaps + 2;
	if (nerror == 0 && nwarn == 0)
		logclass_prefilter_init(lc);
	lc->own = logclass_match_new(lc);
	return lc;
}

struct logclass_match *logclass_match_new(const struct logclass *lc)
{
	struct logclass_match *m = xcalloc(1, sizeof(*m));
	m->md = pcre2_match_data_create_from_pattern(lc->both, NULL);
	return m;
}

void logclass_match_free(struct logclass_match *m)
{
	if (m == NULL)
		return;
	pcre2_match_data_free(m->md);
	free(m);
}

void logclass_free(struct logclass *lc)
{
	if (lc == NULL)
		return;
	logclass_match_free(lc->own);
	pcre2_code_free(lc->both);
	pcre2_code_free(lc->error);
	free(lc);
}

static int logclass_match(pcre2_code *re, const char *s, size_t len, size_t start, pcre2_match_data *md)
{
	/* pcre2_jit_match skips the checks pcre2_match makes; fall back when the
	 * pattern could not be JIT-compiled. */
	int rc = pcre2_jit_match(re, (PCRE2_SPTR)s, len, start, 0, md, NULL);
	if (rc == PCRE2_ERROR_JIT_BADOPTION)
		rc = pcre2_match(re, (PCRE2_SPTR)s, len, start, 0, md, NULL);
	return rc;
}

static enum log_sev logclass_patterns(const struct logclass *lc, struct logclass_match *m, const char *line,
                                      size_t len)
{
	int rc = logclass_match(lc->both, line, len, 0, m->md);
	if (rc <= 0)
		return LOG_SEV_INFO;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
	if ((uint32_t)rc <= lc->warn_group || ov[2 * lc->warn_group] == PCRE2_UNSET)
		return LOG_SEV_ERROR;
	/* The first hit was a warning: an error later on the line wins. */
	size_t from = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
	if (from < len && logclass_match(lc->error, line, len, from, m->md) > 0)
		return LOG_SEV_ERROR;
	return LOG_SEV_WARN;
}

/* The keyword patterns alone (behind the prefilter with the defaults). */
static enum log_sev logclass_keywords(const struct logclass *lc, struct logclass_match *m, const char *line,
                                      size_t len)
{
	if (lc->prefilter && !logclass_maybe(lc, line, len))
		return LOG_SEV_INFO;
	return logclass_patterns(lc, m, line, len);
}

enum log_sev logclass_classify_r(const struct logclass *lc, struct logclass_match *m, const char *line,
                                 size_t len)
{
	enum log_sev sev;
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
		i++;
	if (i < len && line[i] == '{') {
		if (logclass_json_level(line, len, &sev))
			return sev;
	} else if (logformat_start_sev(line, len, &sev)) {
		return sev;
	} else if (lc->prefilter && !logclass_maybe(lc, line, len)) {
		/* every level a scan check could find holds a gram (logformat.c) */
		return LOG_SEV_INFO;
	}
	if (logformat_scan_sev(line, len, &sev))
		return sev;
	return logclass_patterns(lc, m, line, len);
}

enum log_sev logclass_classify_as(const struct logclass *lc, struct logclass_match *m, enum log_format f,
                                  const char *line, size_t len)
{
	enum log_sev sev;
	if (f == LOG_FORMAT_AUTO)
		return logclass_classify_r(lc, m, line, len);
	if (f != LOG_FORMAT_KEYWORDS && logformat_sev(f, line, len, &sev))
		return sev;
	return logclass_keywords(lc, m, line, len);
}

enum log_sev logclass_classify_in_r(const struct logclass *lc, struct logclass_match *m, enum log_format f,
                                    struct logw3c *w, const char *line, size_t len)
{
	enum log_sev sev;
	/* one test for every line of a source that never had a directive */
	if (w != NULL && len > 0 && (line[0] == '#' || w->cols != 0) &&
	    (f == LOG_FORMAT_AUTO || f == LOG_FORMAT_W3C) && logw3c_sev(w, line, len, &sev))
		return sev;
	return logclass_classify_as(lc, m, f, line, len);
}

enum log_sev logclass_classify_in(struct logclass *lc, enum log_format f, struct logw3c *w, const char *line,
                                  size_t len)
{
	return logclass_classify_in_r(lc, lc->own, f, w, line, len);
}

enum log_sev logclass_classify(struct logclass *lc, const char *line, size_t len)
{
	return logclass_classify_r(lc, lc->own, line, len);
}

enum log_sev logclass_classify_format(struct logclass *lc, enum log_format f, const char *line, size_t len)
{
	return logclass_classify_as(lc, lc->own, f, line, len);
}

/* ---- JSON level field ---- */

static const char *logclass_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* Skips a JSON string starting at its opening quote; returns the byte after
 * the closing quote, or NULL. */
static const char *logclass_skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Skips any JSON value (nested objects and arrays by depth counting). */
static const char *logclass_skip_value(const char *p, const char *end)
{
	if (p < end && *p == '"')
		return logclass_skip_string(p, end);
	int depth = 0;
	while (p < end) {
		char c = *p;
		if (c == '"') {
			p = logclass_skip_string(p, end);
			if (p == NULL)
				return NULL;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']') {
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (depth == 0 && c == ',')
			return p;
		p++;
	}
	return depth == 0 ? p : NULL;
}

static bool logclass_level_word(const char *s, size_t n, enum log_sev *sev)
{
	static const char *const errors[] = {"error", "err",   "fatal", "panic",     "critical", "crit",
	                                     "alert", "emerg", "eror",  "emergency", "dpanic"};
	static const char *const warns[] = {"warn", "warning"};
	for (size_t i = 0; i < ARRAY_LEN(errors); i++)
		if (strlen(errors[i]) == n && strncasecmp(s, errors[i], n) == 0) {
			*sev = LOG_SEV_ERROR;
			return true;
		}
	for (size_t i = 0; i < ARRAY_LEN(warns); i++)
		if (strlen(warns[i]) == n && strncasecmp(s, warns[i], n) == 0) {
			*sev = LOG_SEV_WARN;
			return true;
		}
	*sev = LOG_SEV_INFO;
	return true;
}

static bool logclass_level_number(double v, enum log_sev *sev)
{
	if (v >= 10) { /* bunyan / pino: 40 warn, 50 error, 60 fatal */
		*sev = v >= 50 ? LOG_SEV_ERROR : v >= 40 ? LOG_SEV_WARN : LOG_SEV_INFO;
	} else { /* syslog priority: 0..3 error, 4 warning */
		*sev = v <= 3 ? LOG_SEV_ERROR : v <= 4 ? LOG_SEV_WARN : LOG_SEV_INFO;
	}
	return true;
}

/* OpenTelemetry's SeverityNumber: 1..4 trace, 5..8 debug, 9..12 info,
 * 13..16 warn, 17..20 error, 21..24 fatal. */
static bool logclass_otel_number(double v, enum log_sev *sev)
{
	*sev = v >= 17 ? LOG_SEV_ERROR : v >= 13 ? LOG_SEV_WARN : LOG_SEV_INFO;
	return true;
}

static bool logclass_key_is(const char *key, size_t klen, const char *name)
{
	return strlen(name) == klen && strncasecmp(key, name, klen) == 0;
}

/* The level members: the common names, Serilog's compact "@l", ECS's dotted
 * "log.level", journald's "PRIORITY", OpenTelemetry's "SeverityText" and
 * "SeverityNumber" (any case, with or without an underscore). */
enum logclass_key { LOGCLASS_KEY_NONE, LOGCLASS_KEY_LEVEL, LOGCLASS_KEY_OTEL_NUMBER, LOGCLASS_KEY_NEST };

static enum logclass_key logclass_level_key(const char *key, size_t klen)
{
	static const char *const names[] = {"level",     "lvl",      "severity",     "@l",
	                                    "log.level", "priority", "severitytext", "severity_text"};
	for (size_t i = 0; i < ARRAY_LEN(names); i++)
		if (logclass_key_is(key, klen, names[i]))
			return LOGCLASS_KEY_LEVEL;
	if (logclass_key_is(key, klen, "severitynumber") || logclass_key_is(key, klen, "severity_number"))
		return LOGCLASS_KEY_OTEL_NUMBER;
	if (logclass_key_is(key, klen, "log"))
		return LOGCLASS_KEY_NEST; /* ECS written nested: "log":{"level":...} */
	return LOGCLASS_KEY_NONE;
}

static bool logclass_level_value(const char *p, const char *end, enum logclass_key kind, enum log_sev *sev)
{
	char num[32];
	size_t n = 0;
	if (*p == '"') {
		const char *v = p + 1;
		const char *q = logclass_skip_string(p, end);
		if (q == NULL)
			return false;
		size_t vlen = (size_t)(q - 1 - v);
		/* journald writes PRIORITY as a string of digits */
		if (vlen == 0 || vlen >= sizeof(num) || strspn(v, "0123456789") < vlen) {
			if (kind == LOGCLASS_KEY_OTEL_NUMBER)
				return false;
			return logclass_level_word(v, vlen, sev);
		}
		memcpy(num, v, vlen);
		num[vlen] = '\0';
	} else if ((*p >= '0' && *p <= '9') || *p == '-') {
		while (p + n < end && n < sizeof(num) - 1 && strchr("0123456789.-+eE", p[n]) != NULL) {
			num[n] = p[n];
			n++;
		}
		num[n] = '\0';
	} else {
		return false;
	}
	double v = strtod(num, NULL);
	return kind == LOGCLASS_KEY_OTEL_NUMBER ? logclass_otel_number(v, sev)
	                                        : logclass_level_number(v, sev);
}

/* The HTTP status of a JSON access log line (Caddy's: a numeric top-level
 * "status" beside a "request" object), or 0. */
static int logclass_json_http_status(const char *line, size_t len)
{
	const char *end = line + len;
	const char *p = logclass_skip_ws(line, end);
	int status = 0;
	bool request = false;
	if (p == end || *p != '{')
		return 0;
	for (p++; p < end;) {
		p = logclass_skip_ws(p, end);
		if (p == end || *p != '"')
			break;
		const char *key = p + 1;
		p = logclass_skip_string(p, end);
		if (p == NULL)
			break;
		size_t klen = (size_t)(p - 1 - key);
		p = logclass_skip_ws(p, end);
		if (p == end || *p != ':')
			break;
		p = logclass_skip_ws(p + 1, end);
		if (p < end && *p == '{' && logclass_key_is(key, klen, "request"))
			request = true;
		if (p + 3 <= end && logclass_key_is(key, klen, "status") && *p >= '1' && *p <= '5' &&
		    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9' &&
		    (p + 3 == end || strchr(",} ", p[3])))
			status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
		p = logclass_skip_value(p, end);
		if (p == NULL)
			break;
		p = logclass_skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else
			break;
	}
	return request ? status : 0;
}

static bool logclass_json_level_depth(const char *line, size_t len, enum log_sev *sev, int depth)
{
	const char *end = line + len;
	const char *p = logclass_skip_ws(line, end);
	if (p == end || *p != '{')
		return false;
	p++;
	/* Top-level members, and those of a "log" object one level down. */
	while (p < end) {
		p = logclass_skip_ws(p, end);
		if (p == end || *p != '"')
			return false;
		const char *key = p + 1;
		p = logclass_skip_string(p, end);
		if (p == NULL)
			return false;
		size_t klen = (size_t)(p - 1 - key);
		p = logclass_skip_ws(p, end);
		if (p == end || *p != ':')
			return false;
		p = logclass_skip_ws(p + 1, end);
		enum logclass_key kind = logclass_level_key(key, klen);
		if (p < end && kind == LOGCLASS_KEY_NEST) {
			if (depth == 0 && *p == '{' &&
			    logclass_json_level_depth(p, (size_t)(end - p), sev, 1))
				return true;
		} else if (p < end && kind != LOGCLASS_KEY_NONE && logclass_level_value(p, end, kind, sev)) {
			return true;
		}
		p = logclass_skip_value(p, end);
		if (p == NULL)
			return false;
		p = logclass_skip_ws(p, end);
		if (p < end && *p == ',')
			p++;
		else
			return false;
	}
	return false;
}

bool logclass_json_level(const char *line, size_t len, enum log_sev *sev)
{
	if (!logclass_json_level_depth(line, len, sev, 0))
		return false;
	/* Caddy logs every request at level info: its status says how it went,
	 * 5xx an error and 4xx a warning as in the text access logs. */
	if (*sev != LOG_SEV_ERROR) {
		int status = logclass_json_http_status(line, len);
		if (status >= 500)
			*sev = LOG_SEV_ERROR;
		else if (status >= 400)
			*sev = LOG_SEV_WARN;
	}
	return true;
}
