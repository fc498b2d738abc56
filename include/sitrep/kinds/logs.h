/* logs: the data model of a logs pane and the pieces that build it.
 *
 * A line read by an input (a followed file, journalctl, a command, Loki) is
 * classified (logclass: PCRE2 patterns, or the level field of a JSON line),
 * fingerprinted (fingerprint: volatile parts masked, then hashed) and added to
 * a logstore: a ring of the most recent lines plus a bounded table of
 * fingerprint groups whose counts stay exact when lines are evicted.
 *
 * The logs source publishes its logstore in place as the pane's snapshot data;
 * the store is reference counted so the snapshot and the source can be freed in
 * either order. */
#ifndef SITREP_LOGS_H
#define SITREP_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

enum log_sev { LOG_SEV_INFO, LOG_SEV_WARN, LOG_SEV_ERROR };

/* "info", "warn", "error". */
const char *log_sev_name(enum log_sev sev);

/* ---- logclass: severity of a line (kinds/logs/logclass.c) ---- */

struct logclass;

/* The default patterns, case-insensitive PCRE2. */
extern const char logclass_default_error[];
extern const char logclass_default_warn[];

/* Compiles (and JIT-compiles) the patterns; each list NULL or empty means the
 * default. Patterns are matched caseless on raw bytes. Returns NULL with a
 * message in err ("pattern 2: missing ) at offset 5") when one does not compile.
 * Free with logclass_free. */
struct logclass *logclass_new(const char *const *error_patterns, size_t nerror,
                              const char *const *warn_patterns, size_t nwarn, char *err, size_t errcap);
void logclass_free(struct logclass *lc);
/* Severity of one line (no newline): the level its format gives it (a JSON
 * level field, a syslog PRI, ...: logformat), else the patterns. */
enum log_sev logclass_classify(struct logclass *lc, const char *line, size_t len);
/* When line is a JSON object with a "level", "lvl" or "severity" member, stores
 * its severity and returns true. Strings (error, warning, ...) and numbers
 * (syslog 0..7, bunyan/pino 10..60) are understood. */
bool logclass_json_level(const char *line, size_t len, enum log_sev *sev);
/* Per-thread match state: logclass_classify_r may run on several threads at
 * once with one logclass, each thread with its own logclass_match (the
 * patterns are shared read-only). Free with logclass_match_free. */
struct logclass_match;
struct logclass_match *logclass_match_new(const struct logclass *lc);
void logclass_match_free(struct logclass_match *m);
enum log_sev logclass_classify_r(const struct logclass *lc, struct logclass_match *m, const char *line,
                                 size_t len);

/* ---- logformat: the severity a line's own format gives (kinds/logs/logformat.c) ---- */

/* The "format" key of a log input: auto detects per line; keywords uses the
 * patterns only; the others read that format's level and fall back to the
 * patterns for lines not in it. */
enum log_format {
	LOG_FORMAT_AUTO,
	LOG_FORMAT_KEYWORDS,
	LOG_FORMAT_JSON,    /* level/lvl/severity/@l/log.level/PRIORITY/SeverityText/SeverityNumber */
	LOG_FORMAT_SYSLOG,  /* RFC 3164/5424 <PRI> */
	LOG_FORMAT_GLOG,    /* glog/klog Lmmdd hh:mm:ss */
	LOG_FORMAT_RUBY,    /* Ruby Logger / Rails "E, [" */
	LOG_FORMAT_DOTNET,  /* "fail: " .NET console */
	LOG_FORMAT_ACCESS,  /* common/combined access log status */
	LOG_FORMAT_LOGFMT,  /* level= / lvl= */
	LOG_FORMAT_LEVELED, /* a LEVEL token after a timestamp, or "LEVEL:name:" */
	LOG_FORMAT_ELB,     /* AWS ELB/ALB access log status codes */
	LOG_FORMAT_HAPROXY, /* HAProxy's HTTP log status (and a PRI) */
	LOG_FORMAT_W3C,     /* W3C extended / IIS: sc-status of the #Fields: directive */
	LOG_FORMAT_COUNT
};
const char *logformat_name(enum log_format f);
/* The format of that name, or -1. */
int logformat_by_name(const char *name);
/* True with *sev when the line is in format f (auto: any) and that gives it a
 * severity. */
