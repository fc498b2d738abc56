/* logformat: the severity a log line's own format gives it.
 *
 * Many formats carry a level: a syslog PRI, glog's leading letter, logfmt's
 * level=, an access log's status, the LEVEL token after a timestamp. When a
 * line is in such a format, that level is its severity and the keyword
 * patterns are not asked: "level=info msg=... error_count=0" stays info.
 *
 * Detection is per line, by shape, so it needs no state and runs on the scan
 * threads as it is. The checks come in two sets, for speed:
 * - logformat_start_sev looks only at the first bytes (a switch on the first
 *   one) and runs on every line;
 * - logformat_scan_sev walks tokens and runs only on lines the literal
 *   prefilter in logclass passed. Every error or warning such a format can
 *   give contains one of logclass's grams ("erro", "warn", "eror", "\" 4x",
 *   ...), so a line the prefilter drops is info in these formats too.
 *   zerolog's three-letter levels (ERR, WRN) hold none: they are read by a
 *   start check, as the second token. A gram more costs every line.
 * JSON lines are logclass_json_level's. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

static const char *const logformat_names[LOG_FORMAT_COUNT] = {
    [LOG_FORMAT_AUTO] = "auto",       [LOG_FORMAT_KEYWORDS] = "keywords", [LOG_FORMAT_JSON] = "json",
    [LOG_FORMAT_SYSLOG] = "syslog",   [LOG_FORMAT_GLOG] = "glog",         [LOG_FORMAT_RUBY] = "ruby",
    [LOG_FORMAT_DOTNET] = "dotnet",   [LOG_FORMAT_ACCESS] = "access",     [LOG_FORMAT_LOGFMT] = "logfmt",
    [LOG_FORMAT_LEVELED] = "leveled", [LOG_FORMAT_ELB] = "elb",           [LOG_FORMAT_HAPROXY] = "haproxy",
    [LOG_FORMAT_W3C] = "w3c",
};

const char *logformat_name(enum log_format f)
{
	return (unsigned)f < LOG_FORMAT_COUNT ? logformat_names[f] : "?";
}

int logformat_by_name(const char *name)
{
	for (int i = 0; i < LOG_FORMAT_COUNT; i++)
		if (strcmp(logformat_names[i], name) == 0)
			return i;
	return -1;
}

static bool logformat_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- level words ---- */

struct logformat_word {
	const char *word;
	uint8_t sev;
};

/* Upper-case level tokens of text formats (zap, zerolog, log4j, logback,
 * PostgreSQL, MySQL, Monolog, Python, Go's slog): compared exactly, so the
 * word "error" in a message is never taken for a level. PostgreSQL's
 * DETAIL/HINT/STATEMENT/CONTEXT lines belong to the message before them and
 * are not counted again. */
static const struct logformat_word logformat_upper[] = {
    {"ERROR", LOG_SEV_ERROR},    {"FATAL", LOG_SEV_ERROR},     {"PANIC", LOG_SEV_ERROR},
    {"DPANIC", LOG_SEV_ERROR},   {"CRITICAL", LOG_SEV_ERROR},  {"CRIT", LOG_SEV_ERROR},
    {"ALERT", LOG_SEV_ERROR},    {"EMERGENCY", LOG_SEV_ERROR}, {"EMERG", LOG_SEV_ERROR},
    {"WARN", LOG_SEV_WARN},      {"WARNING", LOG_SEV_WARN},    {"INFO", LOG_SEV_INFO},
    {"NOTICE", LOG_SEV_INFO},    {"DEBUG", LOG_SEV_INFO},      {"TRACE", LOG_SEV_INFO},
    {"LOG", LOG_SEV_INFO},       {"DETAIL", LOG_SEV_INFO},     {"HINT", LOG_SEV_INFO},
    {"STATEMENT", LOG_SEV_INFO}, {"CONTEXT", LOG_SEV_INFO},    {"QUERY", LOG_SEV_INFO},
    {"LOCATION", LOG_SEV_INFO},  {"DEBUG1", LOG_SEV_INFO},     {"DEBUG2", LOG_SEV_INFO},
    {"DEBUG3", LOG_SEV_INFO},    {"DEBUG4", LOG_SEV_INFO},     {"DEBUG5", LOG_SEV_INFO},
};

