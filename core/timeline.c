/* timeline: prints the persisted incident timeline, as plain text for the
 * terminal or as Markdown to paste into the incident document. The file is
 * outside text (it may have been edited), so every field is sanitized again. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sitrep/app.h"
#include "sitrep/sanitize.h"
#include "sitrep/timeline.h"
#include "sitrep/util.h"

#define TIMELINE_MAX_BYTES (64u << 20)

/* A field of an audit line, sanitized; "" when absent. Caller frees. */
static char *timeline_field(const cJSON *o, const char *key, int markdown)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s = sanitize_str(cJSON_IsString(v) && v->valuestring != NULL ? v->valuestring : "");
	if (markdown) {
		/* a '|' would split a Markdown table cell */
		for (char *p = s; *p != '\0'; p++)
			if (*p == '|')
				*p = '/';
	}
	return s;
}

static void timeline_print_line(const char *line, size_t len, int markdown, size_t *n)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return;
	}
	static const char *const keys[] = {"time", "user", "action", "target", "pane", "result", "detail"};
	char *f[ARRAY_LEN(keys)];
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		f[i] = timeline_field(o, keys[i], markdown);
	if (markdown)
		printf("| %s | %s | %s %s | %s | %s | %s |\n", f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
	else
		printf("%s  %-10s %-8s %-24s %-10s %-8s %s\n", f[0], f[1], f[2], f[3], f[4], f[5], f[6]);
	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		free(f[i]);
	cJSON_Delete(o);
	(*n)++;
}

int timeline_cli(const struct app *app, int argc, char **argv)
{
	int markdown = 0;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--markdown") == 0) {
			markdown = 1;
		} else {
			fprintf(stderr, "sitrep timeline: unknown argument \"%s\" (usage: sitrep timeline [--markdown])\n",
				argv[i]);
			return 2;
		}
	}
	char *path = xasprintf("%s/audit.jsonl", app->cfg.state_dir);
	size_t len = 0;
	char *text = util_read_file(path, TIMELINE_MAX_BYTES, &len);
	if (text == NULL && errno != ENOENT) {
		fprintf(stderr, "sitrep timeline: cannot read %s: %s\n", path, strerror(errno));
		free(path);
		return 1;
	}
	if (markdown) {
		printf("## Incident timeline\n\n");
		printf("| time (UTC) | who | action | pane | result | detail |\n");
		printf("|---|---|---|---|---|---|\n");
	}
	size_t n = 0;
	for (char *p = text; p != NULL && p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t l = nl != NULL ? (size_t)(nl - p) : (size_t)(text + len - p);
		if (l > 0)
			timeline_print_line(p, l, markdown, &n);
		p = nl != NULL ? nl + 1 : NULL;
	}
	if (n == 0 && !markdown)
		printf("no actions recorded yet (%s)\n", path);
	free(text);
	free(path);
	return 0;
}
