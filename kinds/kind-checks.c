/* kind-checks: the checks model (checks.h) and its --once output. JSON follows
 * schema version 1 ({ "checks": [ { name, target, ok, status, latency_ms,
 * reason, history } ] }); "type", "checked" and "tls_days_left" are
 * compatible additions. A check that turns failing, and one that recovers,
 * is an event (the timeline and the status hint show it). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "sitrep/core/app.h"
#include "sitrep/kinds/checks.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

/* A config text quoted in a reason: sanitized and kept short. */
#define CHECKS_QUOTE_MAX 60
/* Bounds on one regex match, so a pattern that backtracks badly on a
 * hostile body costs a failed check, not the loop. */
#define CHECKS_MATCH_LIMIT 1000000
#define CHECKS_DEPTH_LIMIT 10000

int checks_expect_regex(struct check_expect *e, const char *pattern, char *err, size_t cap)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                               PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (re == NULL) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof(msg));
		snprintf(err, cap, "bad regex at offset %zu: %s", (size_t)off, (const char *)msg);
		return -1;
	}
	if (e->re != NULL)
		pcre2_code_free(e->re);
	e->re = re;
	free(e->regex);
	e->regex = xstrdup(pattern);
	return 0;
}

void checks_expect_clear(struct check_expect *e)
{
	free(e->text);
	free(e->regex);
	if (e->re != NULL)
		pcre2_code_free(e->re);
	memset(e, 0, sizeof(*e));
}

/* 1 matched, 0 not, -1 the match gave up (limits) or failed. */
static int checks_regex_match(const struct check_expect *e, const char *body, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create_from_pattern(e->re, NULL);
	pcre2_match_context *mc = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mc, CHECKS_MATCH_LIMIT);
	pcre2_set_depth_limit(mc, CHECKS_DEPTH_LIMIT);
	int rc = pcre2_match(e->re, (PCRE2_SPTR)body, len, 0, 0, md, mc);
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

bool checks_judge(const struct check_expect *e, bool http, long status, const char *body, size_t len,
                  bool truncated, double latency_ms, char **reason)
{
	*reason = NULL;
	char *why = NULL;
	const char *cut = truncated ? " in the first part read" : "";
	if (http && e->status != 0 && status != e->status) {
		why = xasprintf("status %ld, expected %ld", status, e->status);
	} else if (http && e->status == 0 && status >= 400) {
		why = xasprintf("status %ld", status);
	} else if (http && e->text != NULL &&
	           (body == NULL || memmem(body, len, e->text, strlen(e->text)) == NULL)) {
		char *q = sanitize(e->text, strlen(e->text), CHECKS_QUOTE_MAX);
		why = xasprintf("status %ld but \"%s\" missing%s", status, q, cut);
		free(q);
	} else if (http && e->re != NULL) {
		int m = checks_regex_match(e, body != NULL ? body : "", body != NULL ? len : 0);
		if (m <= 0) {
			char *q = sanitize(e->regex, strlen(e->regex), CHECKS_QUOTE_MAX);
			why = m == 0 ? xasprintf("status %ld but /%s/ not found%s", status, q, cut)
			             : xasprintf("status %ld but /%s/ gave up (match limit)", status, q);
			free(q);
		}
	}
	if (why == NULL && e->max_latency_ms > 0 && latency_ms > e->max_latency_ms)
		why = xasprintf("%.0f ms > %.0f ms", latency_ms, e->max_latency_ms);
	if (why == NULL)
		return true;
	*reason = sanitize(why, strlen(why), 0);
	free(why);
	return false;
}

struct checks_data *checks_data_new(size_t n)
{
	struct checks_data *d = xcalloc(1, sizeof(*d));
	d->checks = n > 0 ? xcalloc(n, sizeof(*d->checks)) : NULL;
	d->nchecks = n;
	for (size_t i = 0; i < n; i++) {
		d->checks[i].latency_ms = -1;
		d->checks[i].tls_days = -1;
	}
	return d;
}

void checks_data_free(void *data)
{
	struct checks_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nchecks; i++) {
		free(d->checks[i].name);
		free(d->checks[i].target);
		free(d->checks[i].reason);
		free(d->checks[i].history);
	}
	free(d->checks);
	free(d);
}

size_t checks_failing(const struct checks_data *d)
{
	size_t n = 0;
	for (size_t i = 0; d != NULL && i < d->nchecks; i++)
		n += d->checks[i].checked && !d->checks[i].ok;
	return n;
}

const struct check *checks_find(const struct checks_data *d, const char *name)
{
	for (size_t i = 0; d != NULL && name != NULL && i < d->nchecks; i++)
		if (strcmp(d->checks[i].name, name) == 0)
			return &d->checks[i];
	return NULL;
}

