/* cdn: the data model of a CDN pane (kind "cdn"), filled by the cdn source
 * (backends/cdnprobe.c and one file per provider). Each configured asset is
 * fetched from the edge and from the origin; the row says whether the edge
 * serves the origin's copy (fresh), an old one (stale), nothing (missing) or
 * could not be compared (error), and why. Every string is sanitized. */
#ifndef SITREP_CDN_H
#define SITREP_CDN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct kind_ops;
struct pane_ops;

enum cdn_verdict { CDN_FRESH, CDN_STALE, CDN_MISSING, CDN_ERROR };

struct cdn_asset {
	char *path; /* "/static/app.js" */
	char *edge; /* the edge's label when the pane has several, else NULL */
	enum cdn_verdict verdict;
	char *detail;     /* the reason: `edge ETag "a1" != origin "b7", ...` */
	char *edge_cache; /* "HIT", "MISS", ... from the provider's headers; NULL unknown */
	double age;       /* the edge copy's age in seconds (Age header); < 0 unknown */
	long edge_status; /* HTTP status, 0 when no answer */
	long origin_status;
	char *edge_etag; /* NULL when absent */
	char *origin_etag;
	char edge_hash[17]; /* the first 16 hex digits of the body's SHA-256, "" unknown */
	char origin_hash[17];
};

struct cdn_data {
	char *provider;   /* "varnish", ... */
	double hit_ratio; /* 0..1, < 0 unknown */
	double objects;   /* objects cached, < 0 unknown */
	struct cdn_asset *assets;
	size_t nassets;
};

/* Allocates an empty model; free with cdn_data_free. */
struct cdn_data *cdn_data_new(const char *provider);
void cdn_data_free(void *data);
/* "fresh", "stale", "missing", "error". */
const char *cdn_verdict_name(enum cdn_verdict v);
/* Assets that are stale or missing at the edge. */
size_t cdn_data_stale(const struct cdn_data *d);

extern const struct kind_ops kind_cdn;
/* The pane that draws it (tui/pane-cdn.c). */
extern const struct pane_ops pane_cdn;

#endif
