/* sources: the table of every source this build has. Adding a source is a
 * file in backends/ and one line here. */
#include "sitrep/sources.h"
#include "sitrep/util.h"

const struct source_ops *const sources_table[] = {
	&source_note,
	&source_procfs,
	&source_logs,
	&source_prometheus,
	&source_alertmanager,
	&source_events,
	&source_cdn,
	&source_releases,
	&source_jsonl,
	&source_git,
	&source_helm,
	&source_kubectl,
	&source_postgres,
	&source_mysql,
	&source_httpcheck,
	&source_backups_dir,
	&source_pgbackrest,
	&source_restic,
};

const size_t sources_count = ARRAY_LEN(sources_table);

void sources_register(void)
{
	source_use_table(sources_table, sources_count);
}
