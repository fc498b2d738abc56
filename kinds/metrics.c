/* metrics: building and freeing the metrics model. Names and labels are
 * sanitized on the way in, so the model only ever holds inert text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/kinds/metrics.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

struct metrics_data *metrics_data_new(void)
{
	return xcalloc(1, sizeof(struct metrics_data));
}

static void metrics_series_free(struct metric_series *s)
{
	free(s->name);
	free(s->unit);
	for (size_t i = 0; i < s->nlabels; i++) {
		free(s->labels[i].name);
		free(s->labels[i].value);
	}
	free(s->labels);
	free(s->history);
	free(s->detail);
	free(s->error);
}

void metrics_data_free(void *data)
{
	struct metrics_data *m = data;
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nseries; i++)
		metrics_series_free(&m->series[i]);
	free(m->series);
	free(m->cores);
	for (size_t i = 0; i < m->nprocs; i++) {
		free(m->procs[i].name);
		free(m->procs[i].cmdline);
		free(m->procs[i].user);
	}
	free(m->procs);
	free(m);
}

struct metric_series *metrics_add_series(struct metrics_data *m, const char *name, const char *unit)
{
	m->series = xrealloc(m->series, (m->nseries + 1) * sizeof(*m->series));
	struct metric_series *s = &m->series[m->nseries++];
	*s = (struct metric_series){0};
	s->name = sanitize(name, strlen(name), 200);
	s->unit = sanitize_str(unit != NULL ? unit : "");
	s->value = NAN;
	return s;
}

void metrics_add_label(struct metric_series *s, const char *name, const char *value)
{
	s->labels = xrealloc(s->labels, (s->nlabels + 1) * sizeof(*s->labels));
	s->labels[s->nlabels].name = sanitize(name, strlen(name), 200);
	s->labels[s->nlabels].value = sanitize(value, strlen(value), 400);
	s->nlabels++;
}

void metrics_set_history(struct metric_series *s, const double *values, size_t n)
{
	free(s->history);
	s->history = NULL;
	s->nhistory = n;
	if (n > 0) {
		s->history = xmalloc(n * sizeof(double));
		memcpy(s->history, values, n * sizeof(double));
	}
}

enum level metrics_level(double value, bool has_warn, double warn, bool has_crit, double crit)
{
	if (isnan(value))
		return LEVEL_UNKNOWN;
	if (has_crit && value >= crit)
		return LEVEL_CRIT;
	if (has_warn && value >= warn)
		return LEVEL_WARN;
	return LEVEL_OK;
}

void metrics_set_value(struct metric_series *s, double value)
{
	s->has_value = true;
	s->value = value;
	s->status = metrics_level(value, s->has_warn, s->warn, s->has_crit, s->crit);
}

const char *metrics_level_name(enum level level)
{
	switch (level) {
	case LEVEL_OK: return "ok";
	case LEVEL_WARN: return "warn";
	case LEVEL_CRIT: return "crit";
	case LEVEL_UNKNOWN: break;
	}
	return "unknown";
}
