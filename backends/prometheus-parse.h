/* prometheus-parse: turns Prometheus HTTP API answers (/api/v1/query and
 * /api/v1/query_range) into plain C series. The cJSON tree never leaves
 * prometheus-parse.c; label text is sanitized on the way in. Pure functions,
 * unit-tested on responses captured from a real Prometheus. */
#ifndef SITREP_PROMETHEUS_PARSE_H
#define SITREP_PROMETHEUS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

struct prom_label {
	char *name;  /* sanitized */
	char *value; /* sanitized */
};

struct prom_series {
	struct prom_label *labels; /* sorted by name, __name__ left out */
	size_t nlabels;
	char *key;      /* "a=x,b=y": identifies the series across query and query_range */
	double value;   /* instant value (may be NaN or +-Inf) */
	double *points; /* range: one slot per step, NaN where no sample */
	size_t npoints;
};

struct prom_result {
	struct prom_series *series;
	size_t nseries;
	char *error;     /* NULL on success, else "bad_data: ..." (sanitized) */
	bool api_answer; /* the body was a Prometheus API envelope (even an error) */
};

/* Parses an instant query answer. http_status is the HTTP status (200, 400,
 * 422, 503...). Returns 0, or -1 with out->error set. Free with prom_result_free. */
int prom_parse_query(const char *body, size_t len, long http_status, struct prom_result *out);
/* Parses a range query answer onto the grid start, start+step, ...
 * (npoints slots). Returns 0, or -1 with out->error set. */
int prom_parse_range(const char *body, size_t len, long http_status, double start, double step,
                     size_t npoints, struct prom_result *out);
void prom_result_free(struct prom_result *r);

/* A Prometheus sample value ("1.5", "NaN", "+Inf", "-Inf"); false when not a number. */
bool prom_parse_value(const char *text, double *out);

/* The range window: step (seconds, >= 1) so that window/step stays within both
 * points and Prometheus's 11,000-point limit. */
double prom_step(double window_s, size_t points);

#endif