/* Levels in brackets in any case: nginx's [error], MySQL's [Warning]/[Note]. */
static const struct logformat_word logformat_bracketed[] = {
    {"error", LOG_SEV_ERROR}, {"crit", LOG_SEV_ERROR}, {"alert", LOG_SEV_ERROR},  {"emerg", LOG_SEV_ERROR},
    {"fatal", LOG_SEV_ERROR}, {"warn", LOG_SEV_WARN},  {"warning", LOG_SEV_WARN}, {"notice", LOG_SEV_INFO},
    {"info", LOG_SEV_INFO},   {"debug", LOG_SEV_INFO}, {"note", LOG_SEV_INFO},    {"system", LOG_SEV_INFO},
};

/* Values of logfmt's level= in any case (log15 writes "eror" and "crit").
 * Not "err": it holds no gram of the prefilter. */
static const struct logformat_word logformat_values[] = {
    {"error", LOG_SEV_ERROR}, {"eror", LOG_SEV_ERROR},     {"fatal", LOG_SEV_ERROR}, {"panic", LOG_SEV_ERROR},
    {"crit", LOG_SEV_ERROR},  {"critical", LOG_SEV_ERROR}, {"alert", LOG_SEV_ERROR}, {"emerg", LOG_SEV_ERROR},
    {"warn", LOG_SEV_WARN},   {"warning", LOG_SEV_WARN},
};

static bool logformat_lookup(const struct logformat_word *t, size_t n, bool fold, const char *s, size_t len,
                             enum log_sev *sev)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].word) == len &&
		    (fold ? strncasecmp(s, t[i].word, len) : memcmp(s, t[i].word, len)) == 0) {
			*sev = (enum log_sev)t[i].sev;
			return true;
		}
	return false;
}

/* ---- start checks: the first bytes only ---- */

/* RFC 3164 and RFC 5424: "<PRI>", PRI = facility * 8 + severity (0..191);
 * severity 0..3 (emerg, alert, crit, err) is an error, 4 a warning. */
static bool logformat_syslog(const char *s, size_t len, enum log_sev *sev)
{
	if (len < 4 || s[0] != '<')
		return false;
	unsigned pri = 0;
	size_t i = 1;
	for (; i < len && i <= 3 && logformat_digit(s[i]); i++)
		pri = pri * 10 + (unsigned)(s[i] - '0');
	if (i == 1 || i >= len || s[i] != '>' || pri > 191)
		return false;
	unsigned level = pri & 7;
	*sev = level <= 3 ? LOG_SEV_ERROR : level == 4 ? LOG_SEV_WARN : LOG_SEV_INFO;
	return true;
}

static enum log_sev logformat_letter(char c)
{
	return c == 'E' || c == 'F' ? LOG_SEV_ERROR : c == 'W' ? LOG_SEV_WARN : LOG_SEV_INFO;
}

/* glog and klog (every Kubernetes component): "Lmmdd hh:mm:ss.uuuuuu ...",
 * L one of I, W, E, F. */
static bool logformat_glog(const char *s, size_t len, enum log_sev *sev)
{
	if (len < 14 || strchr("IWEF", s[0]) == NULL || s[0] == '\0')
		return false;
	for (int i = 1; i <= 4; i++)
		if (!logformat_digit(s[i]))
			return false;
	if (s[5] != ' ' || !logformat_digit(s[6]) || !logformat_digit(s[7]) || s[8] != ':' ||
	    !logformat_digit(s[9]) || !logformat_digit(s[10]) || s[11] != ':')
		return false;
	*sev = logformat_letter(s[0]);
	return true;
}

/* Ruby's Logger (Rails): "E, [2026-12-07T04:10:04.551203 #4412] ERROR -- : ...". */
static bool logformat_ruby(const char *s, size_t len, enum log_sev *sev)
{
	if (len < 5 || strchr("DIWEFA", s[0]) == NULL || s[0] == '\0' || memcmp(s + 1, ", [", 3) != 0)
		return false;
	*sev = logformat_letter(s[0]);
	return true;
}

/* Microsoft.Extensions.Logging's console: "fail: Name[0]", with trce, dbug,
 * info, warn, fail and crit. */
