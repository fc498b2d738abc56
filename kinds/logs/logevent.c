/* logevent: a multi-line event assembled from the lines of one source.
 *
 * A stack trace is one thing that went wrong, written on many lines: a Java
 * exception with its frames, "Caused by:" sections and "... N more"; a Go
 * panic with its goroutine dump; a Python traceback; Ruby's "from" lines;
 * Node's "at" lines; a .NET exception with its inner ones. Counted line by
 * line it would be many errors, or none, under a name that says nothing.
 *
 * An event is a head line and the continuation lines after it. Which lines
 * continue an event is decided here from the lines alone, so the follow
 * path (logstore) and the backlog scan (logscan) cut a file into the same
 * events:
 * - any indented line and "Caused by:" continue whatever event is open;
 * - a head that is a warning or an error also takes an exception line or a
 *   Python "Traceback" right after it (a logger's record with its trace);
 * - a Python traceback takes its exception line after the frames and the
 *   chain lines between chained tracebacks; a Go panic its blank lines,
 *   goroutine headers and function lines; Node's "file:line" head its caret
 *   block and the error line under it.
 * Everything else is a head, and closes the event before it. A line that can
 * continue no event in any state (logevent_may_continue false) is where a
 * scan may cut a file into chunks.
 *
 * The event's severity is its head's when the head's format or its source
 * gave one ("INFO retrying" with a trace stays info); otherwise an event with
 * a trace is an error. It is named by the line that says what went wrong:
 * Python's final exception line, else the first exception line (Java, Node,
 * .NET, Ruby), else the head; the last "Caused by:" (or .NET's inner "--->")
 * is its root cause. It is grouped by its name and its top frame, with the
 * volatile parts masked as for any line.
 *
 * The text kept is bounded: LOGEVENT_MAX_LINES lines and LOGEVENT_MAX_BYTES
 * bytes. An event that reaches a bound is closed there; the continuation
 * lines after it are absorbed (stamped with its time, counted as lines, not
 * as another event) until a head comes. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/kinds/logs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

enum { LOGEVENT_GENERIC, LOGEVENT_PY, LOGEVENT_GO, LOGEVENT_NODE };

static bool logevent_blank(const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r')
			return false;
	return true;
}

/* An indented line, but for a whole JSON object: that is a record of its own. */
static bool logevent_indented(const char *l, size_t n)
{
	if (n == 0 || (l[0] != ' ' && l[0] != '\t') || logevent_blank(l, n))
		return false;
	size_t i = 0;
	while (l[i] == ' ' || l[i] == '\t')
		i++;
	while (n > i && (l[n - 1] == ' ' || l[n - 1] == '\t'))
		n--;
	return !(l[i] == '{' && l[n - 1] == '}');
}

/* l starts with the literal p (the first byte is compared inline: most
 * lines differ there). */
#define logevent_prefix(l, n, p)                                                                             \
	((n) >= sizeof(p) - 1 && (l)[0] == (p)[0] && memcmp((l), (p), sizeof(p) - 1) == 0)

static bool logevent_ident_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '$' || c == '.';
}

static bool logevent_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '$';
}

/* Leading blanks skipped. */
static const char *logevent_trim(const char *l, size_t n, size_t *out)
{
	size_t i = 0;
	while (i < n && (l[i] == ' ' || l[i] == '\t'))
		i++;
	*out = n - i;
	return l + i;
}

/* "Name" or "Name: message", the shape of Python's last traceback line. */
static bool logevent_py_final(const char *l, size_t n)
{
	if (n == 0 || !logevent_ident_start(l[0]))
		return false;
	size_t i = 0;
	while (i < n && logevent_ident_char(l[i]) && l[i] != '$')
		i++;
	return i == n || l[i] == ':';
}

