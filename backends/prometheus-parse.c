/* prometheus-parse: Prometheus API answers into plain C series (see
 * prometheus-parse.h). Every field's type is checked before use; numbers
 * arrive as strings ("NaN", "+Inf") and are parsed strictly. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/prometheus-parse.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

#define PROM_MAX_POINTS 11000

bool prom_parse_value(const char *text, double *out)
{
	if (text == NULL || *text == '\0')
		return false;
	char *end;
	double v = strtod(text, &end);
	if (*end != '\0')
		return false;
	*out = v;
	return true;
}

double prom_step(double window_s, size_t points)
{
	if (points == 0)
		points = 60;
	if (points > PROM_MAX_POINTS - 1)
		points = PROM_MAX_POINTS - 1;
	double step = ceil(window_s / (double)points);
	if (step < 1)
		step = 1;
	while (window_s / step + 1 > PROM_MAX_POINTS)
		step++;
	return step;
}

void prom_result_free(struct prom_result *r)
{
	for (size_t i = 0; i < r->nseries; i++) {
		struct prom_series *s = &r->series[i];
		for (size_t j = 0; j < s->nlabels; j++) {
			free(s->labels[j].name);
			free(s->labels[j].value);
		}
		free(s->labels);
		free(s->key);
		free(s->points);
	}
	free(r->series);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

static int prom_fail(struct prom_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int prom_fail(struct prom_result *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	out->error = sanitize_vprintf(1000, fmt, ap);
	va_end(ap);
	return -1;
}

static int prom_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct prom_label *)a)->name, ((const struct prom_label *)b)->name);
}

static void prom_read_metric(struct prom_series *s, const cJSON *metric)
{
	const cJSON *item;
	size_t n = 0;
	cJSON_ArrayForEach(item, metric) n++;
	s->labels = xcalloc(n + 1, sizeof(*s->labels));
	cJSON_ArrayForEach(item, metric)
	{
		if (!cJSON_IsString(item) || item->valuestring == NULL || item->string == NULL)
			continue;
		if (strcmp(item->string, "__name__") == 0)
			continue;
		s->labels[s->nlabels].name = sanitize_str(item->string);
		s->labels[s->nlabels].value = sanitize_str(item->valuestring);
		s->nlabels++;
	}
	qsort(s->labels, s->nlabels, sizeof(*s->labels), prom_label_cmp);
	size_t klen = 1;
	for (size_t i = 0; i < s->nlabels; i++)
		klen += strlen(s->labels[i].name) + strlen(s->labels[i].value) + 2;
	s->key = xmalloc(klen);
	s->key[0] = '\0';
	char *p = s->key;
	for (size_t i = 0; i < s->nlabels; i++)
		p += sprintf(p, "%s%s=%s", i > 0 ? "," : "", s->labels[i].name, s->labels[i].value);
}

/* A sample [time, "value"]. */
static bool prom_read_sample(const cJSON *pair, double *t, double *v)
{
	if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
		return false;
	const cJSON *ts = cJSON_GetArrayItem(pair, 0);
	const cJSON *val = cJSON_GetArrayItem(pair, 1);
	if (!cJSON_IsNumber(ts) || !cJSON_IsString(val))
		return false;
	*t = ts->valuedouble;
	return prom_parse_value(val->valuestring, v);
}

/* The common envelope: status, errors, data.resultType. Returns data.result or NULL. */
static const cJSON *prom_envelope(const cJSON *root, const char *body, size_t len, long http_status,
                                  struct prom_result *out, const char **type)
{
	if (root == NULL || !cJSON_IsObject(root)) {
		if (http_status != 0 && http_status != 200) {
			char *text = sanitize(body, len, 160);
			prom_fail(out, "HTTP %ld: %s", http_status, text[0] != '\0' ? text : "(empty body)");
			free(text);
		} else {
			prom_fail(out, "malformed JSON in the response");
		}
		return NULL;
	}
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
	if (!cJSON_IsString(status)) {
		prom_fail(out, "response without a status");
		return NULL;
	}
	out->api_answer = true;
	if (strcmp(status->valuestring, "success") != 0) {
		const cJSON *etype = cJSON_GetObjectItemCaseSensitive(root, "errorType");
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
		prom_fail(out, "%s: %s", cJSON_IsString(etype) ? etype->valuestring : "error",
		          cJSON_IsString(err) ? err->valuestring : "(no message)");
		return NULL;
	}
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *rtype = cJSON_GetObjectItemCaseSensitive(data, "resultType");
	const cJSON *result = cJSON_GetObjectItemCaseSensitive(data, "result");
	if (!cJSON_IsObject(data) || !cJSON_IsString(rtype) || result == NULL) {
		prom_fail(out, "response without data.result");
		return NULL;
	}
	*type = rtype->valuestring;
	return result;
}