static bool logformat_dotnet(const char *s, size_t len, enum log_sev *sev)
{
	static const struct logformat_word w[] = {{"fail", LOG_SEV_ERROR}, {"crit", LOG_SEV_ERROR},
	                                          {"warn", LOG_SEV_WARN},  {"info", LOG_SEV_INFO},
	                                          {"dbug", LOG_SEV_INFO},  {"trce", LOG_SEV_INFO}};
	if (len < 6 || s[4] != ':' || s[5] != ' ')
		return false;
	return logformat_lookup(w, ARRAY_LEN(w), false, s, 4, sev);
}

/* A level word opening the line and followed by a colon: Python's logging
 * default ("ERROR:root:..."), java.util.logging's message line ("SEVERE: ..."). */
static bool logformat_leading(const char *s, size_t len, enum log_sev *sev)
{
	size_t n = 0;
	while (n < len && n < 10 && s[n] >= 'A' && s[n] <= 'Z')
		n++;
	if (n < 4 || n >= len || s[n] != ':')
		return false;
	if (n == 6 && memcmp(s, "SEVERE", 6) == 0) {
		*sev = LOG_SEV_ERROR;
		return true;
	}
	/* "ERROR: ..." alone is also what many tools print; only a Python logger
	 * name after the colon makes it this format. */
	if (n + 1 >= len || s[n + 1] == ' ')
		return false;
	return logformat_lookup(logformat_upper, ARRAY_LEN(logformat_upper), false, s, n, sev);
}

/* zerolog's console writer: a time ("4:10AM", or RFC 3339), then a
 * three-letter level and a space. */
static bool logformat_zerolog_at(const char *s, size_t len, const char *sp, enum log_sev *sev)
{
	static const struct logformat_word w[] = {
	    {"ERR", LOG_SEV_ERROR}, {"FTL", LOG_SEV_ERROR}, {"PNC", LOG_SEV_ERROR}, {"WRN", LOG_SEV_WARN},
	    {"INF", LOG_SEV_INFO},  {"DBG", LOG_SEV_INFO},  {"TRC", LOG_SEV_INFO}};
	if (sp == NULL || sp + 5 > s + len || sp[4] != ' ' || sp[1] < 'A' || sp[1] > 'Z')
		return false;
	return logformat_lookup(w, ARRAY_LEN(w), false, sp + 1, 3, sev);
}

/* The first space of a line, within the first 40 bytes: where a time ends. */
static const char *logformat_first_space(const char *s, size_t len)
{
	return memchr(s, ' ', len < 40 ? len : 40);
}

static bool logformat_zerolog(const char *s, size_t len, enum log_sev *sev)
{
	return logformat_zerolog_at(s, len, logformat_first_space(s, len), sev);
}

/* 5xx an error, 4xx a warning, the rest info: an HTTP status's class. */
static enum log_sev logformat_http_class(const char *t)
{
	return t[0] == '5' ? LOG_SEV_ERROR : t[0] == '4' ? LOG_SEV_WARN : LOG_SEV_INFO;
}

static enum log_sev logformat_max(enum log_sev a, enum log_sev b)
{
	return a > b ? a : b;
}

/* The token at p (after one space), up to the next space or end; NULL when
 * there is none. *te is set to its end. */
static const char *logformat_token(const char *p, const char *end, const char **te)
{
	if (p >= end || *p == ' ')
		return NULL;
	const char *e = memchr(p, ' ', (size_t)(end - p));
	*te = e != NULL ? e : end;
	return p;
}

/* Every byte of [t, te) is one of set (NUL-free), and there is one. */
static bool logformat_all(const char *t, const char *te, const char *set)
{
	if (t >= te)
		return false;
	for (; t < te; t++)
		if (*t == '\0' || strchr(set, *t) == NULL)
			return false;
	return true;
}

/* An HTTP status token: three digits, or "-" (none). */
static bool logformat_status_tok(const char *t, const char *te)
{
	return (te - t == 1 && *t == '-') ||
	       (te - t == 3 && logformat_digit(t[0]) && logformat_digit(t[1]) && logformat_digit(t[2]));
}

/* AWS Elastic Load Balancing access logs, in AWS's documented field order.
 * Classic: time elb client:port backend:port request_processing_time
 * backend_processing_time response_processing_time elb_status_code
 * backend_status_code received_bytes sent_bytes "request" ...; an
 * Application Load Balancer's line is the same after a leading type (http,
 * https, h2, grpcs, ws, wss). A 5xx from the balancer or from the target is
 * an error, a 4xx a warning. A start check: the statuses hold none of the
 * prefilter's grams. The time is RFC 3339 in UTC with microseconds, which
 * rejects most lines by three bytes. */