bool logformat_sev(enum log_format f, const char *line, size_t len, enum log_sev *sev);
/* The two halves of auto (see logformat.c): the checks on the first bytes, and
 * those that walk the line, run only after the literal prefilter. */
bool logformat_start_sev(const char *line, size_t len, enum log_sev *sev);
bool logformat_scan_sev(const char *line, size_t len, enum log_sev *sev);
/* logclass_classify_r for lines known to be in format f; _format is the
 * single-threaded logclass_classify's. */
enum log_sev logclass_classify_format(struct logclass *lc, enum log_format f, const char *line, size_t len);
enum log_sev logclass_classify_as(const struct logclass *lc, struct logclass_match *m, enum log_format f,
                                  const char *line, size_t len);

/* ---- fingerprint: masked message and its hash (kinds/logs/fingerprint.c) ---- */

/* At most this many bytes of a line take part in its fingerprint. */
#define FINGERPRINT_INPUT_MAX 1024

/* Writes line with volatile parts masked into out (NUL-terminated, cut to
 * cap - 1 bytes) and returns a 64-bit hash of the whole masked text. Masks:
 * timestamps <ts>, UUIDs <uuid>, IPs <ip>, hex ids <hex>, numbers <n>, quoted
 * strings "<str>", path segments holding ids <id>. *outlen gets the length. */
uint64_t fingerprint_mask(const char *line, size_t len, char *out, size_t cap, size_t *outlen);

/* ---- logw3c: W3C extended logs (IIS) by their #Fields: directive (kinds/logs/logw3c.c) ---- */

/* What a source's last "#Fields:" directive said; zeroed: none seen. */
#define LOGW3C_MAX_COLS 255
struct logw3c {
	uint8_t cols;   /* fields it named; 0: no directive yet (records are not read) */
	uint8_t status; /* sc-status's place among them, from 1; 0: not named */
};
/* A directive line ("#Fields: ...", "#Version: ...", ...) is info and a
 * "#Fields:" one updates w; a record with as many fields as w names gets its
 * sc-status's class (5xx error, 4xx warn). False: neither. */
bool logw3c_sev(struct logw3c *w, const char *line, size_t len, enum log_sev *sev);
/* The directives among the complete lines of a file's head (where IIS
 * writes them), for a reader that starts past them: a scan's later chunk, a
 * file followed from its end. Nothing when the head opens with no '#'. */
#define LOGW3C_HEAD 16384
void logw3c_seed(struct logw3c *w, const char *head, size_t len);
/* logclass_classify_as, a source's W3C state first (auto and w3c formats);
 * w may be NULL. _in is the single-threaded logclass_classify's. */
enum log_sev logclass_classify_in_r(const struct logclass *lc, struct logclass_match *m, enum log_format f,
                                    struct logw3c *w, const char *line, size_t len);
enum log_sev logclass_classify_in(struct logclass *lc, enum log_format f, struct logw3c *w, const char *line,
                                  size_t len);

/* ---- logtime: a timestamp at the start of a line (kinds/logs/logtime.c) ---- */

/* Wall-clock milliseconds of a timestamp near the start of line (ISO 8601 /
 * RFC 3339, nginx "2024/05/01 10:00:00", syslog "May  1 10:00:00", access log
 * "[01/May/2024:10:00:00 +0000]"), or 0 when there is none. Times without a
 * zone are local; syslog times take the year that puts them closest to now_ms. */
int64_t logtime_parse(const char *line, size_t len, int64_t now_ms);

/* ---- logevent: a multi-line event of one source (kinds/logs/logevent.c) ---- */

/* An event being assembled keeps at most this many lines and bytes; one that
 * reaches a bound is closed (counted) there, and the continuation lines after
 * it are absorbed as lines of no event. logstore also closes an event that got
 * no line for LOGEVENT_IDLE_MS. */
