/* deploys-common: what the command-driven deploys sources (git, helm,
 * kubectl) share, and the health check every deploys source with actions
 * uses (releases too).
 *
 * A source of this family embeds struct deploys_common first in its private
 * state and fills a struct deploys_backend: how to read its history (one or
 * two one-shot commands, parsed into a model), the rollback command for a
 * chosen deploy and how to verify it. The common part does the rest the same
 * way for all three: refresh, choosing the rollback target (the selected or
 * named deploy, else the previous healthy one; never a bad or the current
 * one), the exact effect for the dialog, the chain of commands in act()
 * (first checking that `current` is still what was confirmed), the restart
 * argv, the health check and the outcome.
 *
 * The parsers of the tools' output are here too, so the unit tests and the
 * fuzz target reach them; each is defined in its source's file. */
#ifndef SITREP_BACKENDS_DEPLOYS_COMMON_H
#define SITREP_BACKENDS_DEPLOYS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitrep/core/config.h"
#include "sitrep/kinds/deploys.h"
#include "sitrep/io/run.h"

struct source;
struct action;
struct app;
struct deploys_common;
struct deploys_job;

/* ---- the parsers (unit-tested and fuzzed) ---- */

/* git's output for the format git.c asks for: records of five
 * NUL-terminated fields (id, full commit, unix time, author, subject), each
 * record after the first led by the newline git puts between records. Adds
 * one deploy per valid record (a commit of 40 or 64 hex digits, a time of
 * digits); returns how many it added, *skipped (may be NULL) counts the
 * records it refused. */
size_t git_parse(struct deploys_data *d, const char *text, size_t len, size_t *skipped);
/* `helm history NAME -o json`: an array of {revision, updated, status,
 * chart, app_version, description}. Fills d (ids are the revision numbers,
 * status as helm names it, "failed" marked bad, the newest "deployed" one
 * current), newest first. -1 with a message in err when it is not such an
 * array; else the number of revisions. */
int helm_parse_history(struct deploys_data *d, const char *json, size_t len, char *err, size_t cap);
/* `kubectl rollout history deployment/NAME`: a REVISION / CHANGE-CAUSE
 * table. Adds one deploy per revision row ("<none>" is no message), newest
 * first. -1 with a message in err when there is no such table; else the
 * number of revisions. */
int kubectl_parse_history(struct deploys_data *d, const char *text, size_t len, char *err, size_t cap);
/* `kubectl get deployment NAME -o json`: the revision annotation
 * (metadata.annotations["deployment.kubernetes.io/revision"]) into *revision
 * (a new string) and the containers' images, joined by ", ", into *images
 * (may be NULL). 0, or -1 with a message in err. */
int kubectl_parse_deployment(const char *json, size_t len, char **revision, char **images, char *err,
                             size_t cap);

/* ---- argv helpers ---- */

/* A copy of a NULL-terminated argv; NULL gives NULL. Free with config_free_argv. */
char **deploys_argv_copy(char *const *argv);
/* argv built from a list of elements ending in NULL (copied). */
char **deploys_argv(const char *first, ...) __attribute__((sentinel));
/* Appends copies of elements (ending in NULL) to *argv. */
void deploys_argv_push(char ***argv, ...) __attribute__((sentinel));
/* Every "{release}" in the elements of tmpl replaced by id; each element
 * stays one element. */
char **deploys_argv_subst(char *const *tmpl, const char *id);
/* "helm rollback web 41", elements quoted when they hold a blank or a quote,
 * sanitized: what the dialog shows. Caller frees. */
char *deploys_argv_text(char *const *argv);
/* The last words of a failed command (stderr, else stdout), one line, at
 * most about 160 bytes, sanitized; "" when silent. Caller frees. */
char *deploys_run_tail(const struct run_result *res);
/* True when the command did not run to exit status 0. */
bool deploys_run_failed(const struct run_result *res);

/* ---- the health check ---- */

struct deploys_health {
	char *url;
	long expect_status;  /* 200 unless configured */
	char *expect_text;   /* NULL: any body */
	unsigned timeout_ms; /* how long to keep trying */
};

/* Reads the pane's optional "health" object ({url, expect_status,
 * expect_text, timeout_seconds}); *out stays NULL when absent. 0 or -1 with
 * ctx->err set. */
int deploys_health_init(struct config_ctx *ctx, struct jnode *pane, struct deploys_health **out);
void deploys_health_free(struct deploys_health *h);
/* "then health: GET URL until status 200 and \"text\" (30 s)" for the effect. */
char *deploys_health_text(const struct deploys_health *h);

struct deploys_health_run;
/* ok and a summary for the outcome: "health ok in 3 s", "health still
 * failing after 30 s: status 502". */
