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

struct action;
struct source;

/* How a verb is confirmed in the dashboard and by `sitrep do` without --yes. */
enum verb_confirm {
	VERB_CONFIRM_Y,     /* y confirms */
	VERB_CONFIRM_TYPED, /* the target's name must be typed (rollback, terminate, purge everything) */
};

/* A verb: something a kind's pane can do, through the action gate. */
struct verb {
	const char *name;    /* "silence": the "keys" name, and `sitrep do NAME` when cli */
	const char *key;     /* default key spec: "s" */
	const char *args;    /* argument syntax after `sitrep do NAME`: "ALERTNAME [--for DURATION]" */
	const char *help;    /* one line: "silence the selected alert" */
	enum verb_confirm confirm;
	/* What one target is called, and several ("asset", "assets"), for the
	 * dashboard's prompt "y: purge 40 assets"; NULL: the prompt names the
	 * target instead. */
	const char *noun;
	const char *nouns;
	bool cli;            /* a `sitrep do` verb of its own (purge_all is `do purge --all`) */
	/* `sitrep do NAME ARGS...`: fills the action's target, selection and
	 * args from argv (the words after the verb, --pane and --yes removed).
	 * 0, or -1 with a usage message in err. NULL: no arguments taken. */
	int (*parse)(struct action *a, int argc, char **argv, char *err, size_t cap);
	/* What will happen, in words, from the action's target, selection and
	 * args: "silence HighCPU for 2h". Sanitized; caller frees. The exact
	 * effect (URL, argv) is the source's to add (source_ops.prepare). */
	char *(*describe)(const struct action *a);
};

struct kind_ops {
	const char *name;
	/* The source a pane of this kind gets when the config names none
	 * (logs: "logs", timeline: "events"); NULL: "source" is required. */
	const char *default_source;
	void (*free)(void *data);
	/* The "data" object of --once --json (schema version 1); data NULL (nothing
	 * fetched yet) gives the kind's empty shape, e.g. { "series": [] }. */
	cJSON *(*to_json)(const void *data);
	/* Plain --once output, a few indented lines. */
	void (*print)(const void *data, FILE *out);
	/* Optional: publishes the events a new snapshot means next to the
	 * previous one (old NULL the first time): a series crossing a threshold,
	 * an alert firing or resolved. Called by source_publish before old is freed. */
	void (*diff)(struct source *src, const void *old, const void *now);
	/* Optional: what is wrong now in a few words for the status line ("CPU
	 * crit 98 %"), or NULL when nothing is. Caller frees. */
	char *(*hint)(const void *data);
	const struct verb *verbs;
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