#define LOGEVENT_MAX_LINES 200
#define LOGEVENT_MAX_BYTES 65536
#define LOGEVENT_IDLE_MS   2000
/* A group keeps at most this much of its latest event's text. */
#define LOGEVENT_TEXT_MAX 16384

struct logevent {
	/* private to logevent.c */
	bool open, overflow, given, head_owned, trace, truncated;
	bool py_frames, py_final, py_chain;
	bool has_name, has_cause, has_frame;
	uint8_t mode, head_sev;
	int format;
	struct logw3c w3c; /* the source's W3C directive: kept from event to event */
	uint32_t lines;
	const char *head_ptr; /* the head while it is the only line and not copied */
	size_t head_len;
	char *text; /* the lines taken, raw, joined by '\n' (owned) */
	size_t len, cap;
	size_t name_off, name_len, cause_off, cause_len, frame_off, frame_len, last_off;
	/* the caller's: the event's time, when its last line came, its naming
	 * line's place among the kept lines */
	int64_t time_ms, last_wall, head_wall;
	uint64_t name_seq, head_seq;
	int64_t name_slot, head_slot;
	uint32_t pending; /* logstore: the head's provisional count (see there) */
	uint64_t pending_hash;
	uint8_t pending_sev;
};

/* A closed event: pointers into the logevent (or the caller's head line),
 * valid until the next logevent_begin. */
struct logevent_out {
	int sev;
	bool multi, truncated;
	bool head_leveled;  /* the head's level is its format's or its source's */
	bool name_not_head; /* the naming line is a continuation line */
	uint32_t lines;
	const char *name; /* the line that says what went wrong */
	size_t name_len;
	const char *text; /* every line, joined by '\n', raw; NULL when one line */
	size_t text_len;
	const char *cause; /* the root cause ("Caused by:"), NULL when none */
	size_t cause_len;
	uint64_t hash; /* the group */
	char fp[512];
	size_t fp_len;
};

enum logevent_step {
	LOGEVENT_HEAD,     /* not a continuation: close the open event, begin one */
	LOGEVENT_TAKEN,    /* a continuation line, taken into the event */
	LOGEVENT_FULL,     /* a continuation beyond the bounds: close with absorb */
	LOGEVENT_ABSORBED, /* a continuation of an event already closed by its bounds */
};
/* format: the input's enum log_format (a head's own level is looked up in it). */
void logevent_init(struct logevent *ev, int format);
void logevent_free(struct logevent *ev);
/* False when no event in any state can take the line: a scan cuts there. */
bool logevent_may_continue(const char *line, size_t len);
/* What the line is to the event state (see enum logevent_step). */
enum logevent_step logevent_feed(struct logevent *ev, const char *line, size_t len);
/* The same; with part, the line is known to belong to the open event (a
 * further line of one journal entry or Loki entry). */
enum logevent_step logevent_feed_as(struct logevent *ev, const char *line, size_t len, bool part);
/* A head: sev its severity, given when its source said so (journald's
 * PRIORITY), not the patterns. Without copy, line must stay valid until the
 * next feed, or logevent_own. */
void logevent_begin(struct logevent *ev, const char *line, size_t len, int sev, bool given, bool copy);
/* Copies a head still held by pointer. */
void logevent_own(struct logevent *ev);
/* Closes the open event into *o; false when none was open. With absorb, the
 * continuation lines after it are absorbed. */
bool logevent_close(struct logevent *ev, struct logevent_out *o, bool absorb);
/* Closes the open event without a result (a one-line event its caller
 * already counted). */
void logevent_discard(struct logevent *ev, bool absorb);
/* The head line of the open event. */
const char *logevent_head(const struct logevent *ev, size_t *len);
/* True when the line just taken is the event's naming line. */
bool logevent_named_last(const struct logevent *ev);
/* The event's raw text sanitized line by line (each as logstore_text with
 * max_line_bytes), joined by '\n', cut at max_bytes. Caller frees. */
char *logevent_text(const char *raw, size_t len, size_t max_line_bytes, size_t max_bytes);