static bool logformat_elb(const char *s, size_t len, enum log_sev *sev)
{
	const char *end = s + len, *p = s, *te;
	if (!logformat_digit(s[0])) {
		const char *sp = memchr(s, ' ', len < 6 ? len : 6);
		static const char *const types[] = {"http", "https", "h2", "grpcs", "ws", "wss"};
		bool known = false;
		for (size_t i = 0; sp != NULL && i < ARRAY_LEN(types) && !known; i++)
			known = strlen(types[i]) == (size_t)(sp - s) &&
			        memcmp(s, types[i], (size_t)(sp - s)) == 0;
		if (!known)
			return false;
		p = sp + 1;
	}
	if (end - p < 28 || p[4] != '-' || p[10] != 'T' || p[26] != 'Z' || p[27] != ' ')
		return false;
	p += 28;
	const char *t;
	enum log_sev worst = LOG_SEV_INFO;
	/* elb name, client:port, target:port, three times, two statuses, two byte counts */
	for (int field = 0; field < 10; field++) {
		if ((t = logformat_token(p, end, &te)) == NULL)
			return false;
		if (field >= 3 && field <= 5 && !logformat_all(t, te, "0123456789.-"))
			return false;
		if (field >= 6 && field <= 7) {
			if (!logformat_status_tok(t, te))
				return false;
			if (*t != '-')
				worst = logformat_max(worst, logformat_http_class(t));
		}
		if (field >= 8 && !logformat_all(t, te, "0123456789-"))
			return false;
		if (te >= end)
			return false;
		p = te + 1;
	}
	if (p >= end || *p != '"')
		return false;
	*sev = worst;
	return true;
}

static bool logformat_month(const char *m)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (memcmp(m, months + 3 * i, 3) == 0)
			return true;
	return false;
}

/* HAProxy's HTTP log after its tag: client:port [accept date] frontend
 * backend/server TR/Tw/Tc/Tr/Ta status bytes ...; five timers make it the
 * HTTP format (the TCP one has three and no status). */
static bool logformat_haproxy_http(const char *p, const char *end, enum log_sev *sev)
{
	const char *t, *te;
	if ((t = logformat_token(p, end, &te)) == NULL || memchr(t, ':', (size_t)(te - t)) == NULL ||
	    te + 2 >= end || te[1] != '[')
		return false;
	const char *close = memchr(te + 1, ']', (size_t)(end - te - 1));
	if (close == NULL || close + 1 >= end || close[1] != ' ')
		return false;
	p = close + 2;
	for (int field = 0; field < 2; field++) { /* frontend, backend/server */
		if ((t = logformat_token(p, end, &te)) == NULL || te >= end)
			return false;
		if (field == 1 && memchr(t, '/', (size_t)(te - t)) == NULL)
			return false;
		p = te + 1;
	}
	if ((t = logformat_token(p, end, &te)) == NULL || te >= end || !logformat_all(t, te, "0123456789/-+"))
		return false;
	int slashes = 0;
	for (const char *q = t; q < te; q++)
		slashes += *q == '/';
	if (slashes != 4)
		return false;
	p = te + 1;
	if ((t = logformat_token(p, end, &te)) == NULL)
		return false;
	if (te - t == 2 && memcmp(t, "-1", 2) == 0) { /* no response at all */
		*sev = LOG_SEV_INFO;
		return true;
	}
	if (te - t != 3 || !logformat_status_tok(t, te) || *t == '-')
		return false;
	*sev = logformat_http_class(t);
	return true;
}

/* The message of a line a program named haproxy wrote through syslog,
 * after an RFC 3164 header ("Dec  7 04:10:04 lb1 haproxy[4412]: ", or an
 * RFC 3339 time instead of the BSD one) or an RFC 5424 one ("1 time host
 * haproxy 4412 - - "); NULL when it is not one. s is after any PRI. */
static const char *logformat_haproxy_tag(const char *p, const char *end, bool v5424);

