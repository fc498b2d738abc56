/* sources: the backends layer as main.c sees it: the table of every source
 * the build has (backends/sources.c) and the built-in default config, which
 * probes this machine (backends/default-config.c). Core never includes this. */
#ifndef SITREP_SOURCES_H
#define SITREP_SOURCES_H

#include <stddef.h>

#include "sitrep/source.h"

extern const struct source_ops source_note;
extern const struct source_ops source_procfs;
extern const struct source_ops source_logs;
extern const struct source_ops source_prometheus;
extern const struct source_ops source_alertmanager;
extern const struct source_ops source_events;
extern const struct source_ops source_cdn;
extern const struct source_ops source_releases;
extern const struct source_ops source_jsonl;
extern const struct source_ops source_git;
extern const struct source_ops source_helm;
extern const struct source_ops source_kubectl;
extern const struct source_ops source_postgres;
extern const struct source_ops source_mysql;
extern const struct source_ops source_httpcheck;
extern const struct source_ops source_backups_dir;
extern const struct source_ops source_pgbackrest;
extern const struct source_ops source_restic;

/* The table, for source_use_table. */
extern const struct source_ops *const sources_table[];
extern const size_t sources_count;

/* Hands the table to core: call once before loading a config. */
void sources_register(void);

/* The built-in default for this machine, as config text. Caller frees. */
char *default_config_text(void);

#endif
