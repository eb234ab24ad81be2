/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conffile.h"
#include "xmalloc.h"

static int	conffile_owner_set;
static uid_t	conffile_owner;

struct conffile_scan {
	const char	*dir;
	size_t		 total;		/* bytes of every inclusion so far */
	char		*err;
	size_t		 errlen;
};

void
conffile_set_owner(uid_t uid)
{
	conffile_owner = uid;
	conffile_owner_set = 1;
}

static int
conffile_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
conffile_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Opens and checks one file; returns its text or NULL with the reason.
 * O_NONBLOCK: a FIFO must be refused, not waited on. The checks are made
 * on the descriptor that is read, so the file cannot change in between.
 */
static char *
conffile_read(const char *path, size_t *lenp, char *err, size_t errlen)
{
	struct stat	 st;
	uid_t		 owner = conffile_owner_set ? conffile_owner : geteuid();
	char		*buf = NULL, *nul;
	size_t		 len = 0, line;
	ssize_t		 n;
	int		 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		saved = errno;
		conffile_fail(err, errlen, "%s: %s", path, strerror(saved));
		errno = saved;
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		conffile_fail(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		conffile_fail(err, errlen, "%s: %s", path, strerror(EISDIR));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		conffile_fail(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		conffile_fail(err, errlen, "%s: refused: writable by %s "
		    "(mode %04o); chmod go-w it", path,
		    (st.st_mode & S_IWOTH) ? "everyone" : "its group",
		    (unsigned int)(st.st_mode & 07777));
		goto fail;
	}
	if (st.st_uid != 0 && st.st_uid != owner) {
		conffile_fail(err, errlen, "%s: refused: owned by uid %lu, "
		    "not by root or uid %lu (the user udproxy started as)",
		    path, (unsigned long)st.st_uid, (unsigned long)owner);
		goto fail;
	}
	if (st.st_size > CONFFILE_MAX) {
		conffile_fail(err, errlen, "%s: larger than %d bytes", path,
		    CONFFILE_MAX);
		goto fail;
	}
	/* One byte more than allowed: a file that grows is caught too. */
	buf = xmalloc((size_t)st.st_size + 2);
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			conffile_fail(err, errlen, "%s: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFFILE_MAX) {
		conffile_fail(err, errlen, "%s: larger than %d bytes", path,
		    CONFFILE_MAX);
		goto fail;
	}
	buf[len] = '\0';
	/* libconfig would stop reading at a NUL and ignore the rest. */
	if ((nul = memchr(buf, '\0', len)) != NULL) {
		for (line = 1; nul > buf; nul--)
			line += nul[-1] == '\n';
		conffile_fail(err, errlen, "%s:%zu: NUL byte in the file",
		    path, line);
		goto fail;
	}
	close(fd);
	*lenp = len;
	return buf;
fail:
	free(buf);
	close(fd);
	errno = EINVAL;		/* whatever it was, not ENOENT */
	return NULL;
}

/*
 * The name of an @include at p, as libconfig 1.5's scanner reads one (at
 * the start of a line: blanks, "@include", blanks, a quoted name in which
 * \\ and \" stand for \ and "), or NULL. Lines inside comments count too:
 * checking a file that is not included is harmless.
 */
static char *
conffile_include_name(const char *p, const char *end)
{
	char	*name;
	size_t	 n = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if ((size_t)(end - p) < 9 || memcmp(p, "@include", 8) != 0 ||
	    (p[8] != ' ' && p[8] != '\t'))
		return NULL;
	for (p += 8; p < end && (*p == ' ' || *p == '\t'); p++)
		;
	if (p == end || *p++ != '"')
		return NULL;
	name = xmalloc((size_t)(end - p) + 1);
	for (; p < end && *p != '"'; p++) {
		if (*p == '\\' && p + 1 < end && (p[1] == '\\' || p[1] == '"'))
			p++;
		name[n++] = *p;
	}
	if (p == end) {
		free(name);
		return NULL;
	}
	name[n] = '\0';
	return name;
}

static int
conffile_scan(struct conffile_scan *sc, const char *text, size_t len,
    int depth)
{
	const char	*p = text, *end = text + len, *eol;
	char		*name, *path, *sub;
	size_t		 sublen, plen;
	int		 rc;

	for (; p < end; p = eol < end ? eol + 1 : end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((name = conffile_include_name(p, eol)) == NULL)
			continue;
		plen = strlen(sc->dir) + strlen(name) + 2;
		path = xmalloc(plen);
		snprintf(path, plen, "%s/%s", sc->dir, name);
		free(name);
		sub = conffile_read(path, &sublen, sc->err, sc->errlen);
		if (sub == NULL && errno == ENOENT) {
			/* libconfig says where: "FILE:LINE: cannot open". */
			free(path);
			continue;
		}
		rc = -1;
		if (sub == NULL)
			;
		else if ((sc->total += sublen) > CONFFILE_TOTAL_MAX)
			conffile_fail(sc->err, sc->errlen, "%s: the "
			    "configuration and its includes are larger than "
			    "%d bytes", path, CONFFILE_TOTAL_MAX);
		else if (depth + 1 >= CONFFILE_DEPTH_MAX)
			rc = 0;		/* libconfig refuses this nesting */
		else
			rc = conffile_scan(sc, sub, sublen, depth + 1);
		free(sub);
		free(path);
		if (rc == -1)
			return -1;
	}
	return 0;
}

char *
conffile_load(const char *path, const char *dir, char *err, size_t errlen)
{
	struct conffile_scan	 sc = { dir, 0, err, errlen };
	char			*text;
	size_t			 len;

	if ((text = conffile_read(path, &len, err, errlen)) == NULL)
		return NULL;
	sc.total = len;
	if (conffile_scan(&sc, text, len, 0) == -1) {
		free(text);
		return NULL;
	}
	return text;
}
