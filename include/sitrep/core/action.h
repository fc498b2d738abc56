/* action: the one road every action takes (silence, purge, restart,
 * rollback, cancel), from a key in a pane or from `sitrep do`. An action is
 * generic: a verb from a kind's table (kind.h), a target, the rows the user
 * chose, typed arguments, and the exact effect the source will have (URL and
 * body, or argv; secrets masked), which the source's prepare() fills from the
 * same request it will send, so what is confirmed is what is sent.
 *
 * action_run is the gate: read-only refuses (recorded, nothing sent), one
 * action in flight per pane, the "started" audit record written and synced
 * before anything is sent (no record, no action), a timeout, the outcome
 * recorded in the audit log (state_dir/audit.jsonl, one JSON object per line:
 * time, user, action, target, pane, result, what, detail) and published on
 * the event bus. Confirmation happens before action_run, by whoever asked
 * (the dashboard's one dialog or the terminal prompt of `sitrep do`). */
#ifndef SITREP_ACTION_H
#define SITREP_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct app;
struct verb;
struct source;
struct action;

/* Results of action_run and of an action's end; the first four are the exit
 * codes of `sitrep do`, which exits 1 for every doubt (unknown, unverified). */
enum action_result {
	ACTION_OK = 0,
	ACTION_FAILED = 1,
	ACTION_USAGE = 2,
	ACTION_REFUSED = 3,
	ACTION_PENDING = 4, /* started; the done callback reports the end */
	ACTION_UNKNOWN = 5, /* sitrep quit or gave up before the answer: it may have applied */
	/* Sent and accepted, but what it did could not be checked (a purged
	 * asset the re-probe cannot compare): not ok, and not known to have
	 * failed either. Recorded "unverified". */
	ACTION_UNVERIFIED = 6,
};

/* The word the audit log, the timeline and the events use for an end:
 * "ok", "failed", "unknown", "unverified" ("refused", "usage" for those). */
const char *action_result_word(enum action_result result);

/* How long the gate waits for a source to report an action's end. */
#define ACTION_TIMEOUT_MS 30000

/* Called once when an action ends (not for refusals, which return at once). msg is
 * a short sanitized description of the outcome. */
typedef void (*action_done_cb)(struct action *action, enum action_result result, const char *msg, void *arg);

/* A typed argument: "for" = "7200", or a silence matcher "alertname" = "X". */
struct action_param {
	char *name;
	char *value; /* its raw value (what is sent); shown sanitized */
};

/* An action. Strings are owned by the action (action_free). */
struct action {
	/* The verb, a kind table's entry (kind.h) or a core one (the note):
	 * compared by pointer, never by name. Never NULL. */
	const struct verb *verb;
	char *target;     /* what it acts on, e.g. the alert name; typed to confirm */
	char *key;        /* the selected row's full identity (an alert fingerprint); may be NULL */
	char **selection; /* the rows the user chose (identities), owned */
	size_t nselection;
	struct action_param *params; /* typed arguments (silence: equality matchers) */
	size_t nparams;
	double duration_s; /* silence: how long */
	char *comment;
	char *user; /* $USER, or "unknown" */
	/* The exact effect, one line per request or command ("POST http://.../api/v2/silences
	 * {...}", "argv: systemctl restart app"), secrets masked: shown by the dialog, recorded
	 * by the audit log. Filled by the source's prepare() from the request it will send. */
	char *effect;
	/* How many targets that effect acts on (purge: the assets), for the
	 * dialog's prompt ("y: purge 40 assets"); 0: the selection's count. Set
	 * by the source's prepare(). */
	size_t ntargets;
	/* The description as the user confirmed it (action_what), frozen at its
	 * first use after prepare: every audit record of the action says the
	 * same, though the rows it names are gone from the pane by its end (a
	 * cancelled query). Owned; NULL until then. */
	char *what;
	/* The source's prepared request (what act() sends); freed with request_free. */
	void *request;
	void (*request_free)(void *request);
	/* How long the gate waits for act() to report; 0: ACTION_TIMEOUT_MS. A
	 * source's prepare() sets it for actions that take longer (a restart). */
	unsigned timeout_ms;
	/* Set by action_run. */
	struct app *app;
	struct source *src;
	action_done_cb done;
	void *done_arg;
	bool finished;
	bool reported;            /* the outcome (or timeout) went to done and the audit log */
	bool timer_open;          /* the timeout timer is live; the action is freed in its close callback */
	uv_timer_t timer;         /* the gate's timeout, data = this action */
	struct action *next_live; /* the app's list of actions in flight */
	/* action_progress: each stream's line not ended yet (owned), and whether
	 * the rest of an overlong line is being dropped. */
	char *progress_line[2];
	size_t progress_len[2];
	bool progress_skip[2];
};

