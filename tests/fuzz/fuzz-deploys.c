/* fuzz-deploys: the deploys model's readers of outside text: Capistrano's
 * revisions.log, Deployer's .dep/releases_log (JSON lines), the deploy
 * times in every format deploy tools write, and the command-driven sources'
 * parsers: git's NUL-separated records, `helm history -o json`, `kubectl
 * rollout history` and `kubectl get deployment -o json`. The input goes to
 * all of them; every text a model keeps must stay one sanitized line. */
#include <stdlib.h>
#include <string.h>

#include "backends/deploys-common.h"
#include "fuzz.h"
#include "sitrep/kinds/deploys.h"

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

	char err[300];
	struct deploys_data *tools[3] = {deploys_data_new(), deploys_data_new(), deploys_data_new()};
	size_t skipped;
	(void)git_parse(tools[0], (const char *)data, size, &skipped);
	(void)helm_parse_history(tools[1], (const char *)data, size, err, sizeof(err));
	(void)kubectl_parse_history(tools[2], (const char *)data, size, err, sizeof(err));
	for (int t = 0; t < 3; t++) {
		for (size_t i = 0; i < tools[t]->n; i++) {
			const struct deploy *p = &tools[t]->deploys[i];
			fuzz_deploys_check(p->id);
			fuzz_deploys_check(p->author);
			fuzz_deploys_check(p->message);
			fuzz_deploys_check(p->status);
			fuzz_deploys_check(p->revision);
			fuzz_deploys_check(p->version);
		}
		/* whatever the tools print, the default target is never an option-like or altered name */
		if (tools[t]->n > 0)
			deploys_set_current(tools[t], tools[t]->deploys[0].id);
		const struct deploy *to = deploys_previous_good(tools[t]);
		if (to != NULL && (to->id[0] == '-' || to->id_altered || to->bad))
			abort();
		deploys_data_free(tools[t]);
	}
	char *rev = NULL, *images = NULL;
	if (kubectl_parse_deployment((const char *)data, size, &rev, &images, err, sizeof(err)) == 0) {
		fuzz_deploys_check(images);
		for (const char *p = rev; *p != '\0'; p++)
			if (*p < '0' || *p > '9')
				abort();
	}
	free(rev);
	free(images);
	return 0;
}
