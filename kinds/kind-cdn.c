/* kind-cdn: the CDN model (cdn.h), its --once output, the events a change
 * means (an asset turning stale, and fresh again) and the verbs. JSON follows
 * schema version 1 ({ provider, hit_ratio, assets: [ { path, verdict,
 * edge_cache, age, edge_etag, origin_etag, detail } ] }); "objects", and per
 * asset "edge", "edge_status", "origin_status", "edge_sha256" and
 * "origin_sha256" are compatible additions, and "missing" a verdict beside
 * fresh, stale and error (docs/json-output.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitrep/core/action.h"
#include "sitrep/core/app.h"
#include "sitrep/kinds/cdn.h"
#include "sitrep/core/kind.h"
#include "sitrep/core/kindjson.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/source.h"
#include "sitrep/core/util.h"

struct cdn_data *cdn_data_new(const char *provider)
{
	struct cdn_data *d = xcalloc(1, sizeof(*d));
	d->provider = xstrdup(provider != NULL ? provider : "");
	d->hit_ratio = -1;
	d->objects = -1;
	return d;
}

void cdn_data_free(void *data)
{
	struct cdn_data *d = data;
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nassets; i++) {
		struct cdn_asset *a = &d->assets[i];
		free(a->path);
		free(a->raw);
		free(a->edge);
		free(a->detail);
		free(a->edge_cache);
		free(a->edge_etag);
		free(a->origin_etag);
	}
	free(d->assets);
	free(d->provider);
	free(d);
}

const char *cdn_verdict_name(enum cdn_verdict v)
{
	switch (v) {
	case CDN_FRESH: return "fresh";
	case CDN_STALE: return "stale";
	case CDN_MISSING: return "missing";
	case CDN_GONE: return "gone";
	case CDN_UNVERIFIED: return "unverified";
	case CDN_ERROR: break;
	}
	return "error";
}

/* Code points a reader cannot see, or sees as a blank or as nothing: they
 * could make two different paths look the same, so each is written out. */
static bool kind_cdn_invisible(uint32_t cp)
{
	static const uint32_t ranges[][2] = {
	    {0x0080, 0x00A0},    /* C1 controls, no-break space */
	    {0x00AD, 0x00AD},    /* soft hyphen */
	    {0x034F, 0x034F},    /* combining grapheme joiner */
	    {0x061C, 0x061C},    /* arabic letter mark */
	    {0x115F, 0x1160},    /* hangul fillers */
	    {0x17B4, 0x17B5},    /* khmer inherent vowels */
	    {0x180B, 0x180F},    /* mongolian selectors and vowel separator */
	    {0x2000, 0x200F},    /* spaces, zero-width characters, LRM, RLM */
	    {0x2028, 0x202F},    /* separators, bidi embeddings and overrides, narrow space */
	    {0x205F, 0x206F},    /* math space, invisible operators, bidi isolates */
	    {0x2800, 0x2800},    /* braille blank */
	    {0x3000, 0x3000},    /* ideographic space */
	    {0x3164, 0x3164},    /* hangul filler */
	    {0xD800, 0xDFFF},    /* (never valid UTF-8: decoded as bytes) */
	    {0xE000, 0xF8FF},    /* private use */
	    {0xFE00, 0xFE0F},    /* variation selectors */
	    {0xFEFF, 0xFEFF},    /* zero-width no-break space */
	    {0xFFA0, 0xFFA0},    /* halfwidth hangul filler */
	    {0xFFF0, 0xFFFF},    /* specials */
	    {0x1BCA0, 0x1BCA3},  /* shorthand format controls */
	    {0x1D173, 0x1D17A},  /* musical format controls */
	    {0xE0000, 0xE0FFF},  /* tags, variation selectors supplement */
	    {0xF0000, 0x10FFFF}, /* private use planes */
	};
	for (size_t i = 0; i < ARRAY_LEN(ranges); i++)
		if (cp >= ranges[i][0] && cp <= ranges[i][1])
			return true;
	return false;
}

/* Length of a valid, shortest-form UTF-8 sequence at s with its code point, or 0. */
static size_t kind_cdn_utf8(const unsigned char *s, uint32_t *cp)
{
	size_t n;
	uint32_t v, min;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, v = s[0] & 0x1F, min = 0x80;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, v = s[0] & 0x0F, min = 0x800;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, v = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* also stops at the NUL */
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return n;
}