static const char *logformat_haproxy_msg(const char *s, const char *end)
{
	const char *p = s;
	bool v5424 = false;
	if (end - s > 16 && s[0] == '1' && s[1] == ' ') {
		v5424 = true;
		p = s + 2;
	}
	if (end - p < 16)
		return NULL;
	if (!v5424 && p[3] == ' ' && p[6] == ' ' && p[9] == ':' && p[12] == ':' && p[15] == ' ' &&
	    logformat_month(p)) {
		p += 16;
	} else if (logformat_digit(p[0]) && p[4] == '-' && p[10] == 'T') {
		const char *sp = logformat_first_space(p, (size_t)(end - p));
		if (sp == NULL)
			return NULL;
		p = sp + 1;
	} else {
		return NULL;
	}
	return logformat_haproxy_tag(p, end, v5424);
}

/* From a syslog header's host on: "host haproxy[PID]: " or, RFC 5424,
 * "host haproxy PID - - "; the message after it, or NULL. */
static const char *logformat_haproxy_tag(const char *p, const char *end, bool v5424)
{
	const char *t, *te;
	/* a byte loop, not memchr: this runs on every line that opens with an
	 * RFC 3339 time, and a host name is short */
	const char *host = p;
	while (p < end && *p != ' ')
		p++;
	if (p == host || end - p < 10 || p[1] != 'h' || memcmp(p + 1, "haproxy", 7) != 0)
		return NULL;
	p += 8;
	if (v5424) { /* " PROCID MSGID SD " with no structured data */
		if (*p != ' ')
			return NULL;
		p++;
		for (int field = 0; field < 3; field++) {
			if ((t = logformat_token(p, end, &te)) == NULL || te >= end)
				return NULL;
			if (field == 2 && !(te - t == 1 && *t == '-'))
				return NULL;
			p = te + 1;
		}
		return p;
	}
	if (*p != '[')
		return NULL;
	p++;
	const char *d = p;
	while (p < end && logformat_digit(*p))
		p++;
	if (p == d || end - p < 3 || p[0] != ']' || p[1] != ':' || p[2] != ' ')
		return NULL;
	return p + 3;
}

/* An HAProxy HTTP log line without a PRI: its status class. */
static bool logformat_haproxy(const char *s, size_t len, enum log_sev *sev)
{
	const char *m = logformat_haproxy_msg(s, s + len);
	return m != NULL && logformat_haproxy_http(m, s + len, sev);
}

/* HAProxy's HTTP log lines in a syslog message with a PRI: the higher of the
 * status class and the PRI's severity (option log-separate-errors raises a
 * failed request's to err). */
static void logformat_syslog_haproxy(const char *s, size_t len, enum log_sev *sev)
{
	const char *gt = memchr(s, '>', len < 5 ? len : 5);
	enum log_sev st;
	if (gt != NULL && logformat_haproxy(gt + 1, len - (size_t)(gt + 1 - s), &st))
		*sev = logformat_max(*sev, st);
}

/* A line that opens with a digit (most do: a time): zerolog's console, ELB,
 * HAProxy after an RFC 3339 time. They share the first space, and ELB's
 * time ends with 'Z' at 26: most lines stop at that byte. */
static bool logformat_digit_start(const char *s, size_t len, enum log_sev *sev)
{
	const char *sp = logformat_first_space(s, len);
	if (sp == NULL)
		return false;
	if (logformat_zerolog_at(s, len, sp, sev))
		return true;
	if (len > 28 && s[26] == 'Z' && s[27] == ' ' && logformat_elb(s, len, sev))
		return true;
	const char *m;
	if (len < 24 || s[4] != '-' || s[10] != 'T' ||
	    (m = logformat_haproxy_tag(sp + 1, s + len, false)) == NULL)
		return false;
	return logformat_haproxy_http(m, s + len, sev);
}

bool logformat_start_sev(const char *s, size_t len, enum log_sev *sev)
{
	if (len == 0)
		return false;
	switch (s[0]) {
	case '<':
		if (!logformat_syslog(s, len, sev))
			return false;
		logformat_syslog_haproxy(s, len, sev);
		return true;
	case 'I':
	case 'W':
	case 'E':
	case 'F':
	case 'D':
	case 'A':
		return logformat_glog(s, len, sev) || logformat_ruby(s, len, sev) ||
		       logformat_leading(s, len, sev) || logformat_haproxy(s, len, sev);
	case 'f':
	case 'c':
	case 'i':
	case 'd':
	case 't': return logformat_dotnet(s, len, sev);
	case 'w': return logformat_dotnet(s, len, sev) || logformat_elb(s, len, sev);
	case 'h':
	case 'g': return logformat_elb(s, len, sev);
	default:
		if (s[0] >= '0' && s[0] <= '9')
			return logformat_digit_start(s, len, sev);
		if (s[0] >= 'A' && s[0] <= 'Z')
			return logformat_leading(s, len, sev) || logformat_haproxy(s, len, sev);
		return false;
	}
}

