/* action: the one road every action takes (silence, purge, restart,
 * rollback), from a key in a pane or from `sitrep do`. action_run checks
 * read-only mode (a refusal sends nothing), hands the action to its source's
 * act(), and records the outcome in the audit log (state_dir/audit.jsonl, one
 * JSON object per line: time, user, action, target, result, detail).
 * Confirmation happens before action_run, by whoever asked (the pane's dialog
 * or the terminal prompt of `sitrep do`), using action_describe. */
#ifndef SITREP_ACTION_H
#define SITREP_ACTION_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct source;
struct action;

/* Exit codes of `sitrep do` and results of action_run. */
enum action_result {
	ACTION_OK = 0,
	ACTION_FAILED = 1,
	ACTION_USAGE = 2,
	ACTION_REFUSED = 3,
	ACTION_PENDING = 4, /* started; the done callback reports the end */
};

/* Called once when an action ends (not for refusals, which return at once). msg is
 * a short sanitized description of the outcome. */
typedef void (*action_done_cb)(struct action *action, enum action_result result, const char *msg, void *arg);

struct action_param {
	char *name;  /* for silence: a label name */
	char *value; /* its raw value (what is sent); shown sanitized */
};

/* An action. Strings are owned by the action (action_free). */
struct action {
	char *verb;                  /* "silence", "purge", "restart", "rollback" */
	char *target;                /* what it acts on, e.g. the alert name */
	char *key;                   /* source-specific selector, e.g. an alert fingerprint; may be NULL */
	struct action_param *params; /* silence: equality matchers */
	size_t nparams;
	double duration_s; /* silence: how long */
	char *comment;
	char *user; /* $USER, or "unknown" */
	/* Set by action_run. */
	struct app *app;
	struct source *src;
	action_done_cb done;
	void *done_arg;
	bool finished;
};

/* A new action for verb and target (copied); user is filled from $USER. */
struct action *action_new(const char *verb, const char *target);
void action_add_param(struct action *a, const char *name, const char *value);
void action_free(struct action *a);

/* What will happen, in one or more lines for a confirmation ("silence HighCPU
 * for 2h\n  alertname=\"HighCPU\"\n ..."); values sanitized. Caller frees. */
char *action_describe(const struct action *a);

/* True when actions are refused (read-only). msg (may be NULL) gets the reason. */
bool action_refused(const struct app *app, char *msg, size_t cap);

/* The gate. Refuses in read-only mode (recorded, nothing sent; returns
 * ACTION_REFUSED with the reason in msg and frees a). Otherwise calls the
 * source's act(): returns ACTION_PENDING and later calls done exactly once
 * (then frees a), or returns ACTION_FAILED at once (recorded, a freed). */
enum action_result action_run(struct app *app, struct source *src, struct action *a, action_done_cb done,
                              void *arg, char *msg, size_t cap);

/* Used by a source's act() to report the end of an action it started. act()
 * returns 0 once it started (or already finished) the action, non-zero without
 * calling action_finish when it could not begin. */
void action_finish(struct action *a, enum action_result result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends one line to the audit log under app->cfg.state_dir. */
void action_audit(const struct app *app, const struct action *a, const char *result, const char *detail);

/* `sitrep do VERB ...`: argv[0] is the verb. Returns the exit code (0 ok, 1
 * failed, 2 usage, 3 refused). Runs app->loop until the action ends. */
int action_cli(struct app *app, int argc, char **argv);

/* "2h", "30m", "90s", "1d", "1h30m" -> seconds; -1 when malformed. */
double action_parse_duration(const char *text);

#endif
