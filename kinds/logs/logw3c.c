/* logw3c: W3C extended log files (IIS, and CloudFront's tab-separated ones).
 *
 * Such a file says what its columns are in a "#Fields:" directive before
 * its records ("#Fields: date time s-ip cs-method ... sc-status ..."), and a
 * record's HTTP status is the column named sc-status: 5xx an error, 4xx a
 * warning. The status is a bare number among other bare numbers, so no line
 * alone says it is one: the reader keeps, per source, what the last
 * "#Fields:" named (struct logw3c, in the source's logevent), and a record
 * is read only when it has as many fields as that directive. Directive lines
 * ("#Version:", "#Date:", "#Remark:", ...) are info, whatever they say.
 *
 * Fields are separated by spaces or tabs; a field that opens with a double
 * quote runs to the closing one (the W3C draft's quoted strings, with ""
 * for a quote inside). */
#include <string.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/util.h"

/* The directives of the W3C draft and IIS's: "#Name: ...". */
static bool logw3c_directive(const char *s, size_t len, bool *fields)
{
	static const char *const names[] = {"Fields",     "Version",  "Software", "Date",
	                                    "Start-Date", "End-Date", "Remark"};
	*fields = false;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		size_t n = strlen(names[i]);
		if (len >= n + 2 && memcmp(s + 1, names[i], n) == 0 && s[n + 1] == ':') {
			*fields = i == 0;
			return true;
		}
	}
	return false;
}

/* The next field at *p (separators skipped); false at the end. */
static bool logw3c_field(const char **p, const char *end, const char **f, size_t *n)
{
	const char *q = *p;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= end)
		return false;
	const char *start = q;
	if (*q == '"') {
		for (q++; q < end; q++) {
			if (*q == '"' && q + 1 < end && q[1] == '"')
				q++;
			else if (*q == '"') {
				q++;
				break;
			}
		}
	}
	while (q < end && *q != ' ' && *q != '\t')
		q++;
	*f = start;
	*n = (size_t)(q - start);
	*p = q;
	return true;
}

static void logw3c_fields(struct logw3c *w, const char *s, size_t len)
{
	const char *p = s + 8, *end = s + len, *f;
	size_t n;
	unsigned col = 0;
	w->cols = 0;
	w->status = 0;
	while (logw3c_field(&p, end, &f, &n)) {
		if (col >= LOGW3C_MAX_COLS) { /* no file has so many: not this format */
			w->cols = 0;
			w->status = 0;
			return;
		}
		col++;
		if (n == 9 && memcmp(f, "sc-status", 9) == 0 && w->status == 0)
			w->status = (uint8_t)col;
	}
	w->cols = (uint8_t)col;
}

bool logw3c_sev(struct logw3c *w, const char *s, size_t len, enum log_sev *sev)
{
	if (len == 0)
		return false;
	if (s[0] == '#') {
		bool fields;
		if (!logw3c_directive(s, len, &fields))
			return false;
		if (fields)
			logw3c_fields(w, s, len);
		*sev = LOG_SEV_INFO;
		return true;
	}
	if (w->cols == 0)
		return false;
	const char *p = s, *end = s + len, *f, *status = NULL;
	size_t n, status_len = 0;
	unsigned col = 0;
	while (logw3c_field(&p, end, &f, &n)) {
		if (++col > w->cols)
			return false;
		if (col == w->status) {
			status = f;
			status_len = n;
		}
	}
	if (col != w->cols)
		return false; /* another shape: not a record of this directive */
	*sev = LOG_SEV_INFO;
	if (status != NULL && status_len == 3 && status[1] >= '0' && status[1] <= '9' && status[2] >= '0' &&
	    status[2] <= '9')
		*sev = status[0] == '5' ? LOG_SEV_ERROR : status[0] == '4' ? LOG_SEV_WARN : LOG_SEV_INFO;
	return true;
}

void logw3c_seed(struct logw3c *w, const char *head, size_t len)
{
	enum log_sev sev;
	if (len == 0 || head[0] != '#')
		return;
	for (const char *p = head, *end = head + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			break; /* a line cut by the buffer is not read */
		size_t n = (size_t)(nl - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && p[0] == '#')
			(void)logw3c_sev(w, p, n, &sev);
		p = nl + 1;
	}
}
