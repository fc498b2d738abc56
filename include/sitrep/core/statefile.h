/* statefile: the one way sitrep opens anything in its state dir (the
 * timeline and its rotation, the audit log, the Markdown exports). That dir
 * holds the record of what was done, so its rules are strict and the same
 * for every file:
 *   - the dir is a real directory (not a symlink), ours, and nobody else can
 *     write into it; it is created 0700 (with its missing parents) for writes;
 *   - a file is opened relative to that checked dir, never through a symlink
 *     (ELOOP), never blocking (a FIFO planted there would hang open() for
 *     ever), and used only when it is a regular file of ours that nobody
 *     else can write; files are created 0600.
 * Every refusal sets errno and writes one sentence naming the file and the
 * reason into msg (sanitized: the path is config text). */
#ifndef SITREP_STATEFILE_H
#define SITREP_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>

enum statefile_mode {
	STATEFILE_READ,   /* an existing file, read only; ENOENT when there is none */
	STATEFILE_APPEND, /* write only, appending; created 0600 when missing */
	STATEFILE_CREATE, /* a new file, write only, 0600; EEXIST when the name is taken */
};

/* The longest message any function here writes. */
#define STATEFILE_MSG_MAX 512

/* Opens the state dir dir after checking it (see above); create: make it
 * (0700) when missing. Returns a directory fd (O_CLOEXEC), or -1 with errno
 * (ENOENT when it does not exist and create is false; EPERM when it is not
 * ours or others can write into it; ELOOP when it is a symlink) and msg. */
int statefile_dir(const char *dir, bool create, char *msg, size_t cap);

/* Opens dir/name with the rules above: name is one path component. The
 * returned fd is blocking again (regular files never block) and O_CLOEXEC.
 * -1 with errno and msg: ENOENT (STATEFILE_READ of a missing file), ELOOP
 * (a symlink), EISDIR, EINVAL (a FIFO, socket or device), EPERM (not ours,
 * or writable by others), EEXIST (STATEFILE_CREATE), or what open() said. */
int state_open(const char *dir, const char *name, enum statefile_mode mode, char *msg, size_t cap);

/* state_open() inside an already checked dir fd (from statefile_dir); dir
 * is only used to name the file in msg. */
int state_openat(int dfd, const char *dir, const char *name, enum statefile_mode mode, char *msg, size_t cap);

/* Writes all of buf[0..len) to fd (one write() when the kernel takes it:
 * appends from concurrent processes do not interleave); 0, or -1 with errno
 * (ENOSPC for a short write that made no progress). */
int statefile_write_all(int fd, const char *buf, size_t len);

/* "a FIFO", "a directory", "a socket", ... for st_mode: the words of a
 * refusal. */
const char *statefile_type_name(unsigned mode);

#endif
