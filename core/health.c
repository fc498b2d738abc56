/* health: a pane's level from its kind (kind_ops.level), the overall level,
 * and the causes the status line and `--once --json` show. One place, so
 * the screen and the JSON a bot reads can never disagree. */
#include <limits.h>
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

/* Causes before symptoms: a kind says where its hint stands
 * (kind_ops.hint_rank); 0 goes after every ranked kind. */
static int health_rank(const struct kind_ops *kind)
{
	return kind->hint_rank > 0 ? kind->hint_rank : INT_MAX;
}

/* The ranks in use, ascending and distinct; their count. */
static size_t health_ranks(const struct source *srcs, size_t nsrcs, int *ranks)
{
	size_t n = 0;
	for (size_t i = 0; i < nsrcs; i++) {
		const struct kind_ops *k = srcs[i].snap.kind;
		if (k == NULL || k->hint == NULL)
			continue;
		int r = health_rank(k);
		size_t at = 0;
		while (at < n && ranks[at] < r)
			at++;
		if (at < n && ranks[at] == r)
			continue;
		memmove(&ranks[at + 1], &ranks[at], (n - at) * sizeof(*ranks));
		ranks[at] = r;
		n++;
	}
	return n;
}

void health_causes(const struct source *srcs, size_t nsrcs, char ***out, size_t *n, bool *cause)
{
	*out = NULL;
	*n = 0;
	if (cause != NULL)
		*cause = false;
	/* by rank, and within a rank the critical panes first */
	int *ranks = xcalloc(nsrcs > 0 ? nsrcs : 1, sizeof(*ranks));
	size_t nranks = health_ranks(srcs, nsrcs, ranks);
	for (size_t pass = 0; pass < 2 * nranks; pass++) {
		int rank = ranks[pass / 2];
		bool crit_pass = pass % 2 == 0;
		for (size_t i = 0; i < nsrcs; i++) {
			const struct snapshot *snap = &srcs[i].snap;
			if (snap->data == NULL || snap->kind == NULL || snap->kind->hint == NULL ||
			    health_rank(snap->kind) != rank ||
			    (health_of(&srcs[i]) == LEVEL_CRIT) != crit_pass)
				continue;
			char *h = snap->kind->hint(snap->data);
			if (h == NULL)
				continue;
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = xasprintf("%s: %s", srcs[i].cfg->id, h);
			free(h);
			if (cause != NULL && rank < HINT_SYMPTOM)
				*cause = true;
		}
	}
	free(ranks);
}

void health_causes_free(char **causes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(causes[i]);
	free(causes);
}
