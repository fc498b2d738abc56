/* journald: the "journald" log input. Runs `journalctl -f -o json -n N` with
 * optional unit and priority filters and turns each JSON entry into a line
 * "IDENT[PID]: MESSAGE" stamped with the entry's own time. The severity is the
 * higher of the entry's PRIORITY and the pane's patterns: services that log to
 * stdout reach the journal at priority 6 whatever they say. The first batch
 * (the last N entries) counts as the initial read once output pauses; the
 * child's lifecycle is backends/logchild.c. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "backends/loginput.h"
#include "sitrep/kinds/logs.h"
#include "sitrep/core/sanitize.h"
#include "sitrep/core/util.h"

struct journald {
	char *unit, *priority, *journalctl;
	double lines;
	struct logchild *child;
	bool stderr_error; /* the current error came from journalctl's stderr */
};

/* The one probe of "is there a journal to follow", also used by the built-in
 * default config: journalctl on PATH, and a journal to read (the daemon's
 * socket, or journal files on disk: an empty /var/log/journal is not one).
 * Nothing is spawned, so it is cheap enough for startup. */
static bool journald_in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/bin:/bin";
	char *copy = xstrdup(path), *save = NULL;
	bool found = false;
	for (char *dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *full = xasprintf("%s/%s", dir, prog);
		found = access(full, X_OK) == 0;
		free(full);
	}
	free(copy);
	return found;
}

bool journald_available(void)
{
	if (!journald_in_path("journalctl"))
		return false;
	if (access("/run/systemd/journal/socket", F_OK) == 0)
		return true;
	static const char *const dirs[] = {"/var/log/journal", "/run/log/journal"};
	for (size_t i = 0; i < ARRAY_LEN(dirs); i++) {
		DIR *d = opendir(dirs[i]);
		if (d == NULL)
			continue;
		struct dirent *e;
		bool any = false;
		while (!any && (e = readdir(d)) != NULL)
			any = e->d_name[0] != '.';
		closedir(d);
		if (any)
			return true;
	}
	return false;
}

int journald_priority_sev(int priority)
{
	if (priority < 0)
		return -1;
	return priority <= 3 ? LOG_SEV_ERROR : priority == 4 ? LOG_SEV_WARN : LOG_SEV_INFO;
}

char **journald_argv(const char *journalctl, const char *unit, const char *priority, unsigned lines)
{
	char **argv = xcalloc(12, sizeof(*argv));
	size_t n = 0;
	argv[n++] = xstrdup(journalctl != NULL ? journalctl : "journalctl");
	argv[n++] = xstrdup("-f");
	argv[n++] = xstrdup("-o");
	argv[n++] = xstrdup("json");
	argv[n++] = xstrdup("-n");
	argv[n++] = xasprintf("%u", lines);
	argv[n++] = xstrdup("--no-pager");
	if (unit != NULL) {
		argv[n++] = xstrdup("-u");
		argv[n++] = xstrdup(unit);
	}
	if (priority != NULL) {
		argv[n++] = xstrdup("-p");
		argv[n++] = xstrdup(priority);
	}
	return argv;
}

/* A field as bytes: journald writes binary-unsafe values as arrays of numbers. */
static char *journald_field(const cJSON *obj, const char *name, size_t *len)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (cJSON_IsString(f) && f->valuestring != NULL) {
		*len = strlen(f->valuestring);
		return xstrdup(f->valuestring);
	}
	if (cJSON_IsArray(f)) {
		size_t n = (size_t)cJSON_GetArraySize(f), k = 0;
		char *out = xmalloc(n + 1);
		const cJSON *b;
		cJSON_ArrayForEach(b, f)
		{
			if (cJSON_IsNumber(b) && b->valuedouble >= 0 && b->valuedouble <= 255)
				out[k++] = (char)(int)b->valuedouble;
		}
		out[k] = '\0';
		*len = k;
		return out;
	}
	return NULL;
}

int journald_parse_line(const char *line, size_t len, struct journald_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->priority = -1;
	cJSON *root = cJSON_ParseWithLength(line, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return -1;
	}
	size_t mlen = 0, ilen = 0, plen = 0;
	char *msg = journald_field(root, "MESSAGE", &mlen);
	if (msg == NULL) {
		cJSON_Delete(root);
		return -1;
	}
	char *ident = journald_field(root, "SYSLOG_IDENTIFIER", &ilen);
	if (ident == NULL)
		ident = journald_field(root, "_COMM", &ilen);
	char *pid = journald_field(root, "_PID", &plen);
	if (ident != NULL && pid != NULL)
		e->text = xasprintf("%s[%s]: ", ident, pid);
	else if (ident != NULL)
		e->text = xasprintf("%s: ", ident);
	else
		e->text = xstrdup("");
	size_t head = strlen(e->text);
	e->msg_off = head;
	e->text = xrealloc(e->text, head + mlen + 1);
	memcpy(e->text + head, msg, mlen);
	e->text[head + mlen] = '\0';
	e->len = head + mlen;
	free(msg);
	free(ident);
	free(pid);

	const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "PRIORITY");
	if (cJSON_IsString(p) && p->valuestring != NULL && p->valuestring[0] >= '0' &&
	    p->valuestring[0] <= '7' && p->valuestring[1] == '\0')
		e->priority = p->valuestring[0] - '0';
	else if (cJSON_IsNumber(p) && p->valuedouble >= 0 && p->valuedouble <= 7)
		e->priority = (int)p->valuedouble;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "__REALTIME_TIMESTAMP");
	if (cJSON_IsString(t) && t->valuestring != NULL)
		e->time_ms = strtoll(t->valuestring, NULL, 10) / 1000;
	cJSON_Delete(root);
	return 0;
}