typedef void (*deploys_health_cb)(bool ok, const char *summary, void *arg);
/* Polls h->url about once a second with the app's HTTP client until a
 * response passes or the timeout; cb once (also after cancel). */
struct deploys_health_run *deploys_health_start(struct source *src, const struct deploys_health *h,
                                                deploys_health_cb cb, void *arg);
/* Stops it; cb is called with ok false and "health check cancelled". */
void deploys_health_cancel(struct deploys_health_run *hr);

/* ---- the family of command-driven sources ---- */

typedef void (*deploys_read_cb)(struct deploys_common *c, struct deploys_data *d, const char *err, void *arg);
typedef void (*deploys_exec_cb)(struct deploys_common *c, struct run_result *res, void *arg);

struct deploys_backend {
	/* Reads the history and the current deploy into a new model: cb once
	 * with it (cb owns it), or with NULL and a message. */
	void (*read)(struct deploys_common *c, deploys_read_cb cb, void *arg);
	/* The rollback to `to`: fills *argv (the command act() runs first) and
	 * returns the lines that say how it is verified ("then check: ..."), or
	 * NULL with a message in err when it cannot be done. */
	char *(*rollback)(struct deploys_common *c, const struct deploy *to, char ***argv, char *err,
	                  size_t cap);
	/* After the rollback command (and the restart argv): checks it took
	 * effect, then calls deploys_job_ok or deploys_job_fail. */
	void (*verify)(struct deploys_job *job);
	/* What identifies `to` for the dialog ("tag deploy-2 at commit 1a2b...",
	 * "revision 2: web-1.3.0 app 1.3.0"); a new string. The same fields are
	 * re-checked when the action acts. */
	char *(*identity)(struct deploys_common *c, const struct deploy *to);
};

struct deploys_exec;

struct deploys_common {
	struct source *src;
	const struct deploys_backend *be;
	char **restart;       /* argv, NULL: none */
	unsigned restart_ms;  /* its timeout, and that of the rollback command */
	bool restart_default; /* restart is the backend's own (kubectl rollout restart): not run after a
	                         rollback */
	unsigned extra_ms;    /* what the backend's verify may take beyond its reads (a rollout) */
	struct deploys_health *health;
	struct deploys_job *job;    /* the action in flight */
	struct deploys_exec *execs; /* commands running, for stop */
	bool read_started;          /* the dashboard's refresh has run (so prepare never spins the loop) */
	bool stopping;              /* stop ran: late reads publish nothing */
};

/* What an action will do, built by prepare, done by act. */
struct deploys_request {
	bool rollback;
	char *to;         /* the deploy's id */
	char *to_commit;  /* its revision field (a commit, an app version), "" unknown */
	char *to_message; /* its message */
	char *to_version; /* its version: with to_commit and to_message, the identity re-checked
	                     before the rollback command runs */
	char *from;       /* the current id when prepared, NULL none */
	char **argv;      /* the rollback command */
	char **restart;   /* the restart argv, NULL none */
	unsigned timeout_ms;
};

struct deploys_job {
	struct deploys_common *c;
	struct action *action;
	const struct deploys_request *req;
	char *outcome; /* what was done and verified so far */
	struct deploys_health_run *health;
	void *data; /* the backend's, freed with free() when the job ends */
};

/* Reads the pane options every source of the family has ("restart",
 * "restart_timeout_seconds", "health"). 0 or -1. */
int deploys_common_init(struct deploys_common *c, struct source *src, const struct deploys_backend *be,
                        struct config_ctx *ctx, struct jnode *node);
void deploys_common_free(struct deploys_common *c);

/* Runs argv (no shell) with a timeout; cb once with the result. A command
 * started here is cancelled by deploys_common_stop. */
void deploys_exec(struct deploys_common *c, char *const *argv, unsigned timeout_ms, deploys_exec_cb cb,
                  void *arg);

/* The source_ops hooks of the family: src->data points at a struct whose
 * first member is struct deploys_common. */
void deploys_common_refresh(struct source *src);
int deploys_common_prepare(struct source *src, struct action *a, char *err, size_t cap);
int deploys_common_act(struct source *src, const struct action *a);
void deploys_common_stop(struct source *src);

/* The deploys a rollback from current to `to` passes over: the bad ones
 * into bad, the ones deploys_not_target refuses into refused, each a
 * ", "-separated list of ids ("" none), cut to fit. */
void deploys_skipped(const struct deploys_data *d, const struct deploy *to, char *bad, size_t bad_cap,
                     char *refused, size_t refused_cap);

/* Adds a step to the outcome ("helm rollback web 41 exited with status 0"). */
void deploys_job_note(struct deploys_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Verified: the last words go into the outcome, then the health check (when
 * configured) decides, and the action ends. */
void deploys_job_ok(struct deploys_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends the action failed, the outcome so far and why. */
void deploys_job_fail(struct deploys_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