/* A new action for verb and target (copied); user is filled from $USER. */
struct action *action_new(const struct verb *verb, const char *target);
void action_add_param(struct action *a, const char *name, const char *value);
/* The value of argument name, or NULL. */
const char *action_param(const struct action *a, const char *name);
/* Adds a row identity to the selection (copied). */
void action_select(struct action *a, const char *identity);
/* Changes the verb (`do purge --all` is purge_all). */
void action_set_verb(struct action *a, const struct verb *verb);
/* Sets the effect text (copied, sanitized) the dialog shows and the audit records. */
void action_set_effect(struct action *a, const char *effect);
void action_free(struct action *a);

/* What y does, in words for a prompt: "purge 40 assets" when the verb
 * names its targets and the action counts them (*count gets the count),
 * else "silence HighCPU" (the target's display form; *count 0). Caller frees. */
char *action_what(const struct action *a, size_t *count);
/* What not confirming does, in words: "keep them", "keep it". */
const char *action_keep_words(size_t count);

/* What will happen, in one or more lines for a confirmation: the verb's
 * describe (or "silence HighCPU for 2h\n  alertname=\"HighCPU\"" for
 * actions without one), then the exact effect when prepared. Values
 * sanitized. Caller frees. */
char *action_describe(const struct action *a);
/* action_describe, computed once (the dialog's text, then every audit
 * record's "what"): owned by the action. */
const char *action_what_confirmed(struct action *a);
/* Prepares the request through the source's prepare() (when it has one),
 * so the effect can be shown before confirming. 0, or -1 with msg. */
int action_prepare(struct source *src, struct action *a, char *msg, size_t cap);
/* Records and publishes that the user did not confirm (dialog cancelled,
 * "n" at the prompt); frees a. */
void action_not_confirmed(struct app *app, struct source *src, struct action *a, const char *why);
/* At quit: every action still in flight is recorded "unknown: sitrep quit
 * before the answer" (it may have been applied). Returns how many. */
size_t action_abandon_all(struct app *app);
/* Actions in flight (for the quit confirmation). */
size_t action_in_flight(const struct app *app);

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

/* Output of a running action (a restart's stdout and stderr), published line
 * by line as EVENT_ACTION_PROGRESS for whoever shows it (the dashboard's
 * progress view); sanitized; not recorded (the outcome is). Output comes in
 * chunks that may end inside a line, or inside a secret: a line is held
 * until its end arrives (or the action ends), so it is sanitized, and its
 * secrets masked, whole. A line longer than ACTION_PROGRESS_LINE_MAX is shown
 * cut and the rest of it dropped. action_progress is stream 0;
 * action_progress_stream keeps stdout (false) and stderr (true) apart, so a
 * line cut by one is not joined to the other's. */
#define ACTION_PROGRESS_LINE_MAX 4096
void action_progress(struct action *a, const char *data, size_t len);
void action_progress_stream(struct action *a, bool is_stderr, const char *data, size_t len);

/* Appends one line to the audit log under app->cfg.state_dir and syncs it.
 * 0, or -1 with errno set (no state dir, not writable, a symlink, full). */
int action_audit(const struct app *app, const struct action *a, const char *result, const char *detail);

/* One usage line per `sitrep do` verb of the kind tables, the first led by
 * first and the others by rest. Caller frees. */
char *action_usage_lines(const char *first, const char *rest);

/* `sitrep do VERB ...`: argv[0] is the verb. Returns the exit code (0 ok, 1
 * failed, unknown or unverified, 2 usage, 3 refused). Runs app->loop until
 * the action ends. */
int action_cli(struct app *app, int argc, char **argv);

/* The longest duration accepted anywhere (a silence, --since): one year. */
#define ACTION_MAX_DURATION_S (366.0 * 86400.0)
/* "2h", "30m", "90s", "1d", "1h30m", "1w" -> seconds; -1 when malformed,
 * not finite or above ACTION_MAX_DURATION_S. */
double action_parse_duration(const char *text);

#endif
