/* metrics: the data model of a metrics pane, shared by the procfs and
 * prometheus sources. A series is one number with a unit, thresholds, a status
 * and a history; procfs adds per-core CPU and the top processes. */
#ifndef SITREP_METRICS_H
#define SITREP_METRICS_H

#include "sitrep/core/kind.h" /* enum level */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


struct label {
	char *name;  /* sanitized */
	char *value; /* sanitized */
};

struct metric_series {
	char *name; /* sanitized */
	char *unit; /* "%", "B/s", ... may be "" */
	struct label *labels;
	size_t nlabels;
	bool has_value;
	double value; /* may be NaN or +-Inf when the backend says so */
	enum level status;
	bool has_warn, has_crit;
	double warn, crit; /* thresholds; "worse" means greater or equal */
	double *history;   /* oldest first; NaN = no sample */
	size_t nhistory;
	char *detail; /* optional extra text, e.g. "12.1G / 15.6G"; sanitized */
	char *error;  /* the backend's error for this series; sanitized */
};

struct metric_proc {
	int pid;
	char *name;   /* sanitized comm */
	double cpu;   /* percent of one core */
	uint64_t rss; /* bytes */
	/* procfs: what names the process beside its pid (/proc/PID/stat
	 * starttime, ticks after boot; 0 unknown), when it started (wall
	 * clock, 0 unknown), its whole command line and its user (sanitized,
	 * owned, NULL unknown): read for the processes shown only. */
	uint64_t start_ticks;
	int64_t started;
	char *cmdline;
	char *user;
};

struct metrics_data {
	struct metric_series *series;
	size_t nseries;
	double *cores; /* per-core busy percent, procfs only */
	size_t ncores;
	struct metric_proc *procs; /* top processes by CPU, procfs only */
	size_t nprocs;
};

/* Allocates an empty model; free with metrics_data_free. */
struct metrics_data *metrics_data_new(void);
void metrics_data_free(void *data);
/* Appends a series: name and unit are copied (name sanitized); returns it zeroed
 * otherwise, owned by m. The pointer is valid until the next add. */
struct metric_series *metrics_add_series(struct metrics_data *m, const char *name,
					 const char *unit);
/* Copies raw label text in, sanitized. */
void metrics_add_label(struct metric_series *s, const char *name, const char *value);
/* Copies n history values. */
void metrics_set_history(struct metric_series *s, const double *values, size_t n);
/* Sets value and status from the thresholds. */
void metrics_set_value(struct metric_series *s, double value);
enum level metrics_level(double value, bool has_warn, double warn, bool has_crit, double crit);
const char *metrics_level_name(enum level level);

struct verb;
/* The metrics kind's verbs, on the host pane's processes (kinds/kind-metrics.c). */
extern const struct verb kind_metrics_terminate;
extern const struct verb kind_metrics_kill;

#endif
