/* sources: every source_ops the build has, listed in core/source.c. */
#ifndef SITREP_SOURCES_H
#define SITREP_SOURCES_H

#include "sitrep/source.h"

extern const struct source_ops source_note;
extern const struct source_ops source_procfs;
extern const struct source_ops source_logs;
extern const struct source_ops source_prometheus;
extern const struct source_ops source_alertmanager;

#endif
