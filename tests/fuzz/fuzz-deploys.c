/* fuzz-deploys: the deploys model's readers of outside text: Capistrano's
 * revisions.log, Deployer's .dep/releases_log (JSON lines) and the deploy
 * times in every format deploy tools write. The input goes to all three
 * against a model of three releases; every text the model keeps must stay
 * one sanitized line. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sitrep/deploys.h"

static void fuzz_deploys_check(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deploys_data *d = deploys_data_new();
	deploys_add(d, "3");
	deploys_add(d, "20240521221400");
	deploys_add(d, "r10");
	deploys_parse_revisions_log(d, (const char *)data, size);
	deploys_parse_releases_log(d, (const char *)data, size);
	(void)deploys_parse_time((const char *)data, size);
	deploys_sort(d, true);
	deploys_set_current(d, "3");
	for (size_t i = 0; i < d->n; i++) {
		fuzz_deploys_check(d->deploys[i].author);
		fuzz_deploys_check(d->deploys[i].branch);
		fuzz_deploys_check(d->deploys[i].revision);
	}
	(void)deploys_previous_good(d);
	deploys_data_free(d);
	return 0;
}