/* ---- scan checks: after the prefilter ---- */

/* Common and combined access logs (Apache, nginx): host ident user [time]
 * "request" status bytes ...; a 5xx is an error, a 4xx a warning. */
static bool logformat_access(const char *s, size_t len, enum log_sev *sev)
{
	const char *end = s + len;
	const char *p = s;
	for (int field = 0; field < 3; field++) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		if (sp == NULL || sp == p)
			return false;
		p = sp + 1;
	}
	if (p >= end || *p != '[')
		return false;
	const char *close = memchr(p, ']', (size_t)(end - p));
	if (close == NULL || close + 3 >= end || close[1] != ' ' || close[2] != '"')
		return false;
	const char *q = memchr(close + 3, '"', (size_t)(end - close - 3));
	if (q == NULL || q + 5 > end || q[1] != ' ' || !logformat_digit(q[2]) || !logformat_digit(q[3]) ||
	    !logformat_digit(q[4]) || (q + 5 < end && q[5] != ' '))
		return false;
	*sev = q[2] == '5' ? LOG_SEV_ERROR : q[2] == '4' ? LOG_SEV_WARN : LOG_SEV_INFO;
	return true;
}

/* logfmt (logrus, go-kit, log15, slog's text handler): a level= or lvl= key
 * at the start of a key=value pair. */
static bool logformat_logfmt(const char *s, size_t len, enum log_sev *sev)
{
	const char *end = s + len;
	for (const char *p = s; p < end; p++) {
		p = memchr(p, '=', (size_t)(end - p));
		if (p == NULL)
			return false;
		const char *k = p;
		while (k > s && k[-1] != ' ')
			k--;
		size_t klen = (size_t)(p - k);
		if (!((klen == 5 && memcmp(k, "level", 5) == 0) || (klen == 3 && memcmp(k, "lvl", 3) == 0)))
			continue;
		const char *v = p + 1;
		if (v < end && *v == '"')
			v++;
		const char *ve = v;
		while (ve < end && *ve != ' ' && *ve != '"')
			ve++;
		if (!logformat_lookup(logformat_values, ARRAY_LEN(logformat_values), true, v,
		                      (size_t)(ve - v), sev))
			*sev = LOG_SEV_INFO;
		return true;
	}
	return false;
}

/* A timestamp, then a level among the next few tokens: zap and zerolog
 * consoles, log4j/logback, PostgreSQL ("ERROR:  "), MySQL ("[ERROR]",
 * "[Warning]"), Monolog/Laravel ("[time] production.ERROR: "), nginx's error
 * log ("[error]"). Tokens are split at spaces and tabs; a level is an
 * upper-case word (with a trailing colon, or after the last dot of
 * "channel.LEVEL:") or a bracketed word in any case. */
static bool logformat_leveled(const char *s, size_t len, enum log_sev *sev)
{
	if (len < 2 || !(logformat_digit(s[0]) || (s[0] == '[' && logformat_digit(s[1]))))
		return false;
	const char *end = s + (len < 160 ? len : 160);
	const char *p = s;
	for (int tok = 0; tok < 7 && p < end; tok++) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *t = p;
		while (p < end && *p != ' ' && *p != '\t')
			p++;
		size_t n = (size_t)(p - t);
		if (tok == 0 || n < 3)
			continue;
		if (t[0] == '[' && t[n - 1] == ']') {
			if (logformat_lookup(logformat_bracketed, ARRAY_LEN(logformat_bracketed), true, t + 1,
			                     n - 2, sev) ||
			    (logformat_lookup(logformat_upper, ARRAY_LEN(logformat_upper), false, t + 1,
			                      n - 2, sev)))
				return true;
			continue;
		}
		if (t[n - 1] == ':')
			n--;
		const char *dot = memchr(t, '.', n);
		if (dot != NULL && t[0] != '[' && !logformat_digit(t[0])) {
			const char *last = t + n;
			while (last > t && last[-1] != '.')
				last--;
			n -= (size_t)(last - t);
			t = last;
		}
		if (logformat_lookup(logformat_upper, ARRAY_LEN(logformat_upper), false, t, n, sev))
			return true;
	}
	return false;
}