/* An instant query's data.result: a scalar, or a vector of series. */
static int prom_read_instant(const cJSON *result, const char *type, struct prom_result *out)
{
	if (strcmp(type, "scalar") == 0) {
		double t, v;
		if (!prom_read_sample(result, &t, &v))
			return prom_fail(out, "malformed scalar");
		out->series = xcalloc(1, sizeof(*out->series));
		out->series[0].key = xstrdup("");
		out->series[0].value = v;
		out->nseries = 1;
		return 0;
	}
	if (strcmp(type, "vector") != 0 || !cJSON_IsArray(result))
		return prom_fail(out, "a %s result cannot be shown as a number (use a vector or scalar)",
		                 type);
	size_t n = (size_t)cJSON_GetArraySize(result);
	out->series = xcalloc(n + 1, sizeof(*out->series));
	const cJSON *item;
	cJSON_ArrayForEach(item, result)
	{
		const cJSON *metric = cJSON_GetObjectItemCaseSensitive(item, "metric");
		const cJSON *value = cJSON_GetObjectItemCaseSensitive(item, "value");
		double t, v;
		if (!cJSON_IsObject(metric) || !prom_read_sample(value, &t, &v))
			continue;
		struct prom_series *s = &out->series[out->nseries++];
		prom_read_metric(s, metric);
		s->value = v;
	}
	return 0;
}

int prom_parse_query(const char *body, size_t len, long http_status, struct prom_result *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = cJSON_ParseWithLength(body, len);
	const char *type = NULL;
	const cJSON *result = prom_envelope(root, body, len, http_status, out, &type);
	int rc = result != NULL ? prom_read_instant(result, type, out) : -1;
	cJSON_Delete(root);
	return rc;
}

/* A range query's data.result, a matrix: each series' samples placed on the
 * grid of npoints slots from start by step (a slot without a sample is NaN). */
static int prom_read_range(const cJSON *result, const char *type, double start, double step, size_t npoints,
                           struct prom_result *out)
{
	if (strcmp(type, "matrix") != 0 || !cJSON_IsArray(result))
		return prom_fail(out, "unexpected %s result for a range query", type);
	size_t n = (size_t)cJSON_GetArraySize(result);
	out->series = xcalloc(n + 1, sizeof(*out->series));
	const cJSON *item;
	cJSON_ArrayForEach(item, result)
	{
		const cJSON *metric = cJSON_GetObjectItemCaseSensitive(item, "metric");
		const cJSON *values = cJSON_GetObjectItemCaseSensitive(item, "values");
		if (!cJSON_IsObject(metric) || !cJSON_IsArray(values))
			continue;
		struct prom_series *s = &out->series[out->nseries++];
		prom_read_metric(s, metric);
		s->value = NAN;
		s->npoints = npoints;
		s->points = xmalloc((npoints + 1) * sizeof(double));
		for (size_t i = 0; i < npoints; i++)
			s->points[i] = NAN;
		const cJSON *pair;
		cJSON_ArrayForEach(pair, values)
		{
			double t, v;
			if (!prom_read_sample(pair, &t, &v) || step <= 0)
				continue;
			double slot = floor((t - start) / step + 0.5);
			if (slot < 0 || slot >= (double)npoints)
				continue;
			s->points[(size_t)slot] = v;
			s->value = v;
		}
	}
	return 0;
}

int prom_parse_range(const char *body, size_t len, long http_status, double start, double step,
                     size_t npoints, struct prom_result *out)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = cJSON_ParseWithLength(body, len);
	const char *type = NULL;
	const cJSON *result = prom_envelope(root, body, len, http_status, out, &type);
	int rc = result != NULL ? prom_read_range(result, type, start, step, npoints, out) : -1;
	cJSON_Delete(root);
	return rc;
}
