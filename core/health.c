/* health: a pane's level from its kind (kind_ops.level), the overall level,
 * and the causes the status line and `--once --json` show. One place, so
 * the screen and the JSON a bot reads can never disagree. */
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/health.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

enum level health_of(const struct source *src)
{
	const struct snapshot *snap = &src->snap;
	if (snap->data == NULL || snap->updated_ms == 0)
		return LEVEL_UNKNOWN;
	if (snap->kind == NULL || snap->kind->level == NULL)
		return LEVEL_OK;
	return snap->kind->level(snap->data);
}

const char *health_word(enum level level)
{
	switch (level) {
	case LEVEL_OK: return "ok";
	case LEVEL_WARN: return "warn";
	case LEVEL_CRIT: return "crit";
	default: return "unknown";
	}
}

enum level health_counted(const struct source *src, enum pane_state state)
{
	enum level l = health_of(src);
	/* a note-only pane (no refresh, no data by design) has nothing to be wrong */
	if (state == PANE_INIT && src->ops != NULL && src->ops->refresh == NULL && src->ops->start == NULL)
		return LEVEL_OK;
	if (state != PANE_OK && l < LEVEL_WARN)
		return LEVEL_WARN;
	return l;
}

enum level health_overall(const struct source *srcs, size_t n, uint64_t now_ms)
{
	enum level worst = LEVEL_OK;
	for (size_t i = 0; i < n; i++) {
		enum level l = health_counted(&srcs[i], snapshot_state(&srcs[i].snap, now_ms, 0));
		if (l > worst)
			worst = l;
	}
	return worst;
}

/* Causes before symptoms: what changed and broke comes first, what it did
 * to the host and the logs after. Kinds not listed come last. */
static const char *const health_order[] = {"deploys", "cdn",  "database", "checks",
                                           "alerts",  "logs", "metrics"};

static int health_rank(const char *kind)
{
	for (size_t i = 0; i < ARRAY_LEN(health_order); i++)
		if (strcmp(health_order[i], kind) == 0)
			return (int)i;
	return (int)ARRAY_LEN(health_order);
}

void health_causes(const struct source *srcs, size_t nsrcs, char ***out, size_t *n, bool *cause)
{
	*out = NULL;
	*n = 0;
	if (cause != NULL)
		*cause = false;
	/* by kind, and within a kind the critical panes first */
	for (int pass = 0; pass < 2 * ((int)ARRAY_LEN(health_order) + 1); pass++) {
		int rank = pass / 2;
		bool crit_pass = pass % 2 == 0;
		for (size_t i = 0; i < nsrcs; i++) {
			const struct snapshot *snap = &srcs[i].snap;
			if (snap->data == NULL || snap->kind == NULL || snap->kind->hint == NULL ||
			    health_rank(snap->kind->name) != rank ||
			    (health_of(&srcs[i]) == LEVEL_CRIT) != crit_pass)
				continue;
			char *h = snap->kind->hint(snap->data);
			if (h == NULL)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = xasprintf("%s: %s", srcs[i].cfg->id, h);
			free(h);
			if (cause != NULL && rank < health_rank("logs"))
				*cause = true;
		}
	}
}

void health_causes_free(char **causes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(causes[i]);
	free(causes);
}