/* ---- logstore: ring of lines and fingerprint groups (kinds/logs/logstore.c) ---- */

struct log_line {
	int64_t time_ms; /* wall clock */
	uint64_t seq;    /* arrival order */
	uint64_t group;  /* a warning's or error's group (its hash), the naming line's of an event; 0: none */
	char *text;      /* sanitized, owned */
	uint32_t len;
	uint16_t source; /* index into the store's source names */
	uint8_t sev;     /* enum log_sev */
	bool cut;        /* the original line was longer and was cut */
	/* private to logstore: text holds the raw bytes, not yet sanitized, and
	 * (raw_time) the time is still to be parsed from them; cap is text's size */
	bool raw, raw_time;
	uint32_t cap;
};

struct log_group {
	uint64_t hash;
	char *fingerprint; /* masked text, sanitized, owned */
	char *sample;      /* the most recent line of the group, sanitized, owned */
	char *event;       /* when that was a multi-line event: all its lines (at most
	                    * LOGEVENT_TEXT_MAX), each sanitized, joined by '\n'; else NULL */
	char *cause;       /* that event's root cause line ("Caused by: ..."), or NULL */
	uint64_t count;    /* exact, whatever was evicted from the ring */
	int64_t first_ms, last_ms;
	uint16_t source; /* source of the most recent line */
	uint8_t sev;     /* the highest severity seen */
	/* private: hash chain and recency list */
	struct log_group *chain, *newer, *older;
};

struct logstore_stats {
	uint64_t lines, errors, warnings; /* every line ever added */
	uint64_t lines_evicted;           /* dropped from the ring (still counted) */
	uint64_t groups_evicted;          /* groups dropped when max_groups was reached */
	uint64_t cut;                     /* lines cut at the length limit */
};

struct logstore;

#define LOGSTORE_DEFAULT_LINES      10000
#define LOGSTORE_DEFAULT_GROUPS     1000
#define LOGSTORE_DEFAULT_LINE_BYTES 8192

/* A new store with one reference. max_line_bytes caps the stored text of a line
 * (the sanitizer's cut mark is appended beyond it). */
struct logstore *logstore_new(size_t max_lines, size_t max_groups, size_t max_line_bytes);
struct logstore *logstore_ref(struct logstore *st);
/* Drops a reference; frees the store with the last one. Takes void * so it can
 * be a kind's free function. */
void logstore_unref(void *st);

/* Registers a source label ("error.log", "journald", ...); returns its index. */
unsigned logstore_add_source(struct logstore *st, const char *name);
const char *logstore_source_name(const struct logstore *st, unsigned index);

/* Adds a line: raw bytes, sanitized here. time_ms 0 means "the time in the line,
 * else now". sev < 0 means classify with lc; lc may be NULL when sev >= 0. Lines
 * of severity warn or error are fingerprinted into groups. */
void logstore_ingest(struct logstore *st, struct logclass *lc, unsigned source, int64_t time_ms, int sev,
                     const char *raw, size_t len, bool cut);

/* The same for a line of an input whose "format" key names one (enum
 * log_format): a line not given a severity is classified in that format, and
 * a multi-line event's head looks its level up there. */
void logstore_ingest_format(struct logstore *st, struct logclass *lc, int format, unsigned source,
                            int64_t time_ms, int sev, const char *raw, size_t len, bool cut);
/* sev for a line that continues its source's open event whatever it says: a
 * further line of one record (a journal entry's or a Loki entry's message
 * holding newlines). */
#define LOGSTORE_SEV_PART (-2)

/* Multi-line events (logevent): each source assembles one at a time; a lone
 * warning or error line counts at once, an event of several lines once it
 * closes. logstore_flush_traces closes the events that got no line for
 * LOGEVENT_IDLE_MS (the source's tick; wall_ms 0: now); logstore_end_events
 * closes every open one (the end of the first read: --once). */
#define LOGSTORE_TRACE_MAX_LINES LOGEVENT_MAX_LINES
#define LOGSTORE_TRACE_MAX_BYTES LOGEVENT_MAX_BYTES
#define LOGSTORE_TRACE_IDLE_MS   LOGEVENT_IDLE_MS
void logstore_end_events(struct logstore *st);
void logstore_flush_traces(struct logstore *st, int64_t wall_ms);

