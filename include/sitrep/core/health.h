/* health: what the panes' data says about the system, in the words every
 * output uses. "ok" in a pane title or the status bar means the pane's data
 * shows nothing wrong, never only "the last fetch worked": the health of a
 * pane is the worst level of what it shows (kind_ops.level), apart from the
 * freshness of that data (snapshot state). The causes are the kinds' hints
 * in the status line's order, causes before symptoms. */
#ifndef SITREP_HEALTH_H
#define SITREP_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sitrep/core/kind.h" /* enum level */
#include "sitrep/core/snapshot.h"

struct source;

/* The level src's data shows; LEVEL_UNKNOWN before any data. */
enum level health_of(const struct source *src);
/* "ok", "warn", "crit", "unknown". */
const char *health_word(enum level level);
/* A pane's level for the overall health: its data's level; a pane without
 * data (init, error) or with stale data is at least warn (not knowing is not
 * ok). */
enum level health_counted(const struct source *src, enum pane_state state);
/* The worst counted level of n sources, each with its state at now_ms. */
enum level health_overall(const struct source *srcs, size_t n, uint64_t now_ms);
/* The causes the status line shows, "ID: what", in its order (deploys, cdn,
 * database, checks, alerts, logs, metrics, then other kinds; panes in config
 * order within a kind). Fills *out with *n allocated strings (free with
 * health_causes_free); *cause (may be NULL) is whether any ranks before the
 * symptoms (logs, metrics). */
void health_causes(const struct source *srcs, size_t nsrcs, char ***out, size_t *n, bool *cause);
void health_causes_free(char **causes, size_t n);

#endif
