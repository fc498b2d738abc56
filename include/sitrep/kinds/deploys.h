/* deploys: the data model of a deploys pane (kind "deploys"), filled by the
 * deploy sources (releases, git, jsonl, helm, kubectl). A deploy is one
 * release, tag, revision or pipeline run: its id, time, author, message and
 * status; the one that runs now is marked current. Deploys are kept newest
 * first. Every string is sanitized when it enters the model.
 *
 * The parsers of outside text that more than one file needs (Capistrano's
 * revisions.log, Deployer's .dep/releases_log, a REVISION_TIME) live beside
 * the model so the unit tests and the fuzz target reach them. */
#ifndef SITREP_DEPLOYS_H
#define SITREP_DEPLOYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kind_ops;
struct pane_ops;

struct deploy {
	char *id;        /* release name, tag, revision number or commit */
	int64_t time;    /* wall clock, unix seconds; 0 unknown */
	char *author;    /* "" unknown */
	char *message;   /* commit subject, change-cause, chart; "" none */
	char *status;    /* as the backend names it ("deployed", "failed", "bad", "ok"), "" none */
	char *revision;  /* the commit it was built from, "" unknown */
	char *branch;    /* "" unknown */
	char *version;   /* what it runs when the backend says: helm's chart and app
	                    version, a deployment's images; "" unknown */
	bool current;    /* the one running now */
	bool bad;        /* marked bad or failed, or its files are gone: rollback refuses it */
	bool id_altered; /* the sanitizer changed the backend's id: the name shown names nothing
	                    the backend has, so it is never an action's target */
};

struct deploys_data {
	struct deploy *deploys; /* newest first (deploys_sort) */
	size_t n;
	char *current; /* the current deploy's id, NULL unknown */
	char
	    *path; /* what the source reads (a directory, a release name), for the text output; may be NULL */
};

/* Allocates an empty model; free with deploys_data_free. */
struct deploys_data *deploys_data_new(void);
void deploys_data_free(void *data);
/* Frees one entry's strings and zeroes it. */
void deploys_entry_clear(struct deploy *p);
/* Appends a deploy with id (sanitized), every other text ""; the pointer is
 * valid until the next add. */
struct deploy *deploys_add(struct deploys_data *d, const char *id);
/* Replaces *field with raw text, sanitized; len may be (size_t)-1 for a C string. */
void deploys_set(char **field, const char *raw, size_t len);
/* The deploy called id, or NULL. */
struct deploy *deploys_find(const struct deploys_data *d, const char *id);
/* Marks the deploy called id current (and only it); sets d->current. */
void deploys_set_current(struct deploys_data *d, const char *id);
/* Newest first: by name in natural order ("r10" after "r9", Capistrano's
 * timestamps) when by_name, else by time, ties by name. */
void deploys_sort(struct deploys_data *d, bool by_name);
/* Natural order of release names: runs of digits compare as numbers. */
int deploys_name_cmp(const char *a, const char *b);
/* Why p can never be an action's target (its id begins with '-', so a
 * command would read it as an option; or the id shown is not the backend's
 * bytes), NULL when it can be. A static string. */
const char *deploys_not_target(const struct deploy *p);
/* The deploy a plain rollback goes to: the newest one older than the
 * current that is neither bad nor refused by deploys_not_target. NULL when
 * there is none (or no current). */
const struct deploy *deploys_previous_good(const struct deploys_data *d);

/* "20240521221400" (Capistrano's release names), "2024-05-21T22:14:00Z",
 * "2024-05-21 22:14:00 +0200", or unix seconds -> unix seconds; 0 when it
 * is none of those. */
int64_t deploys_parse_time(const char *text, size_t len);
/* Capistrano's revisions.log: "Branch main (at 1a2b3c4) deployed as release
 * 20240521221400 by alice" and "alice rolled back to release 2024...".
 * Fills branch, revision and author of the deploys it names. Returns the
 * number of lines understood. */
size_t deploys_parse_revisions_log(struct deploys_data *d, const char *text, size_t len);
/* Deployer's .dep/releases_log: JSON lines {created_at, release_name, user,
 * target}. Fills time, author and branch of the deploys it names. Returns
 * the number of lines understood. */
size_t deploys_parse_releases_log(struct deploys_data *d, const char *text, size_t len);

extern const struct kind_ops kind_deploys;
/* The pane that draws it (tui/pane-deploys.c). */
extern const struct pane_ops pane_deploys;

/* The deploys kind's verbs (kinds/kind-deploys.c). */
extern const struct verb kind_deploys_restart;
extern const struct verb kind_deploys_rollback;

#endif
