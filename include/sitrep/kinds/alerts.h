/* alerts: the data model of an alerts pane (kind "alerts"), filled by the
 * alertmanager source. Alerts are kept sorted: severity first (critical,
 * error, warning, info, other), then newest first. Every string is sanitized. */
#ifndef SITREP_ALERTS_H
#define SITREP_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "sitrep/kinds/metrics.h" /* struct label */

struct kind_ops;
struct pane_ops;

struct alert {
	char *name;        /* the alertname label */
	char *severity;    /* the severity label, "" when absent */
	char *state;       /* "active", "suppressed", "unprocessed" */
	char *summary;     /* the summary annotation (or description), "" when absent */
	char *fingerprint; /* Alertmanager's id of the alert */
	time_t since;      /* startsAt, 0 unknown */
	bool silenced, inhibited;
	struct label *labels; /* every label, sorted by name */
	size_t nlabels;
};

struct alerts_data {
	struct alert *alerts;
	size_t nalerts;
	double silence_seconds; /* how long the `s` key silences (the pane's config) */
};

/* Allocates an empty model; free with alerts_data_free. */
struct alerts_data *alerts_data_new(void);
void alerts_data_free(void *data);
/* Severity rank for sorting: 0 critical ... 4 other. */
int alerts_severity_rank(const char *severity);
/* Sorts by severity rank, then newest first. */
void alerts_sort(struct alerts_data *d);

extern const struct kind_ops kind_alerts;
/* The pane that draws it (tui/pane-alerts.c). */
extern const struct pane_ops pane_alerts;

/* The alerts kind's verbs (kinds/kind-alerts.c). */
extern const struct verb kind_alerts_silence;

#endif
