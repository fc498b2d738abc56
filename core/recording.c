/* recording: the stream appended to state_dir/stream.jsonl.zst (see
 * recording.h). Each record is compressed and flushed at once (a crash
 * loses nothing written: the reader takes a frame without its end), one
 * write(2) per flush. Consecutive records of a pane repeat most of their
 * bytes, which zstd's window finds: a dashboard's hour is tens of MiB of
 * JSON and well under a MiB on disk (docs/PERFORMANCE.md). Past
 * RECORDING_ROTATE_BYTES of JSON the frame is ended and the file renamed to
 * .1 (replacing the older half) inside the checked dir. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "sitrep/core/recording.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/util.h"

/* Level 1 with a 128 KiB window: a pane's next record sits well inside it,
 * and the context stays a few hundred KiB (level 3's default window alone
 * would be 2 MiB of the dashboard's memory). */
#define RECORDING_LEVEL      1
#define RECORDING_WINDOW_LOG 17
#define RECORDING_HASH_LOG   14
#define RECORDING_OUT        (16 * 1024)

struct recording {
	char *dir;
	int fd;
	size_t json; /* JSON bytes in the current file (what a replay holds in memory) */
	ZSTD_CCtx *cctx;
	char *out;
	size_t outcap;
	bool want_state;
	bool failed;
};

static void recording_fail(struct recording *rec, const char *what)
{
	fprintf(stderr, "sitrep: recording stopped: %s/%s: %s\n", rec->dir, RECORDING_NAME, what);
	rec->failed = true;
}

/* Compresses in (may be empty) with mode and writes what comes out. */
static int recording_put(struct recording *rec, const char *data, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {data, len, 0};
	size_t left;
	do {
		ZSTD_outBuffer out = {rec->out, rec->outcap, 0};
		left = ZSTD_compressStream2(rec->cctx, &out, &in, mode);
		if (ZSTD_isError(left)) {
			recording_fail(rec, ZSTD_getErrorName(left));
			return -1;
		}
		if (out.pos > 0 && statefile_write_all(rec->fd, rec->out, out.pos) < 0) {
			recording_fail(rec, strerror(errno));
			return -1;
		}
	} while (left > 0 || in.pos < in.size);
	return 0;
}

struct recording *recording_open(const char *state_dir, char *msg, size_t cap)
{
	int fd = state_open(state_dir, RECORDING_NAME, STATEFILE_APPEND, msg, cap);
	if (fd < 0)
		return NULL;
	struct recording *rec = xcalloc(1, sizeof(*rec));
	rec->dir = xstrdup(state_dir);
	rec->fd = fd;
	/* a new frame after what an earlier run left: frames concatenate */
	struct stat st;
	rec->json = fstat(fd, &st) == 0 ? (size_t)st.st_size * 8 : 0; /* a guess: never read back */
	rec->cctx = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(rec->cctx, ZSTD_c_compressionLevel, RECORDING_LEVEL);
	ZSTD_CCtx_setParameter(rec->cctx, ZSTD_c_windowLog, RECORDING_WINDOW_LOG);
	ZSTD_CCtx_setParameter(rec->cctx, ZSTD_c_hashLog, RECORDING_HASH_LOG);
	ZSTD_CCtx_setParameter(rec->cctx, ZSTD_c_checksumFlag, 1);
	rec->outcap = RECORDING_OUT;
	rec->out = xmalloc(rec->outcap);
	rec->want_state = true;
	return rec;
}

static void recording_rotate(struct recording *rec)
{
	char msg[STATEFILE_MSG_MAX];
	if (recording_put(rec, NULL, 0, ZSTD_e_end) < 0)
		return;
	int dfd = statefile_dir(rec->dir, false, msg, sizeof(msg));
	if (dfd < 0) {
		recording_fail(rec, msg);
		return;
	}
	close(rec->fd);
	rec->fd = -1;
	if (renameat(dfd, RECORDING_NAME, dfd, RECORDING_NAME ".1") < 0)
		unlinkat(dfd, RECORDING_NAME, 0);
	rec->fd = state_openat(dfd, rec->dir, RECORDING_NAME, STATEFILE_APPEND, msg, sizeof(msg));
	close(dfd);
	if (rec->fd < 0) {
		recording_fail(rec, msg);
		return;
	}
	ZSTD_CCtx_reset(rec->cctx, ZSTD_reset_session_only);
	rec->json = 0;
	rec->want_state = true;
}

void recording_write(struct recording *rec, const char *line, size_t len)
{
	if (rec == NULL || rec->failed)
		return;
	if (rec->json + len > RECORDING_ROTATE_BYTES && rec->json > 0) {
		recording_rotate(rec);
		if (rec->failed)
			return;
	}
	if (recording_put(rec, line, len, ZSTD_e_flush) == 0)
		rec->json += len;
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
	if (!rec->failed && rec->fd >= 0)
		recording_put(rec, NULL, 0, ZSTD_e_end);
	if (rec->fd >= 0)
		close(rec->fd);
	ZSTD_freeCCtx(rec->cctx);
	free(rec->out);
	free(rec->dir);
	free(rec);
}

char *recording_decode(const char *data, size_t len, size_t max, size_t *out_len, char *err, size_t cap)
{
	*out_len = 0;
	struct util_buf b = {0};
	static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
	if (len < 4 || memcmp(data, magic, 4) != 0) {
		if (len > max) {
			snprintf(err, cap, "more than %zu MiB of records", max >> 20);
			return NULL;
		}
		util_buf_add(&b, data, len);
		*out_len = len;
		return b.s != NULL ? b.s : xstrdup("");
	}
	/* room for a typical ratio at once: growing by doubling from small
	 * copies the whole output several times over */
	size_t guess = len < max / 32 ? len * 32 : max;
	b.s = xmalloc(guess + 1);
	b.cap = guess + 1;
	ZSTD_DCtx *d = ZSTD_createDCtx();
	size_t chunk = ZSTD_DStreamOutSize();
	char *tmp = xmalloc(chunk);
	ZSTD_inBuffer in = {data, len, 0};
	while (in.pos < in.size) {
		if (b.cap - b.len < chunk + 1) {
			b.cap = b.cap * 2 + chunk;
			b.s = xrealloc(b.s, b.cap);
		}
		ZSTD_outBuffer out = {b.s + b.len, b.cap - b.len - 1, 0};
		size_t r = ZSTD_decompressStream(d, &out, &in);
		if (ZSTD_isError(r)) {
			/* what came before the damage is kept */
			snprintf(err, cap, "damaged after %zu bytes: %s", b.len, ZSTD_getErrorName(r));
			break;
		}
		b.len += out.pos;
		if (b.len > max) {
			snprintf(err, cap, "more than %zu MiB of records", max >> 20);
			b.len = max;
			break;
		}
		if (out.pos == 0 && r != 0 && in.pos == in.size)
			break; /* a frame cut short (sitrep was killed): what it held is kept */
	}
	b.s[b.len] = '\0';
	(void)tmp;
	free(tmp);
	ZSTD_freeDCtx(d);
	*out_len = b.len;
	return b.s != NULL ? b.s : xstrdup("");
}
