/* fuzz-backups: the backups kind's readers of outside text: `pgbackrest
 * info --output=json`, `restic snapshots --json` and `restic stats --json`,
 * the archiver row psql prints, and LSNs. The input goes to all of them;
 * every text a set keeps must stay one sanitized line, and the judging, the
 * JSON and the text output must hold whatever was read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backups-common.h"
#include "fuzz.h"
#include "sitrep/backups.h"
#include "sitrep/kind.h"

static void fuzz_backups_check(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; s != NULL && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[300];
	struct backups_data *d = backups_data_new(3);
	(void)pgbackrest_parse_info(&d->sets[0], text, size, "app", err, sizeof(err));
	(void)pgbackrest_parse_info(&d->sets[1], text, size, NULL, err, sizeof(err));
	(void)restic_parse_snapshots(&d->sets[2], text, size, err, sizeof(err));
	int64_t n;
	(void)restic_parse_stats(text, size, &n);
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	(void)backups_parse_lsn(line);
	(void)backups_parse_archiver(&d->sets[0].risk, text, size, line, 1);
	free(line);
	for (size_t k = 0; k < d->nsets; k++) {
		struct backup_set *s = &d->sets[k];
		backups_set_text(&s->name, "app");
		backups_judge(s, 1800000000);
		for (size_t i = 0; i < s->nbackups; i++) {
			fuzz_backups_check(s->backups[i].label);
			fuzz_backups_check(s->backups[i].type);
			fuzz_backups_check(s->backups[i].problem);
			fuzz_backups_check(s->backups[i].stop_lsn);
		}
		fuzz_backups_check(s->running);
		fuzz_backups_check(s->reason);
	}
	fuzz_backups_check(d->sets[0].risk.last_archived_wal);
	fuzz_backups_check(d->sets[0].risk.last_failed_wal);
	fuzz_backups_check(d->sets[0].risk.restore_point);
	cJSON *j = kind_backups.to_json(d);
	cJSON_Delete(j);
	FILE *out = fopen("/dev/null", "w");
	if (out != NULL) {
		kind_backups.print(d, out);
		fclose(out);
	}
	backups_data_free(d);
	return 0;
}
