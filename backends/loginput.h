/* loginput: the implementer's side of the logs source. Each input type
 * ("file", "journald", "command", "loki") is one file in backends/ holding a
 * const struct log_input_ops; backends/logs.c reads the pane's "sources" array
 * and runs one log_input per element. An input hands raw lines to
 * loginput_line (sanitizing, classifying and counting happen there) and reports
 * its trouble with loginput_error, which the pane shows as the source's error. */
#ifndef SITREP_LOGINPUT_H
#define SITREP_LOGINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "sitrep/core/config.h"
#include "sitrep/kinds/logs.h"

struct log_input;
struct logs_source;

struct log_input_ops {
	const char *type; /* the "type" key */
	/* Reads the element's keys (every accepted key must be read) and sets
	 * in->data. No I/O: also run by --check-config. 0, or -1 with ctx->err. */
	int (*init)(struct log_input *in, struct config_ctx *ctx, struct jnode *node);
	/* Begins following. Must call loginput_ready once the initial read is done
	 * (or failed). */
	int (*start)(struct log_input *in);
	/* Begins closing handles; calls loginput_closed when the last one closed. */
	void (*stop)(struct log_input *in);
	/* Frees in->data (after stop completed, or when never started). */
	void (*destroy)(struct log_input *in);
};

struct log_input {
	const struct log_input_ops *ops;
	struct logs_source *owner;
	uv_loop_t *loop;
	char *name;     /* label shown as the line's source; the "name" key or a default */
	unsigned label; /* the name's index in the store */
	char *error;    /* current trouble, NULL when fine */
	char *warning;  /* a cap that cuts something (loginput_warning), NULL when none */
	int format;     /* enum log_format: the "format" key, auto when absent */
	bool ready;
	bool closed;
	void *data;
};

/* A raw line. label: from loginput_label, or in->label. time_ms 0: from the
 * line or now. sev < 0: classify by the pane's patterns. */
void loginput_line(struct log_input *in, unsigned label, int64_t time_ms, int sev, const char *raw,
                   size_t len, bool cut);
/* A record whose message may hold newlines (a journal entry, a Loki entry):
 * its lines as one event, the first its head (sev and time as above). */
void loginput_record(struct log_input *in, unsigned label, int64_t time_ms, int sev, const char *raw,
                     size_t len, bool cut);
/* A backlog read on the thread pool (logscan): its parameters for this pane
 * (patterns, store limits), and its parts added in file order. */
void loginput_scan_params(struct log_input *in, struct logscan_params *prm);
void loginput_merge(struct log_input *in, unsigned label, struct logbatch *b);
/* The head of the file behind label (at most LOGW3C_HEAD bytes), for its W3C
 * directives when it is read from past them (logstore_w3c_head). */
void loginput_file_head(struct log_input *in, unsigned label, const char *head, size_t len);
/* A backlog scan of the input began (dscans 1, total its bytes), read done
 * bytes more, or ended (dscans -1, done and total what it added): the pane
 * and --once show how far it is (logstore_progress). */
void loginput_progress(struct log_input *in, int dscans, int64_t done, int64_t total);
/* Registers another label (a file matched by a glob); returns its index. */
unsigned loginput_label(struct log_input *in, const char *name);
/* Sets (or with NULL clears) the input's trouble. */
void loginput_error(struct log_input *in, const char *msg);
/* A warning that is not a failure (a cap that cuts something: "following 64 of
 * 80 files; raise max_files"): shown as the pane's warning badge, the data
 * stays fresh. NULL clears it. */
void loginput_warning(struct log_input *in, const char *msg);
/* The initial read is done. */
void loginput_ready(struct log_input *in);
/* Records a child's exit as a warning line from sitrep itself, so deaths are
 * counted and visible in the raw lines next to what the child printed. */
void loginput_child_exited(struct log_input *in, const char *argv0, int64_t status, int signal);
/* The app's HTTP client, NULL under --check-config or before start. */
struct http *loginput_http(struct log_input *in);
/* Every handle of the input is closed. */
void loginput_closed(struct log_input *in);
/* The pane's severity for a line, by its patterns (for inputs that merge a
 * backend's own level with the patterns). */
int loginput_classify(struct log_input *in, const char *raw, size_t len);

/* ---- a followed child process (backends/logchild.c) ----
 * The inputs that read a command's output ("journald", "command") share the
 * child's lifecycle: spawn with restarts, the child's trouble as the input's
 * error, exits as warning lines, the initial read over once the first output
 * pauses, and closing. What stays theirs is what a line means. */
struct logchild;
struct logchild_hooks {
	/* A line of the child's stdout (stream 1) or stderr (stream 2). */
	void (*line)(struct log_input *in, int stream, const char *line, size_t len, bool cut);
	/* Optional: the child's trouble changed (NULL: it runs again), after it
	 * became the input's error. */
	void (*state)(struct log_input *in, const char *error);
};
/* Spawns argv (copied) on in->loop and follows it. The result owns itself and
 * is freed by logchild_stop's closing. */
struct logchild *logchild_start(struct log_input *in, char *const *argv, const struct logchild_hooks *hooks);
/* The same, giving the child the secret variables pass_env names (copied). */
struct logchild *logchild_start_env(struct log_input *in, char *const *argv, char *const *pass_env,
                                    const struct logchild_hooks *hooks);
/* Stops the child and closes its handles; calls loginput_closed once all are
 * closed, then c is gone. */
void logchild_stop(struct logchild *c);

/* Input types, listed in backends/logs.c. */
extern const struct log_input_ops loginput_file;
extern const struct log_input_ops loginput_journald;
extern const struct log_input_ops loginput_command;
extern const struct log_input_ops loginput_loki;

/* ---- parsers exposed for the unit tests ---- */

/* One line of `journalctl -o json`. */
struct journald_entry {
	char *text; /* "IDENT[PID]: MESSAGE", raw bytes (not yet sanitized), owned */
	size_t len;
	size_t msg_off; /* where MESSAGE starts in text */
	int64_t time_ms; /* __REALTIME_TIMESTAMP, 0 when absent */
	int priority;    /* PRIORITY 0..7, -1 when absent */
};
/* 0, or -1 when the line is not a journal entry. Free text with free(). */
int journald_parse_line(const char *line, size_t len, struct journald_entry *e);
/* Severity of a syslog priority: 0..3 error, 4 warn, else info; -1 unknown. */
int journald_priority_sev(int priority);
/* The journalctl argv for the options; NULL-terminated, free with config_free_argv. */
char **journald_argv(const char *journalctl, const char *unit, const char *priority, unsigned lines);

/* One line of a Loki query_range answer. */
struct loki_entry {
	int64_t ns; /* Loki's nanosecond timestamp */
	char *line; /* raw, owned */
	size_t len;
};
/* Parses a query_range body ("streams" result): every stream's values, merged
 * in time order. 0, or -1 with a new message in *err. */
int loki_parse(const char *body, size_t len, struct loki_entry **out, size_t *n, char **err);
void loki_entries_free(struct loki_entry *e, size_t n);
/* BASE/loki/api/v1/query_range?query=..&start=..&end=..&limit=..&direction=forward. */
char *loki_query_url(const char *base, const char *query, int64_t start_ns, int64_t end_ns, unsigned limit);

#endif