static bool logevent_suffix(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* An exception line of the JVM, Node, .NET or Ruby: "java.lang.X: msg",
 * "Exception in thread "main" x.Y", "TypeError: msg", "Unhandled exception.
 * System.X: msg", "RuntimeError (boom):", "app.rb:3:in `f': msg (ZeroDivisionError)".
 * Leading blanks and a ".NET ---> " are skipped. */
static bool logevent_ruby_uncaught(const char *l, size_t n);

static bool logevent_exception(const char *l, size_t n)
{
	l = logevent_trim(l, n, &n);
	static const char *const skip[] = {"---> ", "Unhandled exception. ", "Uncaught ",
	                                   "Exception in thread \""};
	for (size_t k = 0; n > 0 && k < ARRAY_LEN(skip); k++) {
		size_t s = strlen(skip[k]);
		if (n < s || l[0] != skip[k][0] || memcmp(l, skip[k], s) != 0)
			continue;
		l += s;
		n -= s;
		if (k == 3) {
			const char *q = memchr(l, '"', n);
			if (q == NULL || (size_t)(q - l) + 2 > n)
				return false;
			n -= (size_t)(q - l) + 2;
			l = q + 2;
		}
		break;
	}
	if (n > 0 && logevent_ident_start(l[0])) {
		size_t i = 0;
		while (i < n && logevent_ident_char(l[i]))
			i++;
		if (i == n || l[i] == ':' || (i + 1 < n && l[i] == ' ' && l[i + 1] == '(')) {
			/* the last component names an exception */
			size_t b = i;
			while (b > 0 && l[b - 1] != '.')
				b--;
			const char *last = l + b;
			size_t ln = i - b;
			if (logevent_suffix(last, ln, "Exception") || logevent_suffix(last, ln, "Error") ||
			    logevent_suffix(last, ln, "Throwable"))
				return true;
		}
	}
	return logevent_ruby_uncaught(l, n);
}

/* The line opens with a qualified class name ("java.io.FileNotFoundException:",
 * "System.InvalidOperationException:"), as a JVM's or .NET's exception line
 * does; JavaScript's built-in errors ("TypeError: ...") have none. */
static bool logevent_qualified(const char *l, size_t n)
{
	l = logevent_trim(l, n, &n);
	for (size_t i = 0; i < n && logevent_ident_char(l[i]); i++)
		if (l[i] == '.')
			return true;
	return false;
}

/* Ruby's report of an uncaught exception: "FILE:LINE:in `METHOD': MESSAGE (Class::Name)". */
static bool logevent_ruby_uncaught(const char *l, size_t n)
{
	if (n > 2 && l[n - 1] == ')' &&
	    (memmem(l, n, ":in `", 5) != NULL || memmem(l, n, ":in '", 5) != NULL)) {
		const char *open = NULL;
		for (size_t i = n - 1; i-- > 0;)
			if (l[i] == '(') {
				open = l + i;
				break;
			}
		if (open == NULL || open[1] < 'A' || open[1] > 'Z')
			return false;
		for (const char *c = open + 1; c < l + n - 1; c++)
			if (!logevent_ident_char(*c) && *c != ':')
				return false;
		return true;
	}
	return false;
}

/* A Go function line of a goroutine dump: "main.main()", "main.(*T).m(...)". */
static bool logevent_go_func(const char *l, size_t n)
{
	if (n < 3 || !logevent_ident_start(l[0]) || l[n - 1] != ')')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (l[i] == ' ' || l[i] == '\t')
			return false;
		if (l[i] == '(' && i > 0 && l[i - 1] != '.')
			return true;
	}
	return false;
}

/* Node's first line of an uncaught error: "/app/server.js:10", "file:///app/x.mjs:3". */
static bool logevent_node_head(const char *l, size_t n)
{
	size_t i = n;
	while (i > 0 && l[i - 1] >= '0' && l[i - 1] <= '9')
		i--;
	if (i == n || i < 4 || l[i - 1] != ':')
		return false;
	const char *exts[] = {".js", ".mjs", ".cjs", ".ts"};
	for (size_t k = 0; k < ARRAY_LEN(exts); k++)
		if (logevent_suffix(l, i - 1, exts[k]))
			return l[0] == '/' || logevent_prefix(l, n, "file://") ||
			       logevent_prefix(l, n, "node:") || (n > 3 && l[1] == ':' && l[2] == '\\');
	return false;
}