/* Lower-case levels right after a timestamp, outside brackets
 * ("2026-12-07 04:10:04 error ..."); not "err", which holds no gram of the
 * prefilter. */
static const struct logformat_word logformat_lower_words[] = {
    {"error", LOG_SEV_ERROR},    {"fatal", LOG_SEV_ERROR}, {"panic", LOG_SEV_ERROR}, {"crit", LOG_SEV_ERROR},
    {"critical", LOG_SEV_ERROR}, {"alert", LOG_SEV_ERROR}, {"emerg", LOG_SEV_ERROR}, {"warn", LOG_SEV_WARN},
    {"warning", LOG_SEV_WARN},   {"info", LOG_SEV_INFO},   {"notice", LOG_SEV_INFO}, {"debug", LOG_SEV_INFO},
    {"trace", LOG_SEV_INFO},
};

/* A timestamp at the start, then a lower-case level word (a colon may end
 * it): "2026-12-07 04:10:04 warn ...", "2026/12/07 04:10:04.551203 error:
 * ...", "2026-12-07T04:10:04Z info ...". The word right after the time is
 * the level; a later word is the message's. */
static bool logformat_lower(const char *s, size_t len, enum log_sev *sev)
{
	if (len < 12 || (s[4] != '-' && s[4] != '/') || s[7] != s[4])
		return false;
	const char *end = s + len, *p = s + 10;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !logformat_digit(s[i]))
			return false;
	if ((*p == 'T' || *p == ' ') && p + 1 < end && logformat_digit(p[1])) {
		for (p++; p < end && (logformat_digit(*p) || *p == ':' || *p == '.' || *p == ',' ||
		                      *p == '+' || *p == '-' || *p == 'Z');
		     p++)
			;
	}
	if (p >= end || *p != ' ')
		return false;
	const char *w = ++p;
	while (p < end && *p >= 'a' && *p <= 'z')
		p++;
	size_t n = (size_t)(p - w);
	if (n < 4 || (p < end && *p != ' ' && *p != ':' && *p != '\t'))
		return false;
	return logformat_lookup(logformat_lower_words, ARRAY_LEN(logformat_lower_words), false, w, n, sev);
}

bool logformat_scan_sev(const char *s, size_t len, enum log_sev *sev)
{
	return logformat_access(s, len, sev) || logformat_lower(s, len, sev) ||
	       logformat_leveled(s, len, sev) || logformat_logfmt(s, len, sev);
}

bool logformat_sev(enum log_format f, const char *s, size_t len, enum log_sev *sev)
{
	switch (f) {
	case LOG_FORMAT_AUTO: return logformat_start_sev(s, len, sev) || logformat_scan_sev(s, len, sev);
	case LOG_FORMAT_JSON: return logclass_json_level(s, len, sev);
	case LOG_FORMAT_SYSLOG: return logformat_syslog(s, len, sev);
	case LOG_FORMAT_ELB: return len > 0 && logformat_elb(s, len, sev);
	case LOG_FORMAT_HAPROXY:
		if (len > 0 && s[0] == '<') {
			if (!logformat_syslog(s, len, sev))
				return false;
			logformat_syslog_haproxy(s, len, sev);
			return true;
		}
		return logformat_haproxy(s, len, sev);
	case LOG_FORMAT_GLOG: return logformat_glog(s, len, sev);
	case LOG_FORMAT_RUBY: return logformat_ruby(s, len, sev);
	case LOG_FORMAT_DOTNET: return logformat_dotnet(s, len, sev);
	case LOG_FORMAT_ACCESS: return logformat_access(s, len, sev);
	case LOG_FORMAT_LOGFMT: return logformat_logfmt(s, len, sev);
	case LOG_FORMAT_LEVELED:
		return logformat_leading(s, len, sev) || logformat_zerolog(s, len, sev) ||
		       logformat_lower(s, len, sev) || logformat_leveled(s, len, sev);
	default: return false;
	}
}
