/* kind: the data model of a pane kind (metrics, logs, alerts, ...). Each kind
 * is a file core/kind-NAME.c holding a const struct kind_ops, listed once in
 * core/kind.c. It frees its data and writes it as --once text or JSON. */
#ifndef SITREP_KIND_H
#define SITREP_KIND_H

#include <stdio.h>

#include <cjson/cJSON.h>

struct kind_ops {
	const char *name;
	void (*free)(void *data);
	/* The "data" object of --once --json (schema version 1); data NULL (nothing
	 * fetched yet) gives the kind's empty shape, e.g. { "series": [] }. */
	cJSON *(*to_json)(const void *data);
	/* Plain --once output, a few indented lines. */
	void (*print)(const void *data, FILE *out);
};

const struct kind_ops *kind_find(const char *name);
/* Every kind name, for config error messages: "metrics, logs, ...". */
const char *kind_names(void);

extern const struct kind_ops kind_metrics;
extern const struct kind_ops kind_logs;
extern const struct kind_ops kind_empty; /* kinds with no data model yet */

#endif