/* Ruby's frame: "/app/models/order.rb:12:in `total'" (or 'total' since 3.4). */
static bool logevent_ruby_frame(const char *l, size_t n)
{
	if (n < 8 || l[0] == ' ' || l[0] == '\t' || l[n - 1] != '\'')
		return false;
	const char *in = memmem(l, n, ":in ", 4);
	if (in == NULL || (in[4] != '`' && in[4] != '\'') || in == l)
		return false;
	const char *d = in;
	while (d > l && d[-1] >= '0' && d[-1] <= '9')
		d--;
	return d < in && d > l && d[-1] == ':' && memchr(l, ' ', (size_t)(d - l)) == NULL;
}

static const char logevent_tb[] = "Traceback (most recent call last):";
static const char logevent_chain1[] = "During handling of the above exception, another exception occurred:";
static const char logevent_chain2[] = "The above exception was the direct cause of the following exception:";

bool logevent_may_continue(const char *l, size_t n)
{
	if (n == 0 || l[0] == ' ' || l[0] == '\t' || logevent_blank(l, n))
		return true;
	if (l[0] >= '0' && l[0] <= '9')
		return false; /* a timestamp: every continuation starts otherwise */
	return logevent_prefix(l, n, "Caused by: ") || logevent_exception(l, n) || logevent_py_final(l, n) ||
	       logevent_prefix(l, n, logevent_tb) || logevent_prefix(l, n, logevent_chain1) ||
	       logevent_prefix(l, n, logevent_chain2) || logevent_prefix(l, n, "goroutine ") ||
	       logevent_prefix(l, n, "[signal ") || logevent_prefix(l, n, "created by ") ||
	       logevent_prefix(l, n, "exit status ") || logevent_go_func(l, n) ||
	       logevent_prefix(l, n, "Node.js v") || logevent_ruby_frame(l, n) ||
	       logevent_prefix(l, n, "File name: '");
}

void logevent_init(struct logevent *ev, int format)
{
	memset(ev, 0, sizeof(*ev));
	ev->format = format;
}

void logevent_free(struct logevent *ev)
{
	free(ev->text);
	ev->text = NULL;
	ev->cap = ev->len = 0;
}

/* Appends a line to the kept text; false when a bound is reached. */
static bool logevent_append(struct logevent *ev, const char *l, size_t n, size_t *off)
{
	if (ev->lines >= LOGEVENT_MAX_LINES || ev->len + n + 1 > LOGEVENT_MAX_BYTES)
		return false;
	size_t need = ev->len + n + 2;
	if (need > ev->cap) {
		ev->cap = need * 2 > LOGEVENT_MAX_BYTES + 2 ? LOGEVENT_MAX_BYTES + 2 : need * 2;
		if (ev->cap < need)
			ev->cap = need;
		ev->text = xrealloc(ev->text, ev->cap);
	}
	if (ev->len > 0)
		ev->text[ev->len++] = '\n';
	*off = ev->last_off = ev->len;
	memcpy(ev->text + ev->len, l, n);
	ev->len += n;
	ev->text[ev->len] = '\0';
	ev->lines++;
	return true;
}

void logevent_own(struct logevent *ev)
{
	if (!ev->open || ev->head_owned)
		return;
	size_t n = ev->head_len < LOGEVENT_MAX_BYTES ? ev->head_len : LOGEVENT_MAX_BYTES - 1;
	ev->len = 0;
	ev->lines = 0;
	size_t off;
	logevent_append(ev, ev->head_ptr, n, &off);
	if (ev->has_name && ev->name_off == 0 && ev->name_len > n)
		ev->name_len = n;
	ev->head_len = n;
	ev->head_owned = true;
	ev->head_ptr = NULL;
}

