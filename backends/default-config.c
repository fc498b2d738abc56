/* config-default: the built-in config used when no file is found. It shows
 * this machine: host metrics from procfs, the first system log that works,
 * and panes that say how to configure what cannot be guessed. It is built as
 * config text so it goes through exactly the same loader as a user's file. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/core/config.h"
#include "sitrep/kinds/logs.h"
#include "backends/sources.h"
#include "sitrep/core/util.h"

/* journald is picked by journald_available (backends/journald.c), the one
 * probe of whether there is a journal to follow. */

/* A JSON string literal of s (quotes included). Caller frees. */
static char *config_default_quote(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(n * 6 + 3), *o = out;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			o += sprintf(o, "\\u%04x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

static bool config_default_git_repo(char *top, size_t cap)
{
	char cwd[4096];
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return false;
	for (;;) {
		char *git = xasprintf("%s/.git", cwd);
		struct stat st;
		bool found = stat(git, &st) == 0;
		free(git);
		if (found) {
			snprintf(top, cap, "%s", cwd);
			return true;
		}
		char *slash = strrchr(cwd, '/');
		if (slash == NULL || slash == cwd)
			return false;
		*slash = '\0';
	}
}

char *default_config_text(void)
{
	char *logs, *deploys;
	static const char *const files[] = {"/var/log/syslog", "/var/log/messages"};

	if (journald_available()) {
		logs = xstrdup(
		    "{ \"id\": \"logs\", \"kind\": \"logs\", \"sources\": [ { \"type\": \"journald\" } ] }");
	} else {
		logs = NULL;
		for (size_t i = 0; i < ARRAY_LEN(files) && logs == NULL; i++) {
			if (access(files[i], R_OK) == 0)
				logs = xasprintf("{ \"id\": \"logs\", \"kind\": \"logs\", \"sources\": [ { "
				                 "\"type\": \"file\", \"path\": \"%s\" } ] }",
				                 files[i]);
		}
		if (logs == NULL) {
			char *q = config_default_quote(
			    "No readable system log: journald has no journal here and /var/log/syslog and "
			    "/var/log/messages cannot be read. Configure a logs pane with a file, journald, "
			    "command or loki input. Example: sitrep --example-config (the logs pane); every "
			    "key: docs/configuration.md (logs).");
			logs = xasprintf(
			    "{ \"id\": \"logs\", \"kind\": \"logs\", \"source\": \"note\", \"text\": %s }",
			    q);
			free(q);
		}
	}

	char top[4096];
	char *msg;
	/* Deploy history cannot be guessed (which tags or branch are deploys,
	 * where releases live): the note says where it is documented. */
	if (config_default_git_repo(top, sizeof(top)))
		msg =
		    xasprintf("Git repository found at %s. To see its deploys, add a pane with \"kind\": "
		              "\"deploys\", \"source\": \"git\", \"repo\" and \"tags\" (or \"branch\"). "
		              "Other deploy sources: releases, jsonl, helm, kubectl. Examples: "
		              "sitrep --example-config (the deploys panes); every key: docs/configuration.md "
		              "(Sources).",
		              top);
	else
		msg = xstrdup("No deploys configured. Add a pane with \"kind\": \"deploys\" and a source: "
		              "releases (a releases/ directory and a current symlink), git, jsonl, helm or "
		              "kubectl. Examples: sitrep --example-config (the deploys panes); every key: "
		              "docs/configuration.md (Sources).");
	char *q = config_default_quote(msg);
	deploys = xasprintf(
	    "{ \"id\": \"deploys\", \"kind\": \"deploys\", \"source\": \"note\", \"text\": %s }", q);
	free(q);
	free(msg);

	char *text = xasprintf(
	    "// built-in default: this machine\n"
	    "{\n"
	    "  \"refresh_seconds\": 2,\n"
	    "  \"panes\": [\n"
	    "    { \"id\": \"host\", \"kind\": \"metrics\", \"source\": \"procfs\" },\n"
	    "    %s,\n"
	    "    %s,\n"
	    "    { \"id\": \"cdn\", \"kind\": \"cdn\", \"source\": \"note\", \"text\": \"No CDN configured. "
	    "Add a pane with \\\"kind\\\": \\\"cdn\\\", \\\"source\\\": \\\"cdn\\\" and a "
	    "provider (varnish, nginx, http, cloudflare, fastly or cloudfront) to "
	    "~/.config/sitrep/config.json. Example: sitrep --example-config (the cdn pane); every "
	    "key: docs/configuration.md (Sources).\" }\n"
	    "  ]\n"
	    "}\n",
	    logs, deploys);
	free(logs);
	free(deploys);
	return text;
}
