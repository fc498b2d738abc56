/* kindjson: the defensive readers every kind's from_json uses (see
 * kindjson.h). Nothing here trusts a member's type or a string's bytes. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "sitrep/kinds/kindjson.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

char *kindjson_str(const cJSON *o, const char *key, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsString(v) && v->valuestring != NULL)
		return sanitize(v->valuestring, strlen(v->valuestring), KINDJSON_STR_MAX);
	return def != NULL ? xstrdup(def) : NULL;
}

double kindjson_num(const cJSON *o, const char *key, double def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : def;
}

bool kindjson_bool(const cJSON *o, const char *key, bool def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

int64_t kindjson_time(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return 0;
	struct tm tm = {0};
	const char *end = strptime(v->valuestring, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL || strcmp(end, "Z") != 0)
		return 0;
	time_t t = timegm(&tm);
	return t > 0 ? (int64_t)t : 0;
}

const cJSON *kindjson_array(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *kindjson_object(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

double *kindjson_doubles(const cJSON *o, const char *key, size_t max, size_t *n)
{
	const cJSON *arr = kindjson_array(o, key);
	size_t len = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	*n = 0;
	if (len == 0)
		return NULL;
	if (len > max)
		len = max;
	double *out = xcalloc(len, sizeof(double));
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
	{
		if (*n == len)
			break;
		out[(*n)++] = cJSON_IsNumber(v) && isfinite(v->valuedouble) ? v->valuedouble : NAN;
	}
	return out;
}