void logevent_begin(struct logevent *ev, const char *l, size_t n, int sev, bool given, bool copy)
{
	/* Every line is a head but continuation lines: only what a head can
	 * leave behind is reset, not the whole state. */
	ev->overflow = ev->given = ev->head_owned = ev->trace = ev->truncated = false;
	ev->py_frames = ev->py_final = ev->py_chain = false;
	ev->has_name = ev->has_cause = ev->has_frame = false;
	ev->mode = LOGEVENT_GENERIC;
	ev->len = 0;
	ev->name_off = ev->name_len = 0;
	ev->time_ms = 0; /* the caller's to set, or to parse from the head */
	ev->open = true;
	ev->head_sev = (uint8_t)sev;
	ev->given = given;
	ev->head_ptr = l;
	ev->head_len = n;
	ev->lines = 1;
	if (n == 0 || (l[0] >= '0' && l[0] <= '9')) {
		/* a timestamp first: a logger's record, no trace's first line */
	} else if (logevent_prefix(l, n, logevent_tb)) {
		ev->mode = LOGEVENT_PY;
	} else if (logevent_prefix(l, n, "panic: ") || logevent_prefix(l, n, "fatal error: ")) {
		ev->mode = LOGEVENT_GO;
		ev->trace = true;
	} else if (logevent_node_head(l, n)) {
		ev->mode = LOGEVENT_NODE;
	} else if (logevent_exception(l, n)) {
		ev->trace = true;
		ev->has_name = true; /* the head, at offset 0 */
		ev->name_len = n;
	}
	if (copy)
		logevent_own(ev);
}

/* Records line (at off in the text, n bytes) as the first exception line. */
static void logevent_name_first(struct logevent *ev, size_t off, size_t n)
{
	if (ev->has_name)
		return;
	ev->has_name = true;
	ev->name_off = off;
	ev->name_len = n;
	ev->trace = true;
}

const char *logevent_head(const struct logevent *ev, size_t *len)
{
	if (!ev->head_owned) {
		*len = ev->head_len;
		return ev->head_ptr;
	}
	*len = ev->lines > 1 ? strcspn(ev->text, "\n") : ev->len;
	return ev->text;
}

/* The head has a level of its own format (not the keywords'). */
static bool logevent_head_leveled(const struct logevent *ev)
{
	if (ev->given)
		return true;
	size_t hl;
	const char *h = logevent_head(ev, &hl);
	enum log_sev s;
	return logformat_sev((enum log_format)ev->format, h, hl, &s) ||
	       (ev->format == LOG_FORMAT_AUTO && logclass_json_level(h, hl, &s));
}

/* Whether l continues the open event (see the head); updates the mode's
 * state when it does. */
static bool logevent_continues(struct logevent *ev, const char *l, size_t n)
{
	if (n > 0 && l[0] >= '0' && l[0] <= '9')
		return false; /* as in logevent_may_continue */
	bool ind = logevent_indented(l, n), blank = !ind && logevent_blank(l, n);
	switch (ev->mode) {
	case LOGEVENT_PY:
		if (ind)
			return true;
		if (blank)
			return ev->py_final || ev->py_chain;
		if (!ev->py_final && ev->py_frames && logevent_py_final(l, n))
			return true;
		if (ev->py_final &&
		    (logevent_prefix(l, n, logevent_chain1) || logevent_prefix(l, n, logevent_chain2)))
			return true;
		if (ev->py_chain && logevent_prefix(l, n, logevent_tb))
			return true;
		return false;
	case LOGEVENT_GO:
		return ind || blank || logevent_prefix(l, n, "goroutine ") ||
		       logevent_prefix(l, n, "[signal ") || logevent_prefix(l, n, "created by ") ||
		       logevent_prefix(l, n, "exit status ") || logevent_go_func(l, n);
	case LOGEVENT_NODE:
		if (ind || blank || logevent_prefix(l, n, "Node.js v"))
			return true;
		return !ev->has_name && logevent_exception(l, n);
	default:
		if (ind || logevent_prefix(l, n, "Caused by: "))
			return true;
		/* .NET's FileNotFoundException.ToString writes this unindented */
		if (ev->trace && logevent_prefix(l, n, "File name: '"))
			return true;
		/* Ruby's Logger writes an exception's backtrace unindented */
		if (logevent_ruby_frame(l, n) &&
		    (ev->trace || (ev->head_sev >= LOG_SEV_WARN && logevent_head_leveled(ev))))
			return true;
		/* A logger's record with its exception: a JVM/.NET exception line
		 * after a record that has a level of its own (not one a word
		 * gave), named by its qualified class (a bare "TypeError:" after
		 * a Node logger's "info:" record is Node's own report of an
		 * uncaught error); an uncaught one ("Exception in thread",
		 * "Unhandled exception.", Ruby's report) is always an event of
		 * its own. */
		if (!ev->has_name && logevent_exception(l, n) && logevent_qualified(l, n) &&
		    !logevent_prefix(l, n, "Exception in thread ") &&
		    !logevent_prefix(l, n, "Unhandled exception. ") && !logevent_ruby_uncaught(l, n) &&
		    logevent_head_leveled(ev))
			return true;
		/* Python's logging.exception: an error record (its own level),
		 * then the traceback. An uncaught traceback after an info line
		 * is its own event. */
		return ev->lines == 1 && ev->head_sev >= LOG_SEV_WARN && logevent_prefix(l, n, logevent_tb) &&
		       logevent_head_leveled(ev);
	}
}

