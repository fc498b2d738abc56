/* recording: appending the stream to state_dir/stream.jsonl (see
 * recording.h). Writes are whole lines with one write(2) each, like the
 * timeline's; a full file is renamed to stream.jsonl.1 (replacing the older
 * half) inside the checked dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/recording.h"
#include "sitrep/statefile.h"
#include "sitrep/util.h"

struct recording {
	char *dir;
	int fd;
	size_t size;
	bool want_state;
	bool failed;
};

struct recording *recording_open(const char *state_dir, char *msg, size_t cap)
{
	int fd = state_open(state_dir, RECORDING_NAME, STATEFILE_APPEND, msg, cap);
	if (fd < 0)
		return NULL;
	struct recording *rec = xcalloc(1, sizeof(*rec));
	rec->dir = xstrdup(state_dir);
	rec->fd = fd;
	struct stat st;
	rec->size = fstat(fd, &st) == 0 ? (size_t)st.st_size : 0;
	rec->want_state = true;
	return rec;
}

static void recording_rotate(struct recording *rec)
{
	char msg[STATEFILE_MSG_MAX];
	int dfd = statefile_dir(rec->dir, false, msg, sizeof(msg));
	if (dfd < 0) {
		fprintf(stderr, "sitrep: recording not rotated: %s\n", msg);
		rec->failed = true;
		return;
	}
	close(rec->fd);
	rec->fd = -1;
	if (renameat(dfd, RECORDING_NAME, dfd, RECORDING_NAME ".1") < 0)
		unlinkat(dfd, RECORDING_NAME, 0);
	rec->fd = state_openat(dfd, rec->dir, RECORDING_NAME, STATEFILE_APPEND, msg, sizeof(msg));
	close(dfd);
	if (rec->fd < 0) {
		fprintf(stderr, "sitrep: recording stopped: %s\n", msg);
		rec->failed = true;
		return;
	}
	rec->size = 0;
	rec->want_state = true;
}

void recording_write(struct recording *rec, const char *line, size_t len)
{
	if (rec == NULL || rec->failed)
		return;
	if (rec->size + len > RECORDING_ROTATE_BYTES && rec->size > 0) {
		recording_rotate(rec);
		if (rec->failed)
			return;
	}
	if (statefile_write_all(rec->fd, line, len) < 0) {
		fprintf(stderr, "sitrep: recording stopped: %s/%s: %s\n", rec->dir, RECORDING_NAME,
		        strerror(errno));
		rec->failed = true;
		return;
	}
	rec->size += len;
}

bool recording_wants_state(struct recording *rec)
{
	if (rec == NULL || !rec->want_state)
		return false;
	rec->want_state = false;
	return true;
}

void recording_close(struct recording *rec)
{
	if (rec == NULL)
		return;
	if (rec->fd >= 0)
		close(rec->fd);
	free(rec->dir);
	free(rec);
}
