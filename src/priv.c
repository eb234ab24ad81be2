/*
 * Copyright (c) 2026 the udproxy authors
 * SPDX-License-Identifier: ISC (see the LICENSE file)
 */
#include "autoconf.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

void
priv_raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warning("cannot raise the descriptor limit: %s",
		    strerror(errno));
}

/* Sets the permitted and effective capabilities to exactly caps. */
static int
priv_set_caps(uint32_t caps)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	data[0].effective = data[0].permitted = caps;
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Whether any capability outside allowed is still permitted. */
static int
priv_caps_beyond(uint32_t allowed)
{
	struct __user_cap_header_struct	hdr;
	struct __user_cap_data_struct	data[2];

	memset(&hdr, 0, sizeof(hdr));
	memset(data, 0, sizeof(data));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	if (syscall(SYS_capget, &hdr, data) == -1)
		return 1;
	return (data[0].permitted & ~allowed) != 0 || data[1].permitted != 0;
}

/* Looks up user and group (NULL: the user's primary group). */
static int
priv_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user '%s': no such user", user);
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL) {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "group '%s': no such group",
			    group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* For -t: would priv_drop find what it needs? */
int
priv_check(const char *user, const char *group, char *err, size_t errlen)
{
	uid_t	uid;
	gid_t	gid;

	if (user == NULL)
		return 0;
	return priv_lookup(user, group, &uid, &gid, err, errlen);
}

/*
 * Becomes user (and group), keeping CAP_NET_BIND_SERVICE for reloads and,
 * with keep_admin (a transparent route), CAP_NET_ADMIN for binding client
 * addresses; nothing else.
 */
int
priv_drop(const char *user, const char *group, int keep_admin, char *err,
    size_t errlen)
{
	uid_t		uid;
	gid_t		gid;
	uint32_t	bind_cap, admin_cap = 0;

	if (priv_lookup(user, group, &uid, &gid, err, errlen) == -1)
		return -1;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;
		snprintf(err, errlen, "user '%s' set, but udproxy is not "
		    "started as root", user);
		return -1;
	}
	/* Without a group setting the user keeps its supplementary groups. */
	if (prctl(PR_SET_KEEPCAPS, 1) == -1 ||
	    (group == NULL ? initgroups(user, gid) : setgroups(1, &gid)) ==
	    -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "cannot become user '%s': %s", user,
		    strerror(errno));
		return -1;
	}
	/*
	 * KEEPCAPS kept all of root's permitted capabilities: narrow them to
	 * the ones needed, or, if the launcher took those away, to fewer.
	 */
	bind_cap = 1U << CAP_NET_BIND_SERVICE;
	if (keep_admin) {
		admin_cap = 1U << CAP_NET_ADMIN;
		if (priv_set_caps(bind_cap | admin_cap) == -1) {
			log_warning("cannot keep CAP_NET_ADMIN: %s; transparent "
			    "routes cannot bind client addresses",
			    strerror(errno));
			admin_cap = 0;
		}
	}
	if (admin_cap == 0 && priv_set_caps(bind_cap) == -1) {
		log_warning("cannot keep CAP_NET_BIND_SERVICE: %s; reloads "
		    "cannot bind ports below 1024", strerror(errno));
		bind_cap = 0;
		if (priv_set_caps(0) == -1) {
			snprintf(err, errlen, "cannot drop capabilities: %s",
			    strerror(errno));
			return -1;
		}
	}
	bind_cap |= admin_cap;
	prctl(PR_SET_KEEPCAPS, 0);
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1 ||
	    priv_caps_beyond(bind_cap))) {
		snprintf(err, errlen, "root privileges could be regained "
		    "after dropping to '%s'", user);
		return -1;
	}
	log_info("running as user %s (uid %ld, gid %ld)", user,
	    (long)uid, (long)gid);
	return 0;
}