/* Takes a continuation line into the event's state and text. */
static void logevent_take(struct logevent *ev, const char *l, size_t n, size_t off)
{
	size_t tn;
	const char *t = logevent_trim(l, n, &tn);
	size_t toff = off + (size_t)(t - l);
	if (ev->mode == LOGEVENT_PY) {
		if (logevent_prefix(l, n, logevent_tb)) {
			ev->py_frames = ev->py_final = ev->py_chain = false;
		} else if (logevent_prefix(l, n, logevent_chain1) || logevent_prefix(l, n, logevent_chain2)) {
			ev->py_chain = true;
			ev->py_final = false;
		} else if (logevent_prefix(t, tn, "File \"")) {
			ev->py_frames = true;
			ev->frame_off = toff; /* the innermost frame is the last */
			ev->frame_len = tn;
			ev->has_frame = true;
		} else if (t == l && !ev->py_final && ev->py_frames && logevent_py_final(l, n)) {
			ev->py_final = true;
			ev->trace = true;
			ev->has_name = true; /* the last one names a chain */
			ev->name_off = off;
			ev->name_len = n;
		}
		return;
	}
	if (ev->mode == LOGEVENT_GO) {
		if (!ev->has_frame && t == l && logevent_go_func(l, n)) {
			ev->has_frame = true;
			ev->frame_off = off;
			ev->frame_len = n;
		}
		return;
	}
	if (logevent_prefix(t, tn, "Caused by: ")) {
		ev->has_cause = true;
		ev->cause_off = toff + 11;
		ev->cause_len = tn - 11;
		return;
	}
	if (logevent_prefix(t, tn, "---> ")) {
		ev->has_cause = true;
		ev->cause_off = toff + 5;
		ev->cause_len = tn - 5;
		return;
	}
	if (ev->lines == 2 && ev->mode == LOGEVENT_GENERIC && logevent_prefix(l, n, logevent_tb)) {
		ev->mode = LOGEVENT_PY;
		return;
	}
	if (!ev->has_name && logevent_exception(t, tn)) {
		logevent_name_first(ev, toff, tn);
		return;
	}
	if (!ev->has_frame &&
	    (logevent_prefix(t, tn, "at ") || logevent_prefix(t, tn, "from ") || logevent_ruby_frame(l, n))) {
		ev->has_frame = true;
		ev->frame_off = toff;
		ev->frame_len = tn;
	}
}

enum logevent_step logevent_feed(struct logevent *ev, const char *l, size_t n)
{
	return logevent_feed_as(ev, l, n, false);
}

enum logevent_step logevent_feed_as(struct logevent *ev, const char *l, size_t n, bool part)
{
	if (!ev->open && !ev->overflow)
		return LOGEVENT_HEAD;
	if (!part && !logevent_continues(ev, l, n))
		return LOGEVENT_HEAD;
	if (ev->overflow)
		return LOGEVENT_ABSORBED;
	logevent_own(ev);
	size_t off;
	if (!logevent_append(ev, l, n, &off)) {
		ev->truncated = true;
		return LOGEVENT_FULL;
	}
	logevent_take(ev, l, n, off);
	return LOGEVENT_TAKEN;
}