static cJSON *kind_checks_json(const void *data)
{
	const struct checks_data *d = data;
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "checks");
	for (size_t i = 0; d != NULL && i < d->nchecks; i++) {
		const struct check *c = &d->checks[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "name", c->name);
		cJSON_AddStringToObject(j, "target", c->target);
		cJSON_AddStringToObject(j, "type", c->type == CHECK_TCP ? "tcp" : "http");
		cJSON_AddBoolToObject(j, "checked", c->checked);
		cJSON_AddBoolToObject(j, "ok", c->checked && c->ok);
		if (c->status > 0)
			cJSON_AddNumberToObject(j, "status", (double)c->status);
		else
			cJSON_AddNullToObject(j, "status");
		if (c->latency_ms >= 0)
			cJSON_AddNumberToObject(j, "latency_ms", round(c->latency_ms * 10) / 10);
		else
			cJSON_AddNullToObject(j, "latency_ms");
		if (c->reason != NULL)
			cJSON_AddStringToObject(j, "reason", c->reason);
		else if (!c->checked)
			cJSON_AddStringToObject(j, "reason", "not checked yet");
		else
			cJSON_AddNullToObject(j, "reason");
		if (c->tls_days >= 0)
			cJSON_AddNumberToObject(j, "tls_days_left", c->tls_days);
		else
			cJSON_AddNullToObject(j, "tls_days_left");
		cJSON *h = cJSON_AddArrayToObject(j, "history");
		for (size_t k = 0; k < c->nhistory; k++)
			cJSON_AddItemToArray(h, isnan(c->history[k])
			                            ? cJSON_CreateNull()
			                            : cJSON_CreateNumber(round(c->history[k] * 10) / 10));
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

static void *kind_checks_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	const cJSON *arr = kindjson_array(json, "checks"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	struct checks_data *d = checks_data_new(n);
	size_t i = 0;
	cJSON_ArrayForEach(j, arr)
	{
		struct check *c = &d->checks[i++];
		c->name = kindjson_str(j, "name", "");
		c->target = kindjson_str(j, "target", "");
		char *type = kindjson_str(j, "type", "http");
		c->type = strcmp(type, "tcp") == 0 ? CHECK_TCP : CHECK_HTTP;
		free(type);
		c->checked = kindjson_bool(j, "checked", true);
		c->ok = kindjson_bool(j, "ok", false);
		c->status = (long)kindjson_num(j, "status", 0);
		c->latency_ms = kindjson_num(j, "latency_ms", -1);
		c->reason = c->checked ? kindjson_str(j, "reason", NULL) : NULL;
		c->tls_days = (int)kindjson_num(j, "tls_days_left", -1);
		free(c->history);
		c->history = kindjson_doubles(j, "history", CHECKS_HISTORY, &c->nhistory);
	}
	d->nchecks = i;
	return d;
}

static void kind_checks_print(const void *data, FILE *out)
{
	const struct checks_data *d = data;
	if (d->nchecks == 0)
		fprintf(out, "  no checks\n");
	for (size_t i = 0; i < d->nchecks; i++) {
		const struct check *c = &d->checks[i];
		char lat[24] = "-";
		if (c->latency_ms >= 0)
			snprintf(lat, sizeof(lat), "%.0f ms", c->latency_ms);
		char status[24] = "-";
		if (c->status > 0)
			snprintf(status, sizeof(status), "%ld", c->status);
		const char *word = !c->checked ? "wait" : c->ok ? "ok" : "FAIL";
		fprintf(out, "  %-4s %-20s %3s %8s  %s", word, c->name, status, lat, c->target);
		if (c->reason != NULL)
			fprintf(out, "  (%s)", c->reason);
		fputc('\n', out);
	}
}

/* A check that fails now and did not before (or had no result) is an event,
 * and so is one that works again; a check seen failing at start is one too,
 * since the timeline needs the failure the incident begins with. */
static void kind_checks_diff(struct source *src, const void *old, const void *now)
{
	const struct checks_data *o = old, *n = now;
	for (size_t i = 0; n != NULL && i < n->nchecks; i++) {
		const struct check *c = &n->checks[i];
		if (!c->checked)
			continue;
		const struct check *before = checks_find(o, c->name);
		bool was_failing = before != NULL && before->checked && !before->ok;
		bool was_ok = before != NULL && before->checked && before->ok;
		char *key = xasprintf("check:%s", c->name);
		if (!c->ok && !was_failing)
			app_state(src->app, src, "status", EVENT_CRIT, c->name, key, "check %s failing: %s",
			          c->name, c->reason != NULL ? c->reason : "failed");
		else if (c->ok && was_failing && !was_ok)
			app_state(src->app, src, "status", EVENT_OK, c->name, key,
			          "check %s ok again (%.0f ms)", c->name, c->latency_ms);
		free(key);
	}
}

static char *kind_checks_hint(const void *data)
{
	const struct checks_data *d = data;
	size_t failing = checks_failing(d);
	const struct check *first = NULL;
	for (size_t i = 0; d != NULL && i < d->nchecks && first == NULL; i++)
		if (d->checks[i].checked && !d->checks[i].ok)
			first = &d->checks[i];
	if (first == NULL)
		return NULL;
	const char *why = first->reason != NULL ? first->reason : "failed";
	return failing == 1 ? xasprintf("check %s failing: %s", first->name, why)
	                    : xasprintf("%zu checks failing, %s first: %s", failing, first->name, why);
}

/* A failing check is crit: users see that failure. */
static enum level kind_checks_level(const void *data)
{
	return checks_failing(data) > 0 ? LEVEL_CRIT : LEVEL_OK;
}

const struct kind_ops kind_checks = {
    .name = "checks",
    .hint_rank = 40,
    .default_source = "http",
    .free = checks_data_free,
    .to_json = kind_checks_json,
    .from_json = kind_checks_from_json,
    .print = kind_checks_print,
    .diff = kind_checks_diff,
    .hint = kind_checks_hint,
    .level = kind_checks_level,
};
