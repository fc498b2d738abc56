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
    [LOG_FORMAT_LEVELED] = "leveled",
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
static bool logformat_zerolog(const char *s, size_t len, enum log_sev *sev)
{
	static const struct logformat_word w[] = {
	    {"ERR", LOG_SEV_ERROR}, {"FTL", LOG_SEV_ERROR}, {"PNC", LOG_SEV_ERROR}, {"WRN", LOG_SEV_WARN},
	    {"INF", LOG_SEV_INFO},  {"DBG", LOG_SEV_INFO},  {"TRC", LOG_SEV_INFO}};
	const char *sp = memchr(s, ' ', len < 40 ? len : 40);
	if (sp == NULL || sp + 5 > s + len || sp[4] != ' ' || sp[1] < 'A' || sp[1] > 'Z')
		return false;
	return logformat_lookup(w, ARRAY_LEN(w), false, sp + 1, 3, sev);
}

bool logformat_start_sev(const char *s, size_t len, enum log_sev *sev)
{
	if (len == 0)
		return false;
	switch (s[0]) {
	case '<': return logformat_syslog(s, len, sev);
	case 'I':
	case 'W':
	case 'E':
	case 'F':
	case 'D':
	case 'A':
		return logformat_glog(s, len, sev) || logformat_ruby(s, len, sev) ||
		       logformat_leading(s, len, sev);
	case 'f':
	case 'c':
	case 'w':
	case 'i':
	case 'd':
	case 't': return logformat_dotnet(s, len, sev);
	default:
		if (s[0] >= '0' && s[0] <= '9')
			return logformat_zerolog(s, len, sev);
		if (s[0] >= 'A' && s[0] <= 'Z')
			return logformat_leading(s, len, sev);
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

bool logformat_scan_sev(const char *s, size_t len, enum log_sev *sev)
{
	return logformat_access(s, len, sev) || logformat_leveled(s, len, sev) ||
	       logformat_logfmt(s, len, sev);
}

bool logformat_sev(enum log_format f, const char *s, size_t len, enum log_sev *sev)
{
	switch (f) {
	case LOG_FORMAT_AUTO: return logformat_start_sev(s, len, sev) || logformat_scan_sev(s, len, sev);
	case LOG_FORMAT_JSON: return logclass_json_level(s, len, sev);
	case LOG_FORMAT_SYSLOG: return logformat_syslog(s, len, sev);
	case LOG_FORMAT_GLOG: return logformat_glog(s, len, sev);
	case LOG_FORMAT_RUBY: return logformat_ruby(s, len, sev);
	case LOG_FORMAT_DOTNET: return logformat_dotnet(s, len, sev);
	case LOG_FORMAT_ACCESS: return logformat_access(s, len, sev);
	case LOG_FORMAT_LOGFMT: return logformat_logfmt(s, len, sev);
	case LOG_FORMAT_LEVELED:
		return logformat_leading(s, len, sev) || logformat_zerolog(s, len, sev) ||
		       logformat_leveled(s, len, sev);
	default: return false;
	}
}
