/* kind: a pane kind as one const table: its data model (free, --once text
 * and JSON), the events a change of its data means, a hint for the status
 * line, and its verbs. Each kind is a file kinds/kind-NAME.c, listed once in
 * kinds/kind.c. The CLI (`sitrep do VERB`), the key map, the config's
 * "keys" and the help overlay all walk these tables: a verb is written once.
 * See docs/ARCHITECTURE.md, "Adding a kind". */
#ifndef SITREP_KIND_H
#define SITREP_KIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

/* How bad something is: a series against its thresholds, a pane's health
 * (the worst of what it shows). */
enum level { LEVEL_UNKNOWN, LEVEL_OK, LEVEL_WARN, LEVEL_CRIT };

struct action;
struct source;

/* How a verb is confirmed in the dashboard and by `sitrep do` without --yes. */
enum verb_confirm {
	VERB_CONFIRM_Y,     /* y confirms */
	VERB_CONFIRM_TYPED, /* the target's name must be typed (rollback, terminate, purge everything) */
};

/* One word of a verb's argument grammar, as data (like tmux's argument
 * templates): `sitrep do` parses by it, and the usage, --help and the
 * shell completions (`sitrep --complete verb NAME`) are written from it. */
struct verb_arg {
	const char *name;  /* an option ("--for", "--stale") or a positional word ("ALERTNAME") */
	const char *value; /* what an option takes ("DURATION"); NULL: a flag, or a positional */
	/* Words with the same non-zero group exclude each other and are shown
	 * together, "PID|--group QUERYID"; a group is required when one of its
	 * words is. */
	unsigned group;
	bool required;
	bool many;        /* a positional that takes every remaining word: "PATH..." */
	const char *help; /* a few words, for --help and the completions */
};

/* The words `sitrep do NAME ...` was given, by the verb's grammar: for each
 * of its args, the words it took (an option: its value, "" for a flag). */
#define VERB_ARGS_MAX 8
struct verb_args {
	const struct verb *verb;
	struct {
		const char **words; /* borrowed from argv; the array is owned (verb_args_free) */
		size_t n;
	} arg[VERB_ARGS_MAX];
};

/* A verb: something a kind's pane can do, through the action gate. A verb
 * is a value: code holds `const struct verb *` (the kind's header declares
 * each one) and compares pointers, never names. */
struct verb {
	const char *name; /* "silence": the "keys" name, and `sitrep do NAME` when cli */
	const char *key;  /* default key spec: "s"; NULL: no key */
	const char *help; /* one line: "silence the selected alert" */
	/* The argument grammar after `sitrep do NAME` (nargs <= VERB_ARGS_MAX). */
	const struct verb_arg *args;
	size_t nargs;
	enum verb_confirm confirm;
	/* What one target is called, and several ("asset", "assets"), for the
	 * dashboard's prompt "y: purge 40 assets"; NULL: the prompt names the
	 * target instead. */
	const char *noun;
	const char *nouns;
	bool cli; /* a `sitrep do` verb of its own (purge_all is `do purge --all`) */
	/* `sitrep do NAME ARGS...`: fills the action's target, selection and
	 * args from the words the grammar accepted (--pane and --yes removed).
	 * 0, or -1 with a usage message in err. NULL: nothing to fill. */
	int (*parse)(struct action *a, const struct verb_args *args, char *err, size_t cap);
	/* What will happen, in words, from the action's target, selection and
	 * args: "silence HighCPU for 2h". Sanitized; caller frees. The exact
	 * effect (URL, argv) is the source's to add (source_ops.prepare). */
	char *(*describe)(const struct action *a);
};

/* Parses argv by v's grammar into out (verb_args_free after). 0, or -1 with
 * a usage message in err (an unknown option, a missing value or required
 * word, two words of one group, a word too many). */
int verb_args_parse(const struct verb *v, int argc, char **argv, struct verb_args *out, char *err,
                    size_t cap);
void verb_args_free(struct verb_args *args);
/* The first word given for the arg called name (a flag's is ""), or NULL. */
const char *verb_args_get(const struct verb_args *args, const char *name);
/* Every word given for name; their count. */
size_t verb_args_all(const struct verb_args *args, const char *name, const char *const **words);
/* `sitrep do NAME argv...` into a: the grammar, then v->parse. 0, or -1
 * with a usage message in err. */