/* Lines in time order (ties: arrival order); index 0 is the oldest. */
size_t logstore_nlines(const struct logstore *st);
const struct log_line *logstore_line(struct logstore *st, size_t i);
/* Groups, most recently seen first. */
size_t logstore_ngroups(const struct logstore *st);
const struct log_group *logstore_group(struct logstore *st, size_t i);
const struct logstore_stats *logstore_stats(const struct logstore *st);
/* Changes on every ingest: views redraw when it differs from what they drew. */
uint64_t logstore_generation(const struct logstore *st);

/* Error lines in the last 60 seconds before now_ms. */
double logstore_errors_per_minute(const struct logstore *st, int64_t now_ms);
/* Errors per minute for the n minutes ending at now_ms, oldest first (n <= 60). */
void logstore_errors_history(const struct logstore *st, int64_t now_ms, double *out, size_t n);

/* The time of the most recent deploy, from a "deploy seen" event on the bus
 * (the logs source subscribes). 0: unknown. A group first seen after it is
 * "new since deploy". */
void logstore_set_deploy_time(struct logstore *st, int64_t wall_ms);
int64_t logstore_deploy_time(const struct logstore *st);
bool logstore_group_is_new(const struct logstore *st, const struct log_group *g);

/* Error groups created since the last call (their hashes, at most cap, the
 * rest dropped with the list): the logs source publishes a "new error group"
 * event for each. Clears the list. */
#define LOGSTORE_FRESH_MAX 32
size_t logstore_take_new_groups(struct logstore *st, uint64_t *hashes, size_t cap);
/* The live group with that hash, or NULL (evicted). */
const struct log_group *logstore_group_by_hash(const struct logstore *st, uint64_t hash);

/* The sanitized text of a raw line as the store keeps it, at most
 * max_line_bytes plus the cut mark; *cut is set when the text was cut (or cut
 * already says the line was). Caller frees. */
char *logstore_text(size_t max_line_bytes, const char *raw, size_t len, bool cut, bool *cut_out);
void logstore_limits(const struct logstore *st, size_t *max_lines, size_t *max_groups,
                     size_t *max_line_bytes);

/* A store rebuilt from its --once JSON (an observer's, a replay's): groups
 * and lines as they were sent, the error rate and counts as the sender
 * counted them. Strings are copied (sanitized by the caller). */
struct logstore_restored {
	const char *fingerprint; /* groups only */
	const char *text;        /* the line, or the group's sample */
	unsigned source;
	int sev;
	uint64_t count;
	int64_t first_ms, last_ms; /* a line's time is first_ms */
};
void logstore_restore_group(struct logstore *st, const struct logstore_restored *r);
void logstore_restore_line(struct logstore *st, const struct logstore_restored *r);
/* per_minute holds for the minute after now_ms; history[n] are the per-minute
 * counts ending with now_ms's minute. */
void logstore_restore_rates(struct logstore *st, int64_t now_ms, double per_minute, const double *history,
                            size_t n, const struct logstore_stats *stats);
/* A backlog being scanned (logscan), for "how far": every scan running on
 * the store's inputs together. */
struct logstore_progress {
	int scans;              /* running; 0: none (the rest is then 0) */
	int64_t done, total;    /* bytes */
	int64_t start_ms;       /* wall clock when the first of them began */
};
/* A scan of total bytes begins (dscans 1), advances by done bytes, or ends
 * (dscans -1). */
void logstore_progress_update(struct logstore *st, int dscans, int64_t done, int64_t total);
const struct logstore_progress *logstore_progress(const struct logstore *st);
/* "reading from the start: 1.2 GiB of 2.0 GiB (60 %), 640 MiB/s, 1 s left"
 * into out; false (out empty) when no scan runs. */
bool logstore_progress_text(const struct logstore *st, int64_t now_ms, char *out, size_t cap);

/* ---- logscan: a big backlog read on the thread pool (kinds/logs/logscan.c) ---- */