char *cdn_visible(const char *raw, bool *changed)
{
	size_t len = strlen(raw);
	/* At most 10 output bytes per input byte (\U0010FFFF for 4 bytes is less). */
	char *out = xmalloc(len * 10 + 1), *o = out;
	bool any = false;
	const unsigned char *s = (const unsigned char *)raw;
	while (*s != '\0') {
		uint32_t cp;
		size_t n;
		if (*s == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			s++;
		} else if (*s >= 0x20 && *s < 0x7F) {
			*o++ = (char)*s++;
		} else if (*s < 0x80 || (n = kind_cdn_utf8(s, &cp)) == 0) {
			o += sprintf(o, "\\x%02x", *s++);
			any = true;
		} else if (kind_cdn_invisible(cp)) {
			o += cp > 0xFFFF ? sprintf(o, "\\U%08x", (unsigned)cp)
			                 : sprintf(o, "\\u%04x", (unsigned)cp);
			s += n;
			any = true;
		} else {
			memcpy(o, s, n);
			o += n;
			s += n;
		}
	}
	*o = '\0';
	if (changed != NULL)
		*changed = any;
	return out;
}

static bool kind_cdn_bad(const struct cdn_asset *a)
{
	return a->verdict == CDN_STALE || a->verdict == CDN_MISSING;
}

/* Whether a row's identity is the given raw path and edge. */
static bool kind_cdn_same(const struct cdn_asset *a, const struct cdn_asset *like)
{
	return util_str_same(a->raw, like->raw) && util_str_same(a->edge, like->edge);
}

size_t cdn_data_stale(const struct cdn_data *d)
{
	size_t n = 0;
	for (size_t i = 0; d != NULL && i < d->nassets; i++)
		n += kind_cdn_bad(&d->assets[i]);
	return n;
}

static void kind_cdn_add_str(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && v[0] != '\0')
		cJSON_AddStringToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static void kind_cdn_add_num(cJSON *o, const char *name, double v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(o, name, v);
	else
		cJSON_AddNullToObject(o, name);
}

static cJSON *kind_cdn_json(const void *data)
{
	const struct cdn_data *d = data;
	cJSON *o = cJSON_CreateObject();
	kind_cdn_add_str(o, "provider", d != NULL ? d->provider : NULL);
	kind_cdn_add_num(o, "hit_ratio", d != NULL ? d->hit_ratio : -1);
	kind_cdn_add_num(o, "objects", d != NULL ? d->objects : -1);
	cJSON *arr = cJSON_AddArrayToObject(o, "assets");
	for (size_t i = 0; d != NULL && i < d->nassets; i++) {
		const struct cdn_asset *a = &d->assets[i];
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "path", a->path);
		if (a->edge != NULL)
			cJSON_AddStringToObject(j, "edge", a->edge);
		cJSON_AddStringToObject(j, "verdict", cdn_verdict_name(a->verdict));
		kind_cdn_add_str(j, "edge_cache", a->edge_cache);
		kind_cdn_add_num(j, "age", a->age);
		kind_cdn_add_str(j, "edge_etag", a->edge_etag);
		kind_cdn_add_str(j, "origin_etag", a->origin_etag);
		kind_cdn_add_str(j, "detail", a->detail);
		kind_cdn_add_num(j, "edge_status", a->edge_status > 0 ? (double)a->edge_status : -1);
		kind_cdn_add_num(j, "origin_status", a->origin_status > 0 ? (double)a->origin_status : -1);
		kind_cdn_add_str(j, "edge_sha256", a->edge_hash);
		kind_cdn_add_str(j, "origin_sha256", a->origin_hash);
		/* whether the ETags agree, read from the whole values (an observer draws it) */
		kind_cdn_add_str(j, "edge_etag_sha256", a->edge_etag_hash);
		kind_cdn_add_str(j, "origin_etag_sha256", a->origin_etag_hash);
		cJSON_AddItemToArray(arr, j);
	}
	return o;
}

static enum cdn_verdict kind_cdn_verdict_from(const char *name)
{
	static const enum cdn_verdict all[] = {CDN_FRESH, CDN_STALE, CDN_MISSING,
	                                       CDN_GONE,  CDN_ERROR, CDN_UNVERIFIED};
	for (size_t i = 0; name != NULL && i < ARRAY_LEN(all); i++)
		if (strcmp(cdn_verdict_name(all[i]), name) == 0)
			return all[i];
	return CDN_ERROR;
}

/* A hash member into a fixed hex field; anything but hex digits is dropped. */
static void kind_cdn_hash_from(const cJSON *o, const char *key, char *out, size_t cap)
{
	char *h = kindjson_str(o, key, "");
	size_t n = 0;
	for (const char *p = h; *p != '\0' && n + 1 < cap; p++)
		if (strchr("0123456789abcdef", *p) != NULL)
			out[n++] = *p;
	out[n] = '\0';
	free(h);
}

