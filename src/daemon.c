/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "xmalloc.h"

/*
 * Opens and locks the pidfile. flock(2) locks belong to the open file, so
 * the lock taken here survives the fork and is held by the daemon.
 */
/* Whether fd is still the file at path (an exiting daemon unlinks it). */
static int
pidfile_current(int fd, const char *path)
{
	struct stat	a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

struct pidfile *
pidfile_open(const char *path, char *err, size_t errlen)
{
	struct pidfile	*pf;
	char		 buf[32];
	ssize_t		 n;
	int		 fd, tries;

	for (tries = 0; tries < 10; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd == -1) {
			snprintf(err, errlen, "pidfile %s: %s", path,
			    strerror(errno));
			return NULL;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == -1)
			break;
		/*
		 * Locked, but the previous daemon may have unlinked the file
		 * between our open and our lock: then lock the new one.
		 */
		if (pidfile_current(fd, path)) {
			pf = xcalloc(1, sizeof(*pf));
			pf->path = xstrdup(path);
			pf->fd = fd;
			return pf;
		}
		close(fd);
	}
	if (tries == 10) {
		snprintf(err, errlen, "pidfile %s: keeps being replaced", path);
		return NULL;
	}
	if (errno == EWOULDBLOCK) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "pidfile %s: already locked by pid %s: is "
		    "another udproxy running?", path,
		    buf[0] != '\0' ? buf : "(unknown)");
	} else
		snprintf(err, errlen, "pidfile %s: lock: %s", path,
		    strerror(errno));
	close(fd);
	return NULL;
}

int
pidfile_write(struct pidfile *pf, char *err, size_t errlen)
{
	return pidfile_write_pid(pf, getpid(), err, errlen);
}

/* Another process's pid: an upgrade's new process, before it serves. */
int
pidfile_write_pid(struct pidfile *pf, pid_t pid, char *err, size_t errlen)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);
	if (ftruncate(pf->fd, 0) == -1 ||
	    pwrite(pf->fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "pidfile %s: %s", pf->path,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Lets go of the pidfile without removing it (it now names another). */
void
pidfile_release(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	close(pf->fd);
	free(pf->path);
	free(pf);
}

/*
 * After dropping privileges the directory may not let us unlink; an empty
 * unlocked file then tells the init script the same thing.
 */
void
pidfile_remove(struct pidfile *pf)
{
	if (pf == NULL)
		return;
	if (unlink(pf->path) == -1 && ftruncate(pf->fd, 0) == -1) {
		/* nothing more we can do on the way out */
	}
	close(pf->fd);
	free(pf->path);
	free(pf);
}

/*
 * Forks. The parent waits for the child's verdict on a pipe and exits with
 * it: 0 once the child reports that it serves, 1 with the child's message
 * on stderr otherwise. The child gets the pipe's write end. The parent
 * lets go of its copy of the pidfile (the child keeps the lock).
 */
int
daemon_detach(struct pidfile *pf)
{
	char	 msg[1024];
	ssize_t	 n;
	size_t	 len = 0;
	int	 fds[2], status;
	pid_t	 pid;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		if (setsid() == -1 || chdir("/") == -1)
			return -1;
		return fds[1];
	}
	close(fds[1]);
	/* The lock lives on in the child's copy of the descriptor. */
	if (pf != NULL) {
		close(pf->fd);
		free(pf->path);
		free(pf);
	}
	while (len < sizeof(msg) - 1 &&
	    (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
	}
	msg[len] = '\0';
	if (len > 0 && msg[0] == '+')
		_exit(0);
	if (len > 1)
		log_stderr("error: %s", msg + 1);
	else if (waitpid(pid, &status, 0) == pid)
		log_stderr("error: daemon exited during start (see syslog)");
	_exit(1);
}

/* err NULL: serving. Then stdio goes to /dev/null. */
void
daemon_notify(int fd, const char *err)
{
	char	 msg[1024];
	int	 n, null;

	n = snprintf(msg, sizeof(msg), "%c%s", err == NULL ? '+' : '-',
	    err == NULL ? "" : err);
	if (n > (int)sizeof(msg) - 1)
		n = sizeof(msg) - 1;
	if (write(fd, msg, (size_t)n) == -1) {
		/* the parent is gone: nobody left to tell */
	}
	close(fd);
	if (err == NULL && (null = open("/dev/null", O_RDWR)) != -1) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
}