#define LOGSTORE_BUCKETS 60

/* A part of a scanned backlog, merged into a store by logstore_merge. */
struct logbatch_group {
	uint64_t hash;
	char *fingerprint; /* sanitized once the part is finished, owned */
	char *sample;      /* the group's most recent line, sanitized, owned */
	char *event, *cause; /* as in log_group: raw while scanning, sanitized once finished */
	uint64_t count;
	int64_t first_ms, last_ms;
	uint8_t sev;
	/* private to logscan */
	uint64_t seen;
	size_t sample_len, sample_cap, fp_cap, event_len, event_cap, cause_len, cause_cap;
	struct logbatch_group *chain;
};

struct logbatch {
	uint64_t lines_total, errors, warnings, cut, groups_evicted;
	int64_t sec_key[LOGSTORE_BUCKETS], min_key[LOGSTORE_BUCKETS];
	uint32_t sec_count[LOGSTORE_BUCKETS], min_count[LOGSTORE_BUCKETS];
	struct logbatch_group *groups; /* oldest (least recently seen) first */
	size_t ngroups;
	struct log_line *lines; /* lines to keep, in file order (text owned) */
	size_t nlines;
	struct logw3c w3c; /* the W3C directive in force at the part's end */
};
/* Frees what a batch holds (what logstore_merge took is NULL already). */
void logbatch_clear(struct logbatch *b);

/* Adds a part: counts, error rate, groups (new error groups go on the fresh
 * list) and lines (label: the source index of them all). Takes the strings it
 * keeps, leaving NULL behind. */
void logstore_merge(struct logstore *st, unsigned label, struct logbatch *b);
/* The W3C directives of the head of a source's file (logw3c_seed), when the
 * source has none yet: a file followed from its end. */
void logstore_w3c_head(struct logstore *st, unsigned source, const char *head, size_t len);

struct logscan_params {
	const struct logclass *lc; /* shared read-only with the pool's threads */
	int format;                /* enum log_format of the input, 0 auto */
	size_t max_lines, max_groups, max_line_bytes;
	size_t chunk_bytes; /* 0: by size, 1..16 MiB */
};

/* Called on the loop with the parts in file order (free them with nothing:
 * logscan does, after the call) and the offset just after the last complete
 * line, where following resumes. */
typedef void (*logscan_done_fn)(void *ctx, struct logbatch *const *parts, size_t n, int64_t end);
/* Called on the loop as the scan goes: bytes more of the range were read,
 * and part, when not NULL, is the next part in file order (merge it now: the
 * groups form as the scan goes; logscan frees what is left of it). The done
 * callback then gets only the parts not handed over here. */
typedef void (*logscan_part_fn)(void *ctx, struct logbatch *part, int64_t bytes);
struct logscan;
/* Scans the complete lines of [from, to) of fd (dup'ed; from is a line start)
 * on the thread pool. NULL when fd cannot be duplicated. part_cb may be NULL. */
struct logscan *logscan_start(uv_loop_t *loop, const struct logscan_params *prm, int fd, int64_t from,
                              int64_t to, logscan_done_fn cb, void *ctx);
struct logscan *logscan_start_parts(uv_loop_t *loop, const struct logscan_params *prm, int fd, int64_t from,
                                    int64_t to, logscan_done_fn cb, logscan_part_fn part_cb, void *ctx);
/* The callback will not run; the scan frees itself once the pool let go. */
void logscan_cancel(struct logscan *s);
/* The same on this thread: fills out (room for (to - from) / chunk + 2 parts,
 * each allocated, free with logbatch_clear and free) and returns their
 * number. */
size_t logscan_run(const struct logscan_params *prm, int fd, int64_t from, int64_t to, struct logbatch **out,
                   int64_t *end);

/* ---- environment probes for the built-in default config ---- */

/* True when journalctl is on PATH and there is a journal to read: the
 * journald socket, or files in /var/log/journal or /run/log/journal. Does not
 * spawn anything. The built-in default config picks journald by it. */
bool journald_available(void);

#endif