static void *kind_cdn_from_json(const cJSON *json)
{
	if (!cJSON_IsObject(json))
		return NULL;
	char *provider = kindjson_str(json, "provider", "");
	struct cdn_data *d = cdn_data_new(provider);
	free(provider);
	d->hit_ratio = kindjson_num(json, "hit_ratio", -1);
	d->objects = kindjson_num(json, "objects", -1);
	const cJSON *arr = kindjson_array(json, "assets"), *j;
	size_t n = arr != NULL ? (size_t)cJSON_GetArraySize(arr) : 0;
	d->assets = n > 0 ? xcalloc(n, sizeof(*d->assets)) : NULL;
	cJSON_ArrayForEach(j, arr)
	{
		struct cdn_asset *a = &d->assets[d->nassets++];
		a->path = kindjson_str(j, "path", "");
		/* an observer never acts: the raw identity stays the display form */
		a->raw = xstrdup(a->path);
		a->edge = kindjson_str(j, "edge", NULL);
		char *verdict = kindjson_str(j, "verdict", NULL);
		a->verdict = kind_cdn_verdict_from(verdict);
		free(verdict);
		a->edge_cache = kindjson_str(j, "edge_cache", NULL);
		a->age = kindjson_num(j, "age", -1);
		a->edge_etag = kindjson_str(j, "edge_etag", NULL);
		a->origin_etag = kindjson_str(j, "origin_etag", NULL);
		a->detail = kindjson_str(j, "detail", NULL);
		a->edge_status = (long)kindjson_num(j, "edge_status", 0);
		a->origin_status = (long)kindjson_num(j, "origin_status", 0);
		kind_cdn_hash_from(j, "edge_sha256", a->edge_hash, sizeof(a->edge_hash));
		kind_cdn_hash_from(j, "origin_sha256", a->origin_hash, sizeof(a->origin_hash));
		kind_cdn_hash_from(j, "edge_etag_sha256", a->edge_etag_hash, sizeof(a->edge_etag_hash));
		kind_cdn_hash_from(j, "origin_etag_sha256", a->origin_etag_hash, sizeof(a->origin_etag_hash));
	}
	return d;
}

static void kind_cdn_print(const void *data, FILE *out)
{
	const struct cdn_data *d = data;
	size_t stale = cdn_data_stale(d);
	fprintf(out, "  %s: %zu asset%s, %zu stale", d->provider, d->nassets, d->nassets == 1 ? "" : "s",
	        stale);
	if (d->hit_ratio >= 0)
		fprintf(out, ", hit ratio %.1f %%", d->hit_ratio * 100);
	if (d->objects >= 0)
		fprintf(out, ", %.0f objects", d->objects);
	fputc('\n', out);
	for (size_t i = 0; i < d->nassets; i++) {
		const struct cdn_asset *a = &d->assets[i];
		char age[16] = "-";
		if (a->age >= 0)
			util_age((uint64_t)(a->age * 1000), age, sizeof(age));
		fprintf(out, "  %-7s %-32s %-8s %5s  %s%s%s\n", cdn_verdict_name(a->verdict), a->path,
		        a->edge_cache != NULL ? a->edge_cache : "-", age, a->edge != NULL ? a->edge : "",
		        a->edge != NULL ? ": " : "", a->detail != NULL ? a->detail : "");
	}
}

static const struct cdn_asset *kind_cdn_find(const struct cdn_data *d, const struct cdn_asset *like)
{
	for (size_t i = 0; d != NULL && i < d->nassets; i++) {
		const struct cdn_asset *a = &d->assets[i];
		if (kind_cdn_same(a, like))
			return a;
	}
	return NULL;
}

/* An asset turning stale (or missing) is an event, and so is its return to
 * fresh; errors are the pane's to show, not the timeline's. */
static void kind_cdn_diff(struct source *src, const void *old, const void *now)
{
	const struct cdn_data *o = old, *n = now;
	for (size_t i = 0; n != NULL && i < n->nassets; i++) {
		const struct cdn_asset *a = &n->assets[i];
		const struct cdn_asset *before = kind_cdn_find(o, a);
		bool was_bad = before != NULL && kind_cdn_bad(before);
		if (kind_cdn_bad(a) && !was_bad)
			app_state(src->app, src, "asset_stale", EVENT_WARN, a->path, a->path,
			          "%s %s at the edge%s%s: %s", a->path, cdn_verdict_name(a->verdict),
			          a->edge != NULL ? " " : "", a->edge != NULL ? a->edge : "",
			          a->detail != NULL ? a->detail : "");
		else if (a->verdict == CDN_FRESH && was_bad)
			app_state(src->app, src, "asset_fresh", EVENT_OK, a->path, a->path,
			          "%s fresh again at the edge%s%s", a->path, a->edge != NULL ? " " : "",
			          a->edge != NULL ? a->edge : "");
	}
}