/* "Exception in thread "main" x.Y: m" groups as "x.Y: m": threads vary. */
static const char *logevent_fp_name(const char *l, size_t *n)
{
	static const char p[] = "Exception in thread \"";
	if (logevent_prefix(l, *n, p)) {
		const char *q = memchr(l + strlen(p), '"', *n - strlen(p));
		if (q != NULL && (size_t)(q - l) + 2 <= *n) {
			*n -= (size_t)(q - l) + 2;
			return q + 2;
		}
	}
	return l;
}

bool logevent_close(struct logevent *ev, struct logevent_out *o, bool absorb)
{
	if (!ev->open)
		return false;
	memset(o, 0, sizeof(*o));
	size_t head_len;
	const char *head = logevent_head(ev, &head_len);
	o->lines = ev->lines;
	o->multi = ev->lines > 1;
	o->truncated = ev->truncated;
	o->sev = ev->head_sev;
	o->head_leveled = o->multi && logevent_head_leveled(ev);
	if (o->multi && ev->trace && !o->head_leveled)
		o->sev = LOG_SEV_ERROR;
	if (o->multi && ev->has_name && ev->name_off > 0) {
		o->name = ev->text + ev->name_off;
		o->name_len = ev->name_len;
		o->name_not_head = true;
	} else {
		o->name = head;
		o->name_len = head_len;
	}
	/* A one-line event keeps the line's own fingerprint. */
	if (o->multi && ev->trace) {
		char buf[FINGERPRINT_INPUT_MAX];
		size_t nn = o->name_len;
		const char *nm = logevent_fp_name(o->name, &nn);
		size_t k = nn < sizeof(buf) / 2 ? nn : sizeof(buf) / 2;
		memcpy(buf, nm, k);
		if (ev->has_frame) {
			size_t fk = ev->frame_len < sizeof(buf) - k - 3 ? ev->frame_len : sizeof(buf) - k - 3;
			memcpy(buf + k, " | ", 3);
			memcpy(buf + k + 3, ev->text + ev->frame_off, fk);
			k += 3 + fk;
		}
		o->hash = fingerprint_mask(buf, k, o->fp, sizeof(o->fp), &o->fp_len);
	} else {
		o->hash = fingerprint_mask(head, head_len, o->fp, sizeof(o->fp), &o->fp_len);
	}
	if (o->multi) {
		o->text = ev->text;
		o->text_len = ev->len;
	}
	if (ev->has_cause) {
		o->cause = ev->text + ev->cause_off;
		o->cause_len = ev->cause_len;
	}
	ev->open = false;
	ev->overflow = absorb;
	return true;
}

void logevent_discard(struct logevent *ev, bool absorb)
{
	ev->overflow = absorb && ev->open;
	ev->open = false;
}

bool logevent_named_last(const struct logevent *ev)
{
	return ev->has_name && ev->lines > 1 && ev->name_off == ev->last_off;
}

char *logevent_text(const char *raw, size_t len, size_t max_line_bytes, size_t max_bytes)
{
	size_t cap = 256, n = 0;
	char *out = xmalloc(cap);
	const char *p = raw, *end = raw + len;
	while (p <= end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl != NULL ? nl : end;
		bool cut;
		char *t = logstore_text(max_line_bytes, p, (size_t)(le - p), false, &cut);
		size_t tl = strlen(t);
		if (n + tl + 2 > max_bytes && n > 0) {
			free(t);
			const char *mark = "\n" SANITIZE_CUT_MARK;
			size_t ml = strlen(mark);
			if (n + ml + 1 > cap) {
				cap = n + ml + 1;
				out = xrealloc(out, cap);
			}
			memcpy(out + n, mark, ml);
			n += ml;
			break;
		}
		if (n + tl + 2 > cap) {
			cap = (n + tl + 2) * 2;
			out = xrealloc(out, cap);
		}
		if (n > 0)
			out[n++] = '\n';
		memcpy(out + n, t, tl);
		n += tl;
		free(t);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	out[n] = '\0';
	return out;
}