static void journald_on_line(struct log_input *in, int stream, const char *line, size_t len, bool cut)
{
	struct journald *j = in->data;
	if (stream == 2) {
		/* journalctl explains itself on stderr ("No journal files were found."). */
		/* masked, then cut: the sanitizer masks secrets before its own cut */
		char *said = sanitize(line, len, 300);
		char *msg = xasprintf("journalctl: %s", said);
		loginput_error(in, msg);
		free(msg);
		free(said);
		j->stderr_error = true;
		return;
	}
	/* Entries flowing again: what journalctl said (often a hint) is past. */
	if (j->stderr_error) {
		loginput_error(in, NULL);
		j->stderr_error = false;
	}
	struct journald_entry e;
	if (cut || journald_parse_line(line, len, &e) < 0) {
		/* Not an entry (or cut, so not parseable): keep the raw text visible. */
		loginput_line(in, in->label, 0, -1, line, len, cut);
		return;
	}
	/* The journal's own PRIORITY is the entry's severity; the message is
	 * classified (by the input's format, then the patterns) only when the
	 * entry has none. A message of several lines is one event; its severity
	 * is its priority's, or its first line's. */
	int sev = journald_priority_sev(e.priority);
	if (sev < 0) {
		/* the message's own format (a glog or syslog line logged as is),
		 * read where it starts, after "IDENT[PID]: " */
		const char *msg = e.text + e.msg_off;
		size_t mlen = e.len - e.msg_off;
		const char *nl = memchr(msg, '\n', mlen);
		sev = loginput_classify(in, msg, nl != NULL ? (size_t)(nl - msg) : mlen);
	}
	loginput_record(in, in->label, e.time_ms, sev, e.text, e.len, false);
	free(e.text);
}

/* The child's own trouble replaced whatever journalctl printed. */
static void journald_on_state(struct log_input *in, const char *error)
{
	struct journald *j = in->data;
	(void)error;
	j->stderr_error = false;
}

static const struct logchild_hooks journald_hooks = {
    .line = journald_on_line,
    .state = journald_on_state,
};

static int journald_init(struct log_input *in, struct config_ctx *ctx, struct jnode *node)
{
	struct journald *j = xcalloc(1, sizeof(*j));
	in->data = j;
	if (config_get_string(ctx, node, "unit", false, NULL, &j->unit) < 0 ||
	    config_get_string(ctx, node, "journalctl", false, "journalctl", &j->journalctl) < 0 ||
	    config_get_number(ctx, node, "lines", false, 200, 0, 100000, &j->lines) < 0)
		return -1;
	struct jnode *p = jsonc_get(node, "priority");
	if (p != NULL) {
		if (p->type == JNODE_NUMBER && p->number >= 0 && p->number <= 7)
			j->priority = xasprintf("%d", (int)p->number);
		else if (p->type == JNODE_STRING && p->len > 0 && p->len < 32 &&
		         strspn(p->string, "abcdefghijklmnopqrstuvwxyz0123456789.") == p->len)
			j->priority = xstrdup(p->string);
		else
			return config_fail(ctx, p,
			                   "expected a priority 0..7 or a name such as \"err\" or "
			                   "\"warning\" (or a range \"0..4\")");
	}
	if (in->name == NULL)
		in->name = xstrdup(j->unit != NULL ? j->unit : "journald");
	return 0;
}

static int journald_start(struct log_input *in)
{
	struct journald *j = in->data;
	char **argv = journald_argv(j->journalctl, j->unit, j->priority, (unsigned)j->lines);
	j->child = logchild_start(in, argv, &journald_hooks);
	config_free_argv(argv);
	return 0;
}

static void journald_stop(struct log_input *in)
{
	struct journald *j = in->data;
	logchild_stop(j->child);
	j->child = NULL;
}

static void journald_destroy(struct log_input *in)
{
	struct journald *j = in->data;
	if (j == NULL)
		return;
	free(j->unit);
	free(j->priority);
	free(j->journalctl);
	free(j);
	in->data = NULL;
}

const struct log_input_ops loginput_journald = {
    .type = "journald",
    .init = journald_init,
    .start = journald_start,
    .stop = journald_stop,
    .destroy = journald_destroy,
};