int verb_parse(const struct verb *v, struct action *a, int argc, char **argv, char *err, size_t cap);
/* "ALERTNAME [--for DURATION]": the grammar as a usage fragment. Caller frees. */
char *verb_usage(const struct verb *v);
/* One line per word of the grammar, "  --for DURATION    how long", for
 * `sitrep do NAME --help`. Caller frees. */
char *verb_help(const struct verb *v);
/* For the shell completions (`sitrep --complete verbs|verb NAME`): name
 * NULL prints "NAME<TAB>HELP" per `sitrep do` verb; else one line per word
 * of that verb's grammar, "WORD<TAB>VALUE<TAB>MANY<TAB>HELP" (VALUE "-"
 * for a flag or a positional, MANY "..." for a word that repeats, else "-":
 * no field is empty, as shells' read joins empty tab-separated fields). 0, or -1
 * when there is no such `sitrep do` verb. */
int verb_complete(FILE *out, const char *name);

/* A kind's hint_rank from which its hint is a symptom (what a cause did:
 * errors in the logs, a hot host), not a cause: a hint of symptoms only
 * leaves the room to the status bar's marks. */
#define HINT_SYMPTOM 60

struct kind_ops {
	const char *name;
	/* The source a pane of this kind gets when the config names none
	 * (logs: "logs", timeline: "events"); NULL: "source" is required. */
	const char *default_source;
	void (*free)(void *data);
	/* The "data" object of --once --json (schema version 1); data NULL (nothing
	 * fetched yet) gives the kind's empty shape, e.g. { "series": [] }. */
	cJSON *(*to_json)(const void *data);
	/* The reverse: a new model from what to_json wrote (an observer and a
	 * replay draw the driver's panes from it), or NULL when json is not an
	 * object. json is outside input (kindjson.h): checked, sanitized again.
	 * to_json(from_json(j)) equals j for every j that to_json wrote. */
	void *(*from_json)(const cJSON *json);
	/* Plain --once output, a few indented lines. */
	void (*print)(const void *data, FILE *out);
	/* Optional: publishes the events a new snapshot means next to the
	 * previous one (old NULL the first time): a series crossing a threshold,
	 * an alert firing or resolved. Called by source_publish before old is freed. */
	void (*diff)(struct source *src, const void *old, const void *now);
	/* Optional: what is wrong now in a few words for the status line ("CPU
	 * crit 98 %"), or NULL when nothing is. Caller frees. */
	char *(*hint)(const void *data);
	/* Where the hint stands among the status line's causes, lower first:
	 * what changed (deploys 10), what broke (cdn 20, database 30, checks
	 * 40, alerts 50), what the change put at risk (backups 55: no backup
	 * since the deploy, for the rollback decision), then what it did (logs
	 * 60, metrics 70: HINT_SYMPTOM and up). 0: after every other. */
	int hint_rank;
	/* Optional: the pane's health, the worst level of what it shows (a
	 * storm is crit, a warning series warn); NULL: LEVEL_OK with data. The
	 * frame, the status bar and --once's "health" say it. */
	enum level (*level)(const void *data);
	const struct verb *const *verbs; /* the kind's verbs, each declared in its model header */
	size_t nverbs;
};

const struct kind_ops *kind_find(const char *name);
/* Every kind name, for config error messages: "metrics, logs, ...". */
const char *kind_names(void);
/* The kinds in table order; NULL past the end. */
const struct kind_ops *kind_at(size_t i);
/* The verb called name in any kind (and its kind in *kind when not NULL). */
const struct verb *kind_verb_find(const char *name, const struct kind_ops **kind);
/* The verb of a given kind, or NULL. */
const struct verb *kind_verb(const struct kind_ops *kind, const char *name);
/* True when v is one of kind's verbs. */
bool kind_has_verb(const struct kind_ops *kind, const struct verb *v);

extern const struct kind_ops kind_metrics;
extern const struct kind_ops kind_logs;
extern const struct kind_ops kind_alerts;
extern const struct kind_ops kind_cdn;
extern const struct kind_ops kind_deploys;
extern const struct kind_ops kind_database;
extern const struct kind_ops kind_timeline;
extern const struct kind_ops kind_checks;
extern const struct kind_ops kind_backups;
extern const struct kind_ops kind_empty; /* the note source, and kinds without a model */

#endif
