/* alertmanager-parse: Alertmanager API v2 answers (see alertmanager-parse.h).
 * Every field's type is checked before use; an alert missing optional parts
 * (no severity, no annotations) still shows. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backends/alertmanager-parse.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

time_t am_parse_time(const char *text)
{
	struct tm tm = {0};
	if (text == NULL)
		return 0;
	const char *p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return 0;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	time_t t = timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return t;
	int hh, mm;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) {
		long off = hh * 3600L + mm * 60L;
		return *p == '+' ? t - off : t + off;
	}
	return 0;
}

static char *am_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	return sanitize_str(cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : "");
}

static int am_label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* An error text from an Alertmanager error body: a JSON string, an object with
 * "message", or the first bytes of whatever came. */
static char *am_error_text(const char *body, size_t len, long http_status)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const char *msg = NULL;
	if (cJSON_IsString(root))
		msg = root->valuestring;
	else if (cJSON_IsObject(root)) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
		if (cJSON_IsString(m))
			msg = m->valuestring;
	}
	char *raw;
	if (msg != NULL)
		raw = xasprintf("HTTP %ld: %s", http_status, msg);
	else if (len > 0) {
		char *t = sanitize(body, len, 160);
		raw = xasprintf("HTTP %ld: %s", http_status, t);
		free(t);
	} else
		raw = xasprintf("HTTP %ld", http_status);
	cJSON_Delete(root);
	char *out = sanitize(raw, strlen(raw), 300);
	free(raw);
	return out;
}

void am_raw_free(struct am_raw *raw, size_t n)
{
	for (size_t i = 0; raw != NULL && i < n; i++) {
		free(raw[i].fingerprint);
		for (size_t j = 0; j < raw[i].nlabels; j++) {
			free(raw[i].labels[j].name);
			free(raw[i].labels[j].value);
		}
		free(raw[i].labels);
	}
	free(raw);
}

static void am_read_alert(const cJSON *item, struct alert *a, struct am_raw *r)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(item, "labels");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(item, "annotations");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(item, "status");
	const cJSON *l;
	size_t n = 0;
	if (cJSON_IsObject(labels))
		cJSON_ArrayForEach(l, labels) n++;
	a->labels = xcalloc(n + 1, sizeof(*a->labels));
	if (r != NULL)
		r->labels = xcalloc(n + 1, sizeof(*r->labels));
	if (cJSON_IsObject(labels)) {
		cJSON_ArrayForEach(l, labels)
		{
			if (!cJSON_IsString(l) || l->valuestring == NULL || l->string == NULL)
				continue;
			a->labels[a->nlabels].name = sanitize_str(l->string);
			a->labels[a->nlabels].value = sanitize_str(l->valuestring);
			a->nlabels++;
			if (r != NULL) {
				r->labels[r->nlabels].name = xstrdup(l->string);
				r->labels[r->nlabels].value = xstrdup(l->valuestring);
				r->nlabels++;
			}
		}
	}
	qsort(a->labels, a->nlabels, sizeof(*a->labels), am_label_cmp);
	a->name = am_str(labels, "alertname");
	a->severity = am_str(labels, "severity");
	a->summary = am_str(ann, "summary");
	if (a->summary[0] == '\0') {
		free(a->summary);
		a->summary = am_str(ann, "description");
	}
	a->fingerprint = am_str(item, "fingerprint");
	if (r != NULL)
		r->fingerprint = xstrdup(a->fingerprint);
	a->state = am_str(status, "state");
	const cJSON *starts = cJSON_GetObjectItemCaseSensitive(item, "startsAt");
	a->since = cJSON_IsString(starts) ? am_parse_time(starts->valuestring) : 0;
	const cJSON *sil = cJSON_GetObjectItemCaseSensitive(status, "silencedBy");
	const cJSON *inh = cJSON_GetObjectItemCaseSensitive(status, "inhibitedBy");
	a->silenced = cJSON_IsArray(sil) && cJSON_GetArraySize(sil) > 0;
	a->inhibited = cJSON_IsArray(inh) && cJSON_GetArraySize(inh) > 0;
}

int am_parse_alerts(const char *body, size_t len, long http_status, struct alerts_data **out,
                    struct am_raw **raw, size_t *nraw, char **error)
{
	*out = NULL;
	*error = NULL;
	if (raw != NULL) {
		*raw = NULL;
		*nraw = 0;
	}
	if (http_status != 200) {
		*error = am_error_text(body, len, http_status);
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsArray(root)) {
		*error =
		    xstrdup(root == NULL ? "malformed JSON in the response" : "expected a list of alerts");
		cJSON_Delete(root);
		return -1;
	}
	size_t n = (size_t)cJSON_GetArraySize(root);
	struct alerts_data *d = alerts_data_new();
	d->alerts = xcalloc(n + 1, sizeof(*d->alerts));
	struct am_raw *r = raw != NULL ? xcalloc(n + 1, sizeof(*r)) : NULL;
	const cJSON *item;
	cJSON_ArrayForEach(item, root)
	{
		if (!cJSON_IsObject(item))
			continue;
		am_read_alert(item, &d->alerts[d->nalerts], r != NULL ? &r[d->nalerts] : NULL);
		d->nalerts++;
	}
	cJSON_Delete(root);
	alerts_sort(d);
	*out = d;
	if (raw != NULL) {
		*raw = r;
		*nraw = d->nalerts;
	}
	return 0;
}

char *am_silence_body(const struct action_param *matchers, size_t n, time_t start, time_t end,
                      const char *created_by, const char *comment)
{
	char when[32];
	cJSON *o = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(o, "matchers");
	for (size_t i = 0; i < n; i++) {
		cJSON *m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "name", matchers[i].name);
		cJSON_AddStringToObject(m, "value", matchers[i].value);
		cJSON_AddBoolToObject(m, "isRegex", 0);
		cJSON_AddBoolToObject(m, "isEqual", 1);
		cJSON_AddItemToArray(arr, m);
	}
	util_rfc3339(start, when, sizeof(when));
	cJSON_AddStringToObject(o, "startsAt", when);
	util_rfc3339(end, when, sizeof(when));
	cJSON_AddStringToObject(o, "endsAt", when);
	cJSON_AddStringToObject(o, "createdBy", created_by);
	cJSON_AddStringToObject(o, "comment", comment);
	char *text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

int am_parse_silence_reply(const char *body, size_t len, long http_status, char **id, char **error)
{
	*id = NULL;
	*error = NULL;
	if (http_status != 200) {
		*error = am_error_text(body, len, http_status);
		return -1;
	}
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *sid = cJSON_GetObjectItemCaseSensitive(root, "silenceID");
	if (!cJSON_IsString(sid) || sid->valuestring == NULL) {
		*error = xstrdup("unexpected answer: no silenceID");
		cJSON_Delete(root);
		return -1;
	}
	*id = sanitize_str(sid->valuestring);
	cJSON_Delete(root);
	return 0;
}