static char *kind_cdn_hint(const void *data)
{
	const struct cdn_data *d = data;
	size_t stale = cdn_data_stale(d);
	if (stale == 0)
		return NULL;
	const struct cdn_asset *first = NULL;
	for (size_t i = 0; first == NULL && i < d->nassets; i++)
		if (kind_cdn_bad(&d->assets[i]))
			first = &d->assets[i];
	return stale == 1 ? xasprintf("CDN serves stale %s", first->path)
	                  : xasprintf("CDN: %zu stale assets, %s first", stale, first->path);
}

/* Users get the wrong bytes: a stale or missing asset is crit; an asset
 * that could not be compared is warn. */
static enum level kind_cdn_level(const void *data)
{
	const struct cdn_data *d = data;
	enum level worst = LEVEL_OK;
	for (size_t i = 0; d != NULL && i < d->nassets; i++) {
		if (kind_cdn_bad(&d->assets[i]))
			return LEVEL_CRIT;
		if (d->assets[i].verdict == CDN_ERROR || d->assets[i].verdict == CDN_UNVERIFIED)
			worst = LEVEL_WARN;
	}
	return worst;
}

/* `sitrep do purge [--stale|--all|PATH...]`: the stale assets by default. */
static int kind_cdn_purge_parse(struct action *a, const struct verb_args *args, char *err, size_t cap)
{
	const char *const *paths;
	size_t n = verb_args_all(args, "PATH", &paths);
	for (size_t i = 0; i < n; i++) {
		if (paths[i][0] != '/') {
			char *shown = sanitize_str(paths[i]);
			snprintf(err, cap, "a PATH starts with / (got '%s')", shown);
			free(shown);
			return -1;
		}
		action_select(a, paths[i]);
	}
	if (verb_args_get(args, "--all") != NULL) {
		action_set_verb(a, &kind_cdn_purge_all);
		return 0;
	}
	if (a->nselection == 0)
		action_add_param(a, "stale", "1");
	return 0;
}

/* The paths in their display form, each marked when it differs from its
 * raw bytes. Once prepared, the effect lists them with their edges and
 * requests, so the words stay one line. */
static char *kind_cdn_purge_describe(const struct action *a)
{
	if (a->nselection == 0)
		return xstrdup("purge every stale asset from the CDN");
	char *out = xasprintf("purge %zu asset%s from the CDN%s", a->nselection,
	                      a->nselection == 1 ? "" : "s", a->effect != NULL ? "" : ":");
	for (size_t i = 0; a->effect == NULL && i < a->nselection; i++) {
		bool changed;
		char *p = cdn_visible(a->selection[i], &changed);
		char *next =
		    xasprintf("%s\n  %s%s%s", out, p, changed ? "  " : "", changed ? CDN_VISIBLE_NOTE : "");
		free(p);
		free(out);
		out = next;
	}
	return out;
}

static char *kind_cdn_purge_all_describe(const struct action *a)
{
	char *t = sanitize_str(a->target);
	char *out = xasprintf("purge EVERYTHING cached by the CDN of %s (every user hits the origin)", t);
	free(t);
	return out;
}

static const struct verb_arg kind_cdn_purge_args[] = {
    {.name = "--stale", .group = 1, .help = "what the edge serves stale (the default)"},
    {.name = "--all", .group = 1, .help = "everything the CDN caches"},
    {.name = "PATH", .group = 1, .many = true, .help = "these paths, each starting with /"},
};

const struct verb kind_cdn_purge = {
    .name = "purge",
    .key = "p",
    .help = "purge stale or selected CDN assets",
    .args = kind_cdn_purge_args,
    .nargs = ARRAY_LEN(kind_cdn_purge_args),
    .confirm = VERB_CONFIRM_Y,
    .noun = "asset",
    .nouns = "assets",
    .cli = true,
    .parse = kind_cdn_purge_parse,
    .describe = kind_cdn_purge_describe,
};

const struct verb kind_cdn_purge_all = {
    .name = "purge_all",
    .key = "P",
    .help = "purge everything from the CDN (type the pane's name)",
    .confirm = VERB_CONFIRM_TYPED,
    .cli = false, /* `sitrep do purge --all` */
    .describe = kind_cdn_purge_all_describe,
};

static const struct verb *const kind_cdn_verbs[] = {&kind_cdn_purge, &kind_cdn_purge_all};

const struct kind_ops kind_cdn = {
    .name = "cdn",
    .hint_rank = 20,
    .default_source = "cdn",
    .free = cdn_data_free,
    .to_json = kind_cdn_json,
    .from_json = kind_cdn_from_json,
    .print = kind_cdn_print,
    .diff = kind_cdn_diff,
    .hint = kind_cdn_hint,
    .level = kind_cdn_level,
    .verbs = kind_cdn_verbs,
    .nverbs = ARRAY_LEN(kind_cdn_verbs),
};
