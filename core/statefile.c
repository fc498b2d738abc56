/* statefile: opening the state dir and its files by one set of rules (see
 * statefile.h). The dir is opened once per use and every file is opened
 * relative to it (openat), so the dir that was checked is the dir that is
 * used, even if its path is swapped meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sitrep/core/sanitize.h"
#include "sitrep/core/statefile.h"
#include "sitrep/core/util.h"

/* Writes a refusal into msg (when given) and sets errno to err. */
static void statefile_fail(int err, char *msg, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void statefile_fail(int err, char *msg, size_t cap, const char *fmt, ...)
{
	if (msg != NULL && cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, cap, fmt, ap);
		va_end(ap);
	}
	errno = err;
}

const char *statefile_type_name(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "a regular file";
	case S_IFDIR: return "a directory";
	case S_IFLNK: return "a symbolic link";
	case S_IFIFO: return "a FIFO";
	case S_IFSOCK: return "a socket";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	default: return "not a regular file";
	}
}

/* The errno a non-regular file is refused with. */
static int statefile_type_errno(unsigned mode)
{
	return S_ISLNK(mode) ? ELOOP : S_ISDIR(mode) ? EISDIR : EINVAL;
}

/* The ownership rule shared by the dir and its files: ours, and nobody else
 * can write it. what is "state dir" or "state file". 0, or -1 (EPERM). */
static int statefile_check_owner(const struct stat *st, const char *what, const char *shown, char *msg,
                                 size_t cap)
{
	if (st->st_uid != geteuid()) {
		statefile_fail(EPERM, msg, cap,
		               "%s %s belongs to uid %u, not to you (uid %u): refused, another user "
		               "could have written it",
		               what, shown, (unsigned)st->st_uid, (unsigned)geteuid());
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		statefile_fail(EPERM, msg, cap,
		               "%s %s can be written by other users (mode %04o): refused (chmod go-w "
		               "it)",
		               what, shown, (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The check after every open, of the dir and of its files: fstat the fd we
 * hold (not the name, which could be swapped), the right type, then the owner
 * rule. Returns fd, or closes it and returns -1 with msg written. */
static int statefile_check_fd(int fd, bool dir, const char *shown, char *msg, size_t cap)
{
	const char *what = dir ? "state dir" : "state file";
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		statefile_fail(e, msg, cap, "cannot stat %s %s: %s", what, shown, strerror(e));
	} else if (!dir && !S_ISREG(st.st_mode)) {
		statefile_fail(statefile_type_errno(st.st_mode), msg, cap,
		               "%s is %s, not a regular file: refused", shown,
		               statefile_type_name(st.st_mode));
	} else if (statefile_check_owner(&st, what, shown, msg, cap) == 0) {
		return fd;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int statefile_dir(const char *dir, bool create, char *msg, size_t cap)
{
	if (dir == NULL || dir[0] == '\0') {
		statefile_fail(ENOENT, msg, cap, "no state dir is configured");
		return -1;
	}
	/* a trailing slash would make O_NOFOLLOW follow a symlinked dir */
	char *path = xstrdup(dir);
	for (size_t n = strlen(path); n > 1 && path[n - 1] == '/'; n--)
		path[n - 1] = '\0';
	char *shown = sanitize_str(path);
	int dfd = -1;
	const int dflags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK;
	dfd = open(path, dflags);
	if (dfd < 0 && errno == ENOENT && create) {
		/* made only when missing: the usual case costs one open */
		if (util_mkdirs(path, 0700) != 0) {
			int e = errno;
			statefile_fail(e, msg, cap, "cannot create state dir %s: %s", shown, strerror(e));
			goto out;
		}
		dfd = open(path, dflags);
	}
	if (dfd < 0) {
		int e = errno;
		struct stat st;
		if (e == ENOENT)
			statefile_fail(e, msg, cap, "state dir %s does not exist", shown);
		else if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode))
			statefile_fail(statefile_type_errno(st.st_mode), msg, cap,
			               "state dir %s is %s, not a directory: refused%s", shown,
			               statefile_type_name(st.st_mode),
			               S_ISLNK(st.st_mode) ? " (not followed)" : "");
		else
			statefile_fail(e, msg, cap, "cannot open state dir %s: %s", shown, strerror(e));
		goto out;
	}
	dfd = statefile_check_fd(dfd, true, shown, msg, cap);
out:;
	int e2 = errno;
	free(shown);
	free(path);
	errno = e2;
	return dfd;
}

int state_openat(int dfd, const char *dir, const char *name, enum statefile_mode mode, char *msg, size_t cap)
{
	/* O_NONBLOCK: opening a FIFO for reading returns at once and for writing
	 * fails with ENXIO instead of waiting for the other end; fstat then
	 * refuses it. O_NOCTTY: a planted terminal never becomes ours. */
	int flags = O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	switch (mode) {
	case STATEFILE_READ: flags |= O_RDONLY; break;
	case STATEFILE_APPEND: flags |= O_WRONLY | O_APPEND | O_CREAT; break;
	case STATEFILE_CREATE: flags |= O_WRONLY | O_CREAT | O_EXCL; break;
	}
	char *shown = xasprintf("%s/%s", dir != NULL ? dir : ".", name);
	char *clean = sanitize_str(shown);
	free(shown);
	shown = clean;
	struct stat st;
	int fd = openat(dfd, name, flags, 0600);
	if (fd < 0) {
		int e = errno;
		if (e != ENOENT && e != EEXIST && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    !S_ISREG(st.st_mode))
			statefile_fail(statefile_type_errno(st.st_mode), msg, cap,
			               "%s is %s, not a regular file: refused%s", shown,
			               statefile_type_name(st.st_mode),
			               S_ISLNK(st.st_mode) ? " (not followed)" : "");
		else if (e == ENOENT)
			statefile_fail(e, msg, cap, "%s does not exist", shown);
		else
			statefile_fail(e, msg, cap, "cannot open %s: %s", shown, strerror(e));
		goto out;
	}
	fd = statefile_check_fd(fd, false, shown, msg, cap);
	if (fd >= 0) {
		/* a regular file never blocks: plain reads and writes from here */
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	}
out:;
	int e2 = errno;
	free(shown);
	errno = e2;
	return fd;
}

int state_open(const char *dir, const char *name, enum statefile_mode mode, char *msg, size_t cap)
{
	int dfd = statefile_dir(dir, mode != STATEFILE_READ, msg, cap);
	if (dfd < 0)
		return -1;
	int fd = state_openat(dfd, dir, name, mode, msg, cap);
	int e = errno;
	close(dfd);
	errno = e;
	return fd;
}

int statefile_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = ENOSPC;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}
