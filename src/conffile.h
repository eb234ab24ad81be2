/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
/*
 * Opening configuration files safely, before libconfig sees them: each
 * file (the main one and every @include) must be a regular file of at
 * most CONFFILE_MAX bytes that only its owner can write, owned by root or
 * by the user udproxy started as (sshd's StrictModes: the file names the
 * pidfile, which the daemon truncates and deletes). libconfig 1.5 reading
 * a file itself takes time quadratic in a token's length (its scanner
 * rescans a token at every buffer refill), hence the size limits; the
 * main file is read here whole and parsed from memory, in linear time.
 */
#ifndef UDPROXY_CONFFILE_H
#define UDPROXY_CONFFILE_H

#include <sys/types.h>
#include <stddef.h>

#define CONFFILE_MAX		(1024 * 1024)	/* bytes, each file */
#define CONFFILE_TOTAL_MAX	(8 * 1024 * 1024) /* bytes, every inclusion */
#define CONFFILE_DEPTH_MAX	10		/* libconfig 1.5's nesting */

/* The user that may own configuration files besides root. */
void	 conffile_set_owner(uid_t);

/*
 * Checks path and every file it includes, resolved as libconfig resolves
 * them (dir "/" name), and returns the main file's text, NUL-terminated,
 * to be freed by the caller; NULL with "FILE: reason" or
 * "FILE:LINE: reason" in err.
 */
char	*conffile_load(const char *path, const char *dir, char *err,
	    size_t errlen);

#endif
